import type { Router } from '../http-server.ts';
import { listResponse } from '../mappers.ts';
import { toWireModelVersion, toWireRegisteredModel, toWireRegistryEvent } from '../registry-mappers.ts';
import * as S from '../schemas/registry.schemas.ts';
import { parseMessage, required } from '../wire.ts';
import { toTags } from './experiments.routes.ts';
import { registerModelVersionRoutes } from './model-versions.routes.ts';
import { setRevisionTag, writeContext } from './registry-http.ts';
import type { RegistryServices } from './registry-services.ts';

/**
 * MLflow's model registry RPCs (registered models, aliases; versions in model-versions.routes.ts)
 * and Plumb's event-log endpoint. Responses about one model carry its revision as ETag.
 */
export function registerRegistryRoutes(router: Router, services: RegistryServices): void {
  registerRegisteredModelRoutes(router, services);
  registerAliasRoutes(router, services);
  registerModelVersionRoutes(router, services);
  registerEventRoutes(router, services);
}

function registerRegisteredModelRoutes(router: Router, { models }: RegistryServices): void {
  router.endpoint({
    methods: ['POST'],
    path: '/registered-models/create',
    schema: S.CreateRegisteredModel,
    async handler(m, request, reply) {
      const name = required(m.name, 'name');
      const model = await models.create(
        { name, tags: toTags(m.tags), description: m.description },
        writeContext(request, m),
      );
      setRevisionTag(reply, model.revision);
      return { registered_model: toWireRegisteredModel(model) };
    },
  });
  router.endpoint({
    methods: ['GET'],
    path: '/registered-models/get',
    schema: S.ModelName,
    async handler(m, _request, reply) {
      const model = await models.get(required(m.name, 'name'));
      setRevisionTag(reply, model.revision);
      return { registered_model: toWireRegisteredModel(model) };
    },
  });
  router.endpoint({
    methods: ['POST'],
    path: '/registered-models/rename',
    schema: S.RenameRegisteredModel,
    async handler(m, request, reply) {
      const name = required(m.name, 'name');
      const newName = required(m.new_name, 'new_name');
      const model = await models.rename(name, newName, writeContext(request, m));
      setRevisionTag(reply, model.revision);
      return { registered_model: toWireRegisteredModel(model) };
    },
  });
  router.endpoint({
    methods: ['PATCH'],
    path: '/registered-models/update',
    schema: S.UpdateRegisteredModel,
    async handler(m, request, reply) {
      const model = await models.update(required(m.name, 'name'), m.description, writeContext(request, m));
      setRevisionTag(reply, model.revision);
      return { registered_model: toWireRegisteredModel(model) };
    },
  });
  router.endpoint({
    methods: ['DELETE'],
    path: '/registered-models/delete',
    schema: S.ModelName,
    async handler(m, request) {
      await models.delete(required(m.name, 'name'), writeContext(request, m));
      return {};
    },
  });
  router.endpoint({
    methods: ['GET'],
    path: '/registered-models/search',
    schema: S.SearchRegistry,
    async handler(m) {
      const page = await models.search({
        filter: m.filter,
        orderBy: m.order_by,
        maxResults: m.max_results,
        pageToken: m.page_token,
      });
      return listResponse('registered_models', page.items.map(toWireRegisteredModel), page.nextPageToken);
    },
  });
  router.endpoint({
    methods: ['POST', 'GET'],
    path: '/registered-models/get-latest-versions',
    schema: S.GetLatestVersions,
    async handler(m, _request, reply) {
      const { value, revision } = await models.getLatestVersions(required(m.name, 'name'), m.stages);
      setRevisionTag(reply, revision);
      return listResponse(
        'model_versions',
        value.map((mv) => toWireModelVersion(mv, { withAliases: true })),
      );
    },
  });
  router.endpoint({
    methods: ['POST'],
    path: '/registered-models/set-tag',
    schema: S.SetRegisteredModelTag,
    async handler(m, request, reply) {
      const name = required(m.name, 'name');
      const tag = { key: required(m.key, 'key'), value: m.value ?? '' };
      setRevisionTag(reply, await models.setTag(name, tag, writeContext(request, m)));
      return {};
    },
  });
  router.endpoint({
    methods: ['DELETE'],
    path: '/registered-models/delete-tag',
    schema: S.DeleteRegisteredModelTag,
    async handler(m, request, reply) {
      const name = required(m.name, 'name');
      setRevisionTag(reply, await models.deleteTag(name, required(m.key, 'key'), writeContext(request, m)));
      return {};
    },
  });
}

function registerAliasRoutes(router: Router, { aliases }: RegistryServices): void {
  router.endpoint({
    methods: ['POST'],
    path: '/registered-models/alias',
    schema: S.SetAlias,
    async handler(m, request, reply) {
      const name = required(m.name, 'name');
      const alias = required(m.alias, 'alias');
      const version = required(m.version, 'version');
      setRevisionTag(reply, await aliases.set(name, alias, version, writeContext(request, m)));
      return {};
    },
  });
  router.endpoint({
    methods: ['DELETE'],
    path: '/registered-models/alias',
    schema: S.AliasRef,
    async handler(m, request, reply) {
      const name = required(m.name, 'name');
      setRevisionTag(reply, await aliases.delete(name, required(m.alias, 'alias'), writeContext(request, m)));
      return {};
    },
  });
  router.endpoint({
    methods: ['GET'],
    path: '/registered-models/alias',
    schema: S.AliasRef,
    async handler(m, _request, reply) {
      const { value, revision } = await aliases.get(required(m.name, 'name'), required(m.alias, 'alias'));
      setRevisionTag(reply, revision);
      return { model_version: toWireModelVersion(value, { withAliases: true }) };
    },
  });
}

const EVENTS_PATH = '2.0/plumb/registered-models/events';

/**
 * `GET /api/2.0/plumb/registered-models/events?name=&page_token=&max_results=`: a model's history,
 * oldest first, with the model's current revision (absent once it was deleted).
 */
function registerEventRoutes(router: Router, { events }: RegistryServices): void {
  for (const prefix of ['/api/', '/ajax-api/']) {
    const url = `${prefix}${EVENTS_PATH}`;
    router.remember(url, ['GET']);
    router.app.get(url, async (request, reply) => {
      const m = parseMessage(S.ListRegistryEvents, request.query);
      const listing = await events.list(required(m.name, 'name'), {
        pageToken: m.page_token,
        maxResults: m.max_results,
      });
      if (listing.revision !== undefined) setRevisionTag(reply, listing.revision);
      return {
        ...(listing.revision === undefined ? {} : { revision: listing.revision }),
        ...listResponse('events', listing.page.items.map(toWireRegistryEvent), listing.page.nextPageToken),
      };
    });
  }
}
