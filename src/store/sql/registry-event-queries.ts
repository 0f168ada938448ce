import type { Kysely, Selectable } from 'kysely';
import { MlflowError } from '../../core/errors.ts';
import type { JsonObject, RegistryEvent, RegistryEventKind } from '../../core/registry.ts';
import type { NewRegistryEvent, RegistryEventQuery } from '../registry-store.ts';
import type { SearchPage } from '../store.ts';
import { currentWatermark } from './watermark.ts';
import type { Database, RegistryEventsTable } from './schema.ts';

/** The append-only registry event log. */

export async function appendRegistryEvent(db: Kysely<Database>, event: NewRegistryEvent): Promise<void> {
  await db
    .insertInto('registry_events')
    .values({
      registered_model_id: event.modelId,
      model_name: event.modelName,
      version: event.version,
      kind: event.kind,
      before_json: event.before === null ? null : JSON.stringify(event.before),
      after_json: event.after === null ? null : JSON.stringify(event.after),
      actor: event.actor,
      revision: event.revision,
      event_time: event.time,
    })
    .execute();
}

/** A JSON column read back: our own writes put objects there, anything else is corruption worth naming. */
function jsonColumn(text: string | null, id: number): JsonObject | null {
  if (text === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new MlflowError('DATA_LOSS', `Registry event ${id} holds a malformed before/after value`);
  }
  return parsed as JsonObject;
}

function toEvent(row: Selectable<RegistryEventsTable>): RegistryEvent {
  const id = Number(row.id);
  return {
    id,
    modelName: row.model_name,
    version: row.version === null ? null : Number(row.version),
    kind: row.kind as RegistryEventKind,
    before: jsonColumn(row.before_json, id),
    after: jsonColumn(row.after_json, id),
    actor: row.actor,
    revision: Number(row.revision),
    time: Number(row.event_time),
  };
}

export async function listRegistryEvents(
  db: Kysely<Database>,
  query: RegistryEventQuery,
): Promise<SearchPage<RegistryEvent>> {
  const watermark =
    query.watermark ??
    (await currentWatermark(db, 'registry_events', 'id', { column: 'registered_model_id', value: query.modelId }));
  const rows = await db
    .selectFrom('registry_events')
    .selectAll()
    .where('registered_model_id', '=', query.modelId)
    .where('id', '<=', watermark)
    .orderBy('id')
    .limit(query.maxResults + 1)
    .offset(query.offset)
    .execute();
  return { items: rows.slice(0, query.maxResults).map(toEvent), hasMore: rows.length > query.maxResults, watermark };
}

export async function findDeletedModelId(db: Kysely<Database>, name: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('registry_events')
    .select('registered_model_id')
    .where('model_name', '=', name)
    .where('kind', '=', 'registered_model.deleted')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? Number(row.registered_model_id) : undefined;
}
