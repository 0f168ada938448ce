import { MlflowError } from '../../core/errors.ts';
import { LIMITS } from '../../core/validation.ts';
import type { MetricToStore } from '../../store/store.ts';
import type { Router } from '../http-server.ts';
import { listResponse, toWireRun, toWireRunInfo } from '../mappers.ts';
import * as S from '../schemas/tracking.schemas.ts';
import { required } from '../wire.ts';
import { toTags } from './experiments.routes.ts';
import type { TrackingServices } from './tracking-services.ts';

/** Clients send the run id as `run_id`, older ones as `run_uuid`, the Python client both. */
export function runIdOf(m: { run_id?: string | undefined; run_uuid?: string | undefined }): string {
  return required(m.run_id || m.run_uuid, 'run_id');
}

type WireMetric = {
  key?: string;
  value?: number;
  timestamp?: number;
  step?: number;
  model_id?: string;
  dataset_name?: string;
  dataset_digest?: string;
};

function toMetric(m: WireMetric, path = ''): MetricToStore {
  return {
    key: required(m.key, `${path}key`),
    value: required(m.value, `${path}value`),
    timestamp: required(m.timestamp, `${path}timestamp`),
    step: m.step ?? 0,
    modelId: m.model_id || undefined,
    datasetName: m.dataset_name || undefined,
    datasetDigest: m.dataset_digest || undefined,
  };
}

export function registerRunRoutes(router: Router, { runs, logging }: TrackingServices): void {
  router.endpoint({
    methods: ['POST'],
    path: '/runs/create',
    schema: S.CreateRun,
    async handler(m) {
      const run = await runs.create({
        experimentId: m.experiment_id,
        userId: m.user_id,
        runName: m.run_name,
        startTime: m.start_time,
        tags: toTags(m.tags),
      });
      return { run: toWireRun(run, { withOutputs: false }) };
    },
  });
  router.endpoint({
    methods: ['GET'],
    path: '/runs/get',
    schema: S.RunRef,
    async handler(m) {
      return { run: toWireRun(await runs.get(runIdOf(m))) };
    },
  });
  router.endpoint({
    methods: ['POST'],
    path: '/runs/update',
    schema: S.UpdateRun,
    async handler(m) {
      const info = await runs.update(runIdOf(m), { status: m.status, endTime: m.end_time, runName: m.run_name });
      return { run_info: toWireRunInfo(info) };
    },
  });
  router.endpoint({
    methods: ['POST'],
    path: '/runs/delete',
    schema: S.RunRef,
    async handler(m) {
      await runs.delete(runIdOf(m));
      return {};
    },
  });
  router.endpoint({
    methods: ['POST'],
    path: '/runs/restore',
    schema: S.RunRef,
    async handler(m) {
      await runs.restore(runIdOf(m));
      return {};
    },
  });
  router.endpoint({
    methods: ['POST'],
    path: '/runs/log-metric',
    schema: S.LogMetric,
    async handler(m) {
      await logging.logMetric(runIdOf(m), toMetric(m));
      return {};
    },
  });
  router.endpoint({
    methods: ['POST'],
    path: '/runs/log-parameter',
    schema: S.LogParam,
    async handler(m) {
      await logging.logParam(runIdOf(m), { key: required(m.key, 'key'), value: m.value ?? '' });
      return {};
    },
  });
  router.endpoint({
    methods: ['POST'],
    path: '/runs/set-tag',
    schema: S.SetTag,
    async handler(m) {
      await runs.setTag(runIdOf(m), { key: required(m.key, 'key'), value: m.value ?? '' });
      return {};
    },
  });
  router.endpoint({
    methods: ['POST'],
    path: '/runs/delete-tag',
    schema: S.DeleteTag,
    async handler(m) {
      await runs.deleteTag(runIdOf(m), required(m.key, 'key'));
      return {};
    },
  });
  router.endpoint({
    methods: ['POST'],
    path: '/runs/log-batch',
    schema: S.LogBatch,
    async handler(m, request) {
      if (request.bodyBytes > LIMITS.maxBatchRequestBytes) {
        throw MlflowError.invalidParameter(
          `Batched logging API requests must be at most ${LIMITS.maxBatchRequestBytes} bytes, got a request of size ${request.bodyBytes}.`,
        );
      }
      await logging.logBatch(required(m.run_id, 'run_id'), {
        metrics: m.metrics.map((metric, i) => toMetric(metric, `metrics[${i}].`)),
        params: toTags(m.params, 'params'),
        tags: toTags(m.tags, 'tags'),
      });
      return {};
    },
  });
  router.endpoint({
    methods: ['POST'],
    path: '/runs/log-model',
    schema: S.LogModel,
    async handler(m) {
      await runs.logModel(required(m.run_id, 'run_id'), required(m.model_json, 'model_json'));
      return {};
    },
  });
  router.endpoint({
    methods: ['POST'],
    path: '/runs/log-inputs',
    schema: S.LogInputs,
    async handler(m) {
      const datasets = m.datasets.map((input, i) => {
        const d = required(input.dataset, `datasets[${i}].dataset`);
        return {
          tags: toTags(input.tags, `datasets[${i}].tags`),
          dataset: {
            name: d.name ?? '',
            digest: d.digest ?? '',
            sourceType: d.source_type ?? '',
            source: d.source ?? '',
            schema: d.schema,
            profile: d.profile,
          },
        };
      });
      const models = m.models.map((model, i) => ({ modelId: required(model.model_id, `models[${i}].model_id`) }));
      await logging.logInputs(required(m.run_id, 'run_id'), datasets, models);
      return {};
    },
  });
  router.endpoint({
    methods: ['POST'],
    path: '/runs/outputs',
    schema: S.LogOutputs,
    async handler(m) {
      const models = required(m.models, 'models').map((model, i) => ({
        modelId: required(model.model_id, `models[${i}].model_id`),
        step: model.step ?? 0,
      }));
      await logging.logOutputs(required(m.run_id, 'run_id'), models);
      return {};
    },
  });
  router.endpoint({
    methods: ['POST'],
    path: '/runs/search',
    schema: S.SearchRuns,
    async handler(m) {
      const page = await runs.search({
        experimentIds: m.experiment_ids,
        filter: m.filter,
        orderBy: m.order_by,
        viewType: S.toViewType(m.run_view_type),
        maxResults: m.max_results,
        pageToken: m.page_token,
      });
      return listResponse(
        'runs',
        page.items.map((run) => toWireRun(run)),
        page.nextPageToken,
      );
    },
  });
}
