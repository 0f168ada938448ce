import type { JsonObject } from '../../core/registry.ts';
import type { WebhookEvent } from '../../core/webhooks.ts';
import type { NewRegistryEvent, RegistryStore, RegistryWrites } from '../../store/registry-store.ts';

/**
 * Which registry events MLflow notifies webhooks about, with MLflow's `data` for each
 * (mlflow/webhooks/types.py). Other changes (renames, stage moves, deletions) have no MLflow
 * webhook event and enqueue nothing.
 */
export function webhookEventOf(event: NewRegistryEvent): { event: WebhookEvent; data: JsonObject } | undefined {
  const after = event.after ?? {};
  const before = event.before ?? {};
  const name = event.modelName;
  const version = event.version === null ? undefined : String(event.version);
  switch (event.kind) {
    case 'registered_model.created':
      return {
        event: { entity: 'REGISTERED_MODEL', action: 'CREATED' },
        data: { name, tags: after.tags ?? {}, description: after.description ?? null },
      };
    case 'model_version.created':
      return {
        event: { entity: 'MODEL_VERSION', action: 'CREATED' },
        data: {
          name,
          version: after.version ?? version,
          source: after.source ?? null,
          run_id: after.run_id ?? null,
          tags: after.tags ?? {},
          description: after.description ?? null,
        },
      };
    case 'model_version.tag_set':
      return {
        event: { entity: 'MODEL_VERSION_TAG', action: 'SET' },
        data: { name, version, key: after.key, value: after.value },
      };
    case 'model_version.tag_deleted':
      return { event: { entity: 'MODEL_VERSION_TAG', action: 'DELETED' }, data: { name, version, key: before.key } };
    case 'alias.set':
      return {
        event: { entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' },
        data: { name, alias: after.alias, version: after.version },
      };
    case 'alias.deleted':
      return { event: { entity: 'MODEL_VERSION_ALIAS', action: 'DELETED' }, data: { name, alias: before.alias } };
    case 'registered_model.renamed':
    case 'registered_model.updated':
    case 'registered_model.deleted':
    case 'registered_model.tag_set':
    case 'registered_model.tag_deleted':
    case 'model_version.updated':
    case 'model_version.stage_transitioned':
    case 'model_version.deleted':
      return undefined;
    default: {
      const unknown: never = event.kind;
      return unknown;
    }
  }
}

/** The example `data` MLflow sends for `test` (get_example_payload_for_event), per entity. */
export function examplePayload(event: WebhookEvent): JsonObject {
  const name = event.entity.startsWith('PROMPT') ? 'example_prompt' : 'example_model';
  switch (event.entity) {
    case 'REGISTERED_MODEL':
    case 'PROMPT':
      return { name, tags: { example_key: 'example_value' }, description: 'An example registered model' };
    case 'MODEL_VERSION':
    case 'PROMPT_VERSION':
      return {
        name,
        version: '1',
        source: 'runs:/abcd1234abcd5678/model',
        run_id: 'abcd1234abcd5678',
        tags: { example_key: 'example_value' },
        description: 'An example model version',
      };
    case 'MODEL_VERSION_TAG':
    case 'PROMPT_VERSION_TAG':
      return event.action === 'SET'
        ? { name, version: '1', key: 'example_key', value: 'example_value' }
        : { name, version: '1', key: 'example_key' };
    case 'PROMPT_TAG':
      return event.action === 'SET'
        ? { name, key: 'example_key', value: 'example_value' }
        : { name, key: 'example_key' };
    case 'MODEL_VERSION_ALIAS':
    case 'PROMPT_ALIAS':
      return event.action === 'CREATED'
        ? { name, alias: 'example_alias', version: '1' }
        : { name, alias: 'example_alias' };
    default: {
      const unknown: never = event.entity;
      return unknown;
    }
  }
}

/**
 * The registry store with a transactional outbox: every event a registry service appends also
 * enqueues deliveries to the subscribed webhooks, in the same transaction. The services stay
 * unaware of webhooks; app.ts wraps the store it hands them.
 */
export function withWebhookOutbox(store: RegistryStore): RegistryStore {
  const wrap = (tx: RegistryWrites): RegistryWrites =>
    new Proxy(tx, {
      get(target, property) {
        if (property === 'appendRegistryEvent') {
          return async (event: NewRegistryEvent) => {
            await target.appendRegistryEvent(event);
            const mapped = webhookEventOf(event);
            if (mapped) await target.enqueueWebhookDeliveries(mapped.event, mapped.data, event.time);
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  return new Proxy(store, {
    get(target, property) {
      if (property === 'write') {
        return <T>(work: (tx: RegistryWrites) => Promise<T>) => target.write((tx) => work(wrap(tx)));
      }
      if (property === 'writeModel') {
        return <T>(name: string, work: (tx: RegistryWrites) => Promise<T>) =>
          target.writeModel(name, (tx) => work(wrap(tx)));
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
