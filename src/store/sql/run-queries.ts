import { type Kysely, type Selectable, type SelectQueryBuilder, sql } from 'kysely';
import type {
  DatasetInput,
  LifecycleStage,
  Metric,
  ModelInput,
  ModelOutput,
  Run,
  RunInfo,
  RunStatus,
  Tag,
} from '../../core/entities.ts';
import { SYSTEM_TAGS } from '../../core/entities.ts';
import type { NewRun, RunQuery, SearchPage } from '../store.ts';
import type { SqlDialect } from './dialect.ts';
import { applyRunFilter, applyRunOrderBy } from './run-search.ts';
import { walkEntryOrder } from './run-search-walk.ts';
import { currentWatermark } from './watermark.ts';
import type { Database, RunsTable } from './schema.ts';

type RunRow = Selectable<RunsTable>;

const RUN_COLUMNS = [
  'runs.row_id',
  'runs.run_uuid',
  'runs.name',
  'runs.experiment_id',
  'runs.user_id',
  'runs.status',
  'runs.start_time',
  'runs.end_time',
  'runs.deleted_time',
  'runs.lifecycle_stage',
  'runs.artifact_uri',
] as const;

function toRunInfo(row: RunRow): RunInfo {
  return {
    runId: row.run_uuid,
    experimentId: String(row.experiment_id),
    runName: row.name,
    userId: row.user_id,
    status: row.status as RunStatus,
    startTime: row.start_time === null ? null : Number(row.start_time),
    endTime: row.end_time === null ? null : Number(row.end_time),
    artifactUri: row.artifact_uri,
    lifecycleStage: row.lifecycle_stage as LifecycleStage,
  };
}

export function metricValue(value: number, isNan: number | boolean): number {
  return isNan ? Number.NaN : Number(value);
}

export async function getRunInfo(db: Kysely<Database>, runId: string): Promise<RunInfo | undefined> {
  const row = await db.selectFrom('runs').select(RUN_COLUMNS).where('run_uuid', '=', runId).executeTakeFirst();
  return row ? toRunInfo(row) : undefined;
}

export async function getRunForWrite(
  db: Kysely<Database>,
  runId: string,
): Promise<{ info: RunInfo; experimentStage: LifecycleStage | undefined } | undefined> {
  const row = await db
    .selectFrom('runs')
    .leftJoin('experiments', 'experiments.experiment_id', 'runs.experiment_id')
    .select([...RUN_COLUMNS, 'experiments.lifecycle_stage as experiment_stage'])
    .where('runs.run_uuid', '=', runId)
    .executeTakeFirst();
  if (!row) return undefined;
  return { info: toRunInfo(row), experimentStage: (row.experiment_stage ?? undefined) as LifecycleStage | undefined };
}

/** Takes the run row's lock until the transaction ends (see TrackingStore.writeRun). */
export async function lockRun(db: Kysely<Database>, dialect: SqlDialect, runId: string): Promise<void> {
  await dialect.lockRowsForUpdate(db.selectFrom('runs').select('run_uuid').where('run_uuid', '=', runId)).execute();
}

export async function getRun(db: Kysely<Database>, runId: string): Promise<Run | undefined> {
  const row = await db.selectFrom('runs').select(RUN_COLUMNS).where('run_uuid', '=', runId).executeTakeFirst();
  return row ? (await loadRuns(db, [row]))[0] : undefined;
}

export async function searchRuns(db: Kysely<Database>, dialect: SqlDialect, query: RunQuery): Promise<SearchPage<Run>> {
  const experimentIds = query.experimentIds.filter((id) => /^\d{1,18}$/.test(id)).map(Number);
  const watermark = query.watermark ?? (await currentWatermark(db, 'runs', 'row_id'));
  if (experimentIds.length === 0) return { items: [], hasMore: false, watermark };
  const scope = <O>(qb: SelectQueryBuilder<Database, 'runs', O>) => {
    let scoped = qb.where('runs.experiment_id', 'in', experimentIds).where('runs.row_id', '<=', watermark);
    if (query.viewType === 'ACTIVE_ONLY') scoped = scoped.where('runs.lifecycle_stage', '=', 'active');
    if (query.viewType === 'DELETED_ONLY') scoped = scoped.where('runs.lifecycle_stage', '=', 'deleted');
    return scoped;
  };
  const walked = await walkEntryOrder<RunRow>(db, dialect, { query, experimentIds, scope, columns: RUN_COLUMNS });
  const rows =
    walked?.slice(query.offset) ??
    (await applyRunOrderBy(
      applyRunFilter(scope(db.selectFrom('runs').select(RUN_COLUMNS)), query.filter, dialect),
      query.orderBy,
      dialect,
    )
      .limit(query.maxResults + 1)
      .offset(query.offset)
      .execute());
  const hasMore = rows.length > query.maxResults;
  return {
    items: await loadRuns(db, rows.slice(0, query.maxResults), dialect.jsonArrayAgg),
    hasMore,
    watermark,
  };
}

function groupBy<T>(rows: readonly T[], keyOf: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const list = groups.get(key);
    if (list) list.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}

/** A run's params, tags and latest metrics, each in the order they were first logged. */
interface RunEntries {
  readonly params: Map<string, Tag[]>;
  readonly tags: Map<string, Tag[]>;
  readonly metrics: Map<string, Metric[]>;
}

/**
 * Loads the data of many runs with one query per table, not one per run; with `agg` (a page of
 * search results) as one JSON row per run and table.
 */
async function loadRuns(db: Kysely<Database>, rows: readonly RunRow[], agg?: JsonArrayAgg): Promise<Run[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.run_uuid);
  const [entries, inputs, outputs] = await Promise.all([
    agg ? loadEntriesAsJson(db, agg, ids) : loadEntries(db, ids),
    loadInputs(db, ids),
    db.selectFrom('run_outputs').select(['run_uuid', 'model_id', 'step']).where('run_uuid', 'in', ids).execute(),
  ]);
  const outputsByRun = groupBy(outputs, (o) => o.run_uuid);
  return rows.map((row) => ({
    info: toRunInfo(row),
    data: {
      metrics: entries.metrics.get(row.run_uuid) ?? [],
      params: entries.params.get(row.run_uuid) ?? [],
      tags: entries.tags.get(row.run_uuid) ?? [],
    },
    inputs: inputs.get(row.run_uuid) ?? { datasetInputs: [], modelInputs: [] },
    outputs: {
      modelOutputs: (outputsByRun.get(row.run_uuid) ?? []).map(
        (o): ModelOutput => ({ modelId: o.model_id, step: Number(o.step) }),
      ),
    },
  }));
}

const toMetric = (key: string, value: number, timestamp: unknown, step: unknown, isNan: number | boolean): Metric => ({
  key,
  value: metricValue(value, isNan),
  timestamp: Number(timestamp),
  step: Number(step),
});

/** A row per entry: for engines without an ordered JSON aggregate. */
async function loadEntries(db: Kysely<Database>, ids: readonly string[]): Promise<RunEntries> {
  const [metrics, params, tags] = await Promise.all([
    db
      .selectFrom('latest_metrics')
      .select(['run_uuid', 'key', 'value', 'timestamp', 'step', 'is_nan'])
      .where('run_uuid', 'in', ids)
      .orderBy('seq')
      .execute(),
    db.selectFrom('params').select(['run_uuid', 'key', 'value']).where('run_uuid', 'in', ids).orderBy('seq').execute(),
    db.selectFrom('tags').select(['run_uuid', 'key', 'value']).where('run_uuid', 'in', ids).orderBy('seq').execute(),
  ]);
  const entry = (t: { key: string; value: string }): Tag => ({ key: t.key, value: t.value });
  const mapGroups = <T, U>(groups: Map<string, T[]>, to: (item: T) => U) =>
    new Map([...groups].map(([id, items]) => [id, items.map(to)]));
  return {
    metrics: mapGroups(
      groupBy(metrics, (m) => m.run_uuid),
      (m) => toMetric(m.key, m.value, m.timestamp, m.step, m.is_nan),
    ),
    params: mapGroups(
      groupBy(params, (p) => p.run_uuid),
      entry,
    ),
    tags: mapGroups(
      groupBy(tags, (t) => t.run_uuid),
      entry,
    ),
  };
}

type JsonArrayAgg = NonNullable<SqlDialect['jsonArrayAgg']>;

/**
 * One row per run and table, its entries as one JSON array: the driver builds a hundred rows
 * instead of thousands, and JSON.parse reads the rest. Doubles print in JSON exactly (shortest
 * round-trip form) on SQLite 3.53, PostgreSQL and MariaDB, so values come back unchanged.
 */
async function loadEntriesAsJson(db: Kysely<Database>, agg: JsonArrayAgg, ids: readonly string[]): Promise<RunEntries> {
  const grouped = (table: 'params' | 'tags' | 'latest_metrics', columns: readonly string[]) =>
    db
      .selectFrom(table)
      .select((eb) => [
        eb.ref('run_uuid').as('run_uuid'),
        agg(
          columns.map((c) => sql.ref(c)),
          sql.ref('seq'),
        ).as('entries'),
      ])
      .where('run_uuid', 'in', ids)
      .groupBy('run_uuid')
      .execute();
  const [metrics, params, tags] = await Promise.all([
    grouped('latest_metrics', ['key', 'value', 'timestamp', 'step', 'is_nan']),
    grouped('params', ['key', 'value']),
    grouped('tags', ['key', 'value']),
  ]);
  const parse = <E, U>(rows: readonly { run_uuid: string; entries: string }[], to: (entry: E) => U) =>
    new Map(rows.map((r) => [r.run_uuid, (JSON.parse(r.entries) as E[]).map(to)]));
  const entry = ([key, value]: [string, string]): Tag => ({ key, value });
  return {
    metrics: parse(metrics, ([key, value, timestamp, step, isNan]: [string, number, number, number, number]) =>
      toMetric(key, value, timestamp, step, isNan),
    ),
    params: parse(params, entry),
    tags: parse(tags, entry),
  };
}

async function loadInputs(
  db: Kysely<Database>,
  runIds: readonly string[],
): Promise<Map<string, { datasetInputs: DatasetInput[]; modelInputs: ModelInput[] }>> {
  const inputs = await db
    .selectFrom('inputs')
    .leftJoin('datasets', (join) =>
      join.onRef('datasets.dataset_uuid', '=', 'inputs.source_id').on('inputs.source_type', '=', 'DATASET'),
    )
    .select([
      'inputs.input_uuid',
      'inputs.source_type',
      'inputs.source_id',
      'inputs.destination_id',
      'datasets.name',
      'datasets.digest',
      'datasets.dataset_source_type',
      'datasets.dataset_source',
      'datasets.dataset_schema',
      'datasets.dataset_profile',
    ])
    .where('inputs.destination_type', '=', 'RUN')
    .where('inputs.destination_id', 'in', runIds)
    .execute();
  const result = new Map<string, { datasetInputs: DatasetInput[]; modelInputs: ModelInput[] }>();
  if (inputs.length === 0) return result;
  const inputTags = await db
    .selectFrom('input_tags')
    .select(['input_uuid', 'name', 'value'])
    .where(
      'input_uuid',
      'in',
      inputs.map((i) => i.input_uuid),
    )
    .execute();
  const tagsByInput = groupBy(inputTags, (t) => t.input_uuid);
  for (const input of inputs) {
    const entry = result.get(input.destination_id) ?? { datasetInputs: [], modelInputs: [] };
    result.set(input.destination_id, entry);
    if (input.source_type === 'MODEL') {
      entry.modelInputs.push({ modelId: input.source_id });
    } else if (input.name !== null) {
      entry.datasetInputs.push({
        tags: (tagsByInput.get(input.input_uuid) ?? []).map((t) => ({ key: t.name, value: t.value })),
        dataset: {
          name: input.name,
          digest: input.digest ?? '',
          sourceType: input.dataset_source_type ?? '',
          source: input.dataset_source ?? '',
          schema: input.dataset_schema ?? undefined,
          profile: input.dataset_profile ?? undefined,
        },
      });
    }
  }
  return result;
}

export async function insertRun(db: Kysely<Database>, run: NewRun): Promise<void> {
  await db
    .insertInto('runs')
    .values({
      run_uuid: run.runId,
      name: run.name,
      experiment_id: Number(run.experimentId),
      user_id: run.userId,
      status: run.status,
      start_time: run.startTime,
      end_time: null,
      deleted_time: null,
      lifecycle_stage: 'active',
      artifact_uri: run.artifactUri,
    })
    .execute();
  await setRunTags(db, run.runId, run.tags);
}

export async function updateRunInfo(
  db: Kysely<Database>,
  runId: string,
  patch: { status?: RunStatus | undefined; endTime?: number | undefined; name?: string | undefined },
): Promise<void> {
  const set: { status?: string; end_time?: number; name?: string } = {};
  if (patch.status !== undefined) set.status = patch.status;
  if (patch.endTime !== undefined) set.end_time = patch.endTime;
  if (patch.name !== undefined) set.name = patch.name;
  if (Object.keys(set).length > 0) await db.updateTable('runs').set(set).where('run_uuid', '=', runId).execute();
  if (patch.name !== undefined) await setRunTags(db, runId, [{ key: SYSTEM_TAGS.runName, value: patch.name }]);
}

export async function setRunLifecycle(
  db: Kysely<Database>,
  runId: string,
  stage: LifecycleStage,
  time: number,
): Promise<void> {
  await db
    .updateTable('runs')
    .set({ lifecycle_stage: stage, deleted_time: stage === 'deleted' ? time : null })
    .where('run_uuid', '=', runId)
    .execute();
}

export async function getParams(
  db: Kysely<Database>,
  runId: string,
  keys: readonly string[],
): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const rows = await db
    .selectFrom('params')
    .select(['key', 'value'])
    .where('run_uuid', '=', runId)
    .where('key', 'in', [...new Set(keys)])
    .execute();
  return new Map(rows.map((r) => [r.key, r.value]));
}

export async function insertParams(
  db: Kysely<Database>,
  dialect: SqlDialect,
  runId: string,
  params: readonly Tag[],
): Promise<void> {
  if (params.length === 0) return;
  await dialect
    .insertIgnoringDuplicates(
      db.insertInto('params').values(params.map((p) => ({ run_uuid: runId, key: p.key, value: p.value }))),
    )
    .execute();
}

export async function getRunTag(db: Kysely<Database>, runId: string, key: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('tags')
    .select('value')
    .where('run_uuid', '=', runId)
    .where('key', '=', key)
    .executeTakeFirst();
  return row?.value;
}

/** Upserts in place, so a tag keeps its position when its value changes (as MLflow's merge does). */
export async function setRunTags(db: Kysely<Database>, runId: string, tags: readonly Tag[]): Promise<void> {
  if (tags.length === 0) return;
  const last = new Map(tags.map((t) => [t.key, t.value]));
  const existing = await db
    .selectFrom('tags')
    .select(['key', 'value'])
    .where('run_uuid', '=', runId)
    .where('key', 'in', [...last.keys()])
    .execute();
  const stored = new Map(existing.map((row) => [row.key, row.value]));
  for (const [key, value] of last) {
    if (stored.has(key) && stored.get(key) !== value) {
      await db.updateTable('tags').set({ value }).where('run_uuid', '=', runId).where('key', '=', key).execute();
    }
  }
  const fresh = [...last].filter(([key]) => !stored.has(key));
  if (fresh.length > 0) {
    await db
      .insertInto('tags')
      .values(fresh.map(([key, value]) => ({ run_uuid: runId, key, value })))
      .execute();
  }
  const runName = last.get(SYSTEM_TAGS.runName);
  if (runName !== undefined)
    await db.updateTable('runs').set({ name: runName }).where('run_uuid', '=', runId).execute();
}

export async function deleteRunTag(db: Kysely<Database>, runId: string, key: string): Promise<boolean> {
  const result = await db.deleteFrom('tags').where('run_uuid', '=', runId).where('key', '=', key).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
