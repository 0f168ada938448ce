import type { Router } from '../http-server.ts';
import { listResponse } from '../mappers.ts';
import { toWireModelVersion } from '../registry-mappers.ts';
import * as S from '../schemas/registry.schemas.ts';
import { required } from '../wire.ts';
import { toTags } from './experiments.routes.ts';
import { setRevisionTag, writeContext } from './registry-http.ts';
import type { RegistryServices } from './registry-services.ts';

/** MLflow's model-version RPCs. Single versions come with their aliases; search results without, as in MLflow. */
export function registerModelVersionRoutes(router: Router, { versions }: RegistryServices): void {
  router.endpoint({
    methods: ['POST'],
    path: '/model-versions/create',
    schema: S.CreateModelVersion,
    async handler(m, request, reply) {
      const name = required(m.name, 'name');
      const source = required(m.source, 'source');
      // Absent strings are "" to MLflow's proto2 handlers, and stored (and sent back) as such.
      const { value, revision } = await versions.create(
        {
          name,
          source,
          runId: m.run_id ?? '',
          runLink: m.run_link ?? '',
          description: m.description ?? '',
          modelId: m.model_id ?? '',
          tags: toTags(m.tags),
        },
        writeContext(request, m),
      );
      setRevisionTag(reply, revision);
      return { model_version: toWireModelVersion(value, { withAliases: true }) };
    },
  });
  router.endpoint({
    methods: ['GET'],
    path: '/model-versions/get',
    schema: S.VersionRef,
    async handler(m, _request, reply) {
      const { value, revision } = await versions.get(required(m.name, 'name'), required(m.version, 'version'));
      setRevisionTag(reply, revision);
      return { model_version: toWireModelVersion(value, { withAliases: true }) };
    },
  });
  router.endpoint({
    methods: ['PATCH'],
    path: '/model-versions/update',
    schema: S.UpdateModelVersion,
    async handler(m, request, reply) {
      const name = required(m.name, 'name');
      const version = required(m.version, 'version');
      const { value, revision } = await versions.update(name, version, m.description, writeContext(request, m));
      setRevisionTag(reply, revision);
      return { model_version: toWireModelVersion(value, { withAliases: true }) };
    },
  });
  router.endpoint({
    methods: ['POST'],
    path: '/model-versions/transition-stage',
    schema: S.TransitionStage,
    async handler(m, request, reply) {
      const name = required(m.name, 'name');
      const version = required(m.version, 'version');
      const stage = required(m.stage, 'stage');
      const archive = m.archive_existing_versions ?? false;
      const { value, revision } = await versions.transitionStage(
        name,
        version,
        stage,
        archive,
        writeContext(request, m),
      );
      setRevisionTag(reply, revision);
      return { model_version: toWireModelVersion(value, { withAliases: true }) };
    },
  });
  router.endpoint({
    methods: ['DELETE'],
    path: '/model-versions/delete',
    schema: S.VersionRef,
    async handler(m, request, reply) {
      const name = required(m.name, 'name');
      const version = required(m.version, 'version');
      setRevisionTag(reply, await versions.delete(name, version, writeContext(request, m)));
      return {};
    },
  });
  router.endpoint({
    methods: ['GET'],
    path: '/model-versions/search',
    schema: S.SearchRegistry,
    async handler(m) {
      const page = await versions.search({
        filter: m.filter,
        orderBy: m.order_by,
        maxResults: m.max_results,
        pageToken: m.page_token,
      });
      const items = page.items.map((mv) => toWireModelVersion(mv, { withAliases: false }));
      return listResponse('model_versions', items, page.nextPageToken);
    },
  });
  router.endpoint({
    methods: ['GET'],
    path: '/model-versions/get-download-uri',
    schema: S.VersionRef,
    async handler(m, _request, reply) {
      const name = required(m.name, 'name');
      const { value, revision } = await versions.getDownloadUri(name, required(m.version, 'version'));
      setRevisionTag(reply, revision);
      return { artifact_uri: value };
    },
  });
  router.endpoint({
    methods: ['POST'],
    path: '/model-versions/set-tag',
    schema: S.SetModelVersionTag,
    async handler(m, request, reply) {
      const name = required(m.name, 'name');
      const version = required(m.version, 'version');
      const tag = { key: required(m.key, 'key'), value: m.value ?? '' };
      setRevisionTag(reply, await versions.setTag(name, version, tag, writeContext(request, m)));
      return {};
    },
  });
  router.endpoint({
    methods: ['DELETE'],
    path: '/model-versions/delete-tag',
    schema: S.DeleteModelVersionTag,
    async handler(m, request, reply) {
      const name = required(m.name, 'name');
      const version = required(m.version, 'version');
      const key = required(m.key, 'key');
      setRevisionTag(reply, await versions.deleteTag(name, version, key, writeContext(request, m)));
      return {};
    },
  });
}
