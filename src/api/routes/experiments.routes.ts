import type { Tag } from '../../core/entities.ts';
import type { Router } from '../http-server.ts';
import { listResponse, toWireExperiment } from '../mappers.ts';
import * as S from '../schemas/tracking.schemas.ts';
import { required } from '../wire.ts';
import type { TrackingServices } from './tracking-services.ts';

export function toTags(
  tags: readonly { key?: string | undefined; value?: string | undefined }[],
  field = 'tags',
): Tag[] {
  return tags.map((t, i) => ({ key: required(t.key, `${field}[${i}].key`), value: t.value ?? '' }));
}

export function registerExperimentRoutes(router: Router, { experiments }: TrackingServices): void {
  router.endpoint({
    methods: ['POST'],
    path: '/experiments/create',
    schema: S.CreateExperiment,
    async handler(m) {
      const experimentId = await experiments.create({
        name: required(m.name, 'name'),
        artifactLocation: m.artifact_location,
        tags: toTags(m.tags),
      });
      return { experiment_id: experimentId };
    },
  });
  router.endpoint({
    methods: ['GET'],
    path: '/experiments/get',
    schema: S.ExperimentId,
    async handler(m) {
      return { experiment: toWireExperiment(await experiments.get(required(m.experiment_id, 'experiment_id'))) };
    },
  });
  router.endpoint({
    methods: ['GET'],
    path: '/experiments/get-by-name',
    schema: S.GetExperimentByName,
    async handler(m) {
      const experiment = await experiments.getByName(required(m.experiment_name, 'experiment_name'));
      return { experiment: toWireExperiment(experiment) };
    },
  });
  router.endpoint({
    methods: ['POST', 'GET'],
    path: '/experiments/search',
    schema: S.SearchExperiments,
    async handler(m) {
      const page = await experiments.search({
        filter: m.filter,
        orderBy: m.order_by,
        viewType: S.toViewType(m.view_type),
        maxResults: m.max_results,
        pageToken: m.page_token,
      });
      return listResponse('experiments', page.items.map(toWireExperiment), page.nextPageToken);
    },
  });
  router.endpoint({
    methods: ['POST'],
    path: '/experiments/update',
    schema: S.UpdateExperiment,
    async handler(m) {
      await experiments.rename(required(m.experiment_id, 'experiment_id'), required(m.new_name, 'new_name'));
      return {};
    },
  });
  router.endpoint({
    methods: ['POST'],
    path: '/experiments/delete',
    schema: S.ExperimentId,
    async handler(m) {
      await experiments.delete(required(m.experiment_id, 'experiment_id'));
      return {};
    },
  });
  router.endpoint({
    methods: ['POST'],
    path: '/experiments/restore',
    schema: S.ExperimentId,
    async handler(m) {
      await experiments.restore(required(m.experiment_id, 'experiment_id'));
      return {};
    },
  });
  router.endpoint({
    methods: ['POST'],
    path: '/experiments/set-experiment-tag',
    schema: S.SetExperimentTag,
    async handler(m) {
      const experimentId = required(m.experiment_id, 'experiment_id');
      await experiments.setTag(experimentId, { key: required(m.key, 'key'), value: m.value ?? '' });
      return {};
    },
  });
  router.endpoint({
    methods: ['POST'],
    path: '/experiments/delete-experiment-tag',
    schema: S.DeleteExperimentTag,
    async handler(m) {
      await experiments.deleteTag(required(m.experiment_id, 'experiment_id'), required(m.key, 'key'));
      return {};
    },
  });
}
