import { type Insertable, type Kysely } from 'kysely';
import type { ImportedLoggedModel, ImportedRegisteredModel } from '../import-store.ts';
import type { SqlDialect } from './dialect.ts';
import { appendRegistryEvent } from './registry-event-queries.ts';
import type { Database } from './schema.ts';

/** Shared statements of the import port: multi-row inserts, and the logged-model and registry entities. */

/** Ids per lookup statement, far below every engine's bound-parameter limit. */
const LOOKUP_CHUNK = 1000;

export async function chunked<T, R>(items: readonly T[], work: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += LOOKUP_CHUNK) out.push(...(await work(items.slice(i, i + LOOKUP_CHUNK))));
  return out;
}

/** Multi-row inserts of rows of one shape, as many per statement as the engine's parameter limit allows. */
export async function insertRows<T extends keyof Database & string>(
  db: Kysely<Database>,
  dialect: SqlDialect,
  table: T,
  rows: readonly Insertable<Database[T]>[],
): Promise<void> {
  const first = rows[0];
  if (first === undefined) return;
  const perStatement = Math.max(1, Math.min(1000, Math.floor(dialect.maxBoundParameters / Object.keys(first).length)));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- generic over the typed tables
  const untyped = db as Kysely<any>;
  for (let i = 0; i < rows.length; i += perStatement) {
    await untyped
      .insertInto(table)
      .values(rows.slice(i, i + perStatement))
      .execute();
  }
}

export async function insertLoggedModel(
  db: Kysely<Database>,
  dialect: SqlDialect,
  m: ImportedLoggedModel,
): Promise<void> {
  await db
    .insertInto('logged_models')
    .values({
      model_id: m.modelId,
      experiment_id: m.experimentId,
      name: m.name,
      artifact_location: m.artifactLocation,
      creation_timestamp_ms: m.creationTime,
      last_updated_timestamp_ms: m.lastUpdatedTime,
      status: m.status,
      status_message: m.statusMessage,
      model_type: m.modelType,
      source_run_id: m.sourceRunId,
      lifecycle_stage: m.lifecycleStage,
    })
    .execute();
  const id = m.modelId;
  await insertRows(
    db,
    dialect,
    'logged_model_params',
    m.params.map((p) => ({ model_id: id, param_key: p.key, param_value: p.value })),
  );
  await insertRows(
    db,
    dialect,
    'logged_model_tags',
    m.tags.map((t) => ({ model_id: id, tag_key: t.key, tag_value: t.value })),
  );
  await insertRows(
    db,
    dialect,
    'logged_model_metrics',
    m.metrics.map((x) => ({
      model_id: id,
      metric_name: x.key,
      metric_timestamp_ms: x.timestamp,
      metric_step: x.step,
      metric_value: x.value,
      is_nan: x.isNan,
      experiment_id: m.experimentId,
      run_id: x.runId,
      dataset_name: x.datasetName,
      dataset_digest: x.datasetDigest,
    })),
  );
}

/** The model row (revision = number of events), then its tags, versions, version tags, aliases and events. */
export async function insertRegisteredModel(
  db: Kysely<Database>,
  dialect: SqlDialect,
  m: ImportedRegisteredModel,
): Promise<void> {
  await db
    .insertInto('registered_models')
    .values({
      name: m.name,
      name_key: m.nameKey,
      description: m.description,
      creation_time: m.creationTime,
      last_updated_time: m.lastUpdatedTime,
      revision: m.events.length,
      next_version: m.nextVersion,
    })
    .execute();
  // Read back by the unique name rather than RETURNING, which MySQL lacks.
  const { id } = await db
    .selectFrom('registered_models')
    .select('id')
    .where('name', '=', m.name)
    .executeTakeFirstOrThrow();
  const modelId = Number(id);
  await insertRows(
    db,
    dialect,
    'registered_model_tags',
    m.tags.map((t) => ({ registered_model_id: modelId, key: t.key, value: t.value })),
  );
  await insertRows(
    db,
    dialect,
    'model_versions',
    m.versions.map((v) => ({
      registered_model_id: modelId,
      version: v.version,
      creation_time: v.creationTime,
      last_updated_time: v.lastUpdatedTime,
      description: v.description,
      user_id: v.userId,
      current_stage: v.currentStage,
      source: v.source,
      storage_location: v.storageLocation,
      run_id: v.runId,
      run_link: v.runLink,
      status: v.status,
      status_message: v.statusMessage,
      model_id: v.modelId,
    })),
  );
  await insertRows(
    db,
    dialect,
    'model_version_tags',
    m.versions.flatMap((v) =>
      v.tags.map((t) => ({ registered_model_id: modelId, version: v.version, key: t.key, value: t.value })),
    ),
  );
  await insertRows(
    db,
    dialect,
    'registered_model_aliases',
    m.aliases.map((a) => ({ registered_model_id: modelId, alias: a.alias, version: a.version })),
  );
  for (const event of m.events) await appendRegistryEvent(db, { ...event, modelId });
}
