import type { Kysely } from 'kysely';
import type { Metric, MetricWithRunId } from '../../core/entities.ts';
import type { MetricToStore } from '../store.ts';
import type { BulkColumn, BulkRow, SqlDialect } from './dialect.ts';
import { writeMetricRollups } from './metric-rollups.ts';
import { metricValue } from './run-queries.ts';
import type { Database } from './schema.ts';

const METRIC_COLUMNS: readonly BulkColumn[] = [
  { name: 'run_uuid', type: 'text' },
  { name: 'key', type: 'text' },
  { name: 'value', type: 'double' },
  { name: 'timestamp', type: 'bigint' },
  { name: 'step', type: 'bigint' },
  { name: 'is_nan', type: 'smallint' },
  { name: 'dataset_name', type: 'text' },
  { name: 'dataset_digest', type: 'text' },
  { name: 'model_id', type: 'text' },
];

const LATEST_COLUMNS: readonly BulkColumn[] = METRIC_COLUMNS.slice(0, 6);
/** MLflow's order for "latest": greatest step, then timestamp, then value. */
const LATEST_ORDER = { key: ['run_uuid', 'key'], order: ['step', 'timestamp', 'value'] } as const;

/**
 * NaN and ±Infinity have no portable SQL representation: NaN is stored as 0 with is_nan = 1 and
 * ±Infinity as ±Number.MAX_VALUE, exactly as MLflow's SQL store does, so databases stay interchangeable.
 */
function storedValue(value: number): number {
  if (Number.isNaN(value)) return 0;
  if (value === Number.POSITIVE_INFINITY) return Number.MAX_VALUE;
  if (value === Number.NEGATIVE_INFINITY) return -Number.MAX_VALUE;
  return value;
}

/**
 * Appends the points (an identical point already stored is skipped by the primary key), merges
 * their extremes into the rollups and moves each key's latest value forward, in one multi-row
 * statement each. The caller holds the run's row
 * lock (TrackingStore.writeRun), so concurrent batches of one run take turns instead of deadlocking.
 */
export async function insertMetrics(
  db: Kysely<Database>,
  dialect: SqlDialect,
  runId: string,
  metrics: readonly MetricToStore[],
): Promise<void> {
  if (metrics.length === 0) return;
  const rows: BulkRow[] = new Array(metrics.length);
  // One candidate per key: a statement may not touch the same row twice on every database.
  const latest = new Map<string, BulkRow>();
  for (let i = 0; i < metrics.length; i++) {
    const m = metrics[i]!;
    const row: BulkRow = [
      runId,
      m.key,
      storedValue(m.value),
      m.timestamp,
      m.step,
      Number.isNaN(m.value) ? 1 : 0,
      m.datasetName ?? null,
      m.datasetDigest ?? null,
      m.modelId ?? null,
    ];
    rows[i] = row;
    const current = latest.get(m.key);
    if (!current || isLater(row, current)) latest.set(m.key, row);
  }
  await dialect.appendRows(db, 'metrics', METRIC_COLUMNS, rows);
  await writeMetricRollups(db, dialect, rows);
  await dialect.upsertGreatest(
    db,
    'latest_metrics',
    LATEST_COLUMNS,
    [...latest.values()].map((row) => row.slice(0, LATEST_COLUMNS.length)),
    LATEST_ORDER,
  );
}

/** Row positions of step, timestamp and value in METRIC_COLUMNS, compared in that order. */
const ORDER_POSITIONS = [4, 3, 2] as const;

function isLater(a: BulkRow, b: BulkRow): boolean {
  for (const i of ORDER_POSITIONS) {
    if (a[i] !== b[i]) return (a[i] as number) > (b[i] as number);
  }
  return false;
}

export async function getMetricHistory(
  db: Kysely<Database>,
  runId: string,
  key: string,
  page: { offset: number; limit?: number | undefined },
): Promise<{ items: readonly Metric[]; hasMore: boolean }> {
  let qb = db
    .selectFrom('metrics')
    .select(['key', 'value', 'timestamp', 'step', 'is_nan'])
    .where('run_uuid', '=', runId)
    .where('key', '=', key)
    .orderBy('step')
    .orderBy('timestamp')
    .orderBy('value');
  if (page.limit !== undefined) qb = qb.limit(page.limit + 1).offset(page.offset);
  else if (page.offset > 0) qb = qb.limit(Number.MAX_SAFE_INTEGER).offset(page.offset);
  const rows = await qb.execute();
  const hasMore = page.limit !== undefined && rows.length > page.limit;
  const items = (hasMore ? rows.slice(0, page.limit) : rows).map(
    (r): Metric => ({
      key: r.key,
      value: metricValue(r.value, r.is_nan),
      timestamp: Number(r.timestamp),
      step: Number(r.step),
    }),
  );
  return { items, hasMore };
}

/** Keyset paging on the primary key's tail, so page k costs as much as page 1 (an offset would rescan). */
export async function* streamMetricHistory(
  db: Kysely<Database>,
  runId: string,
  key: string,
  pageSize = 10_000,
): AsyncGenerator<Metric> {
  let after: { step: number; timestamp: number; value: number; is_nan: number } | undefined;
  for (;;) {
    let query = db
      .selectFrom('metrics')
      .select(['step', 'timestamp', 'value', 'is_nan'])
      .where('run_uuid', '=', runId)
      .where('key', '=', key);
    if (after) {
      const bound = after;
      query = query.where((eb) =>
        eb(
          eb.refTuple('step', 'timestamp', 'value', 'is_nan'),
          '>',
          eb.tuple(bound.step, bound.timestamp, bound.value, bound.is_nan),
        ),
      );
    }
    const rows = await query
      .orderBy('step')
      .orderBy('timestamp')
      .orderBy('value')
      .orderBy('is_nan')
      .limit(pageSize)
      .execute();
    for (const r of rows) {
      yield { key, value: metricValue(r.value, r.is_nan), timestamp: Number(r.timestamp), step: Number(r.step) };
    }
    const tail = rows.at(-1);
    if (!tail || rows.length < pageSize) return;
    // As numbers: PostgreSQL hands int8 back as strings, which must not be bound as text.
    after = {
      step: Number(tail.step),
      timestamp: Number(tail.timestamp),
      value: Number(tail.value),
      is_nan: Number(tail.is_nan),
    };
  }
}

export async function getMetricSteps(
  db: Kysely<Database>,
  runId: string,
  key: string,
  startStep?: number,
  endStep?: number,
): Promise<number[]> {
  let qb = db.selectFrom('metrics').select('step').distinct().where('run_uuid', '=', runId).where('key', '=', key);
  if (startStep !== undefined) qb = qb.where('step', '>=', startStep);
  if (endStep !== undefined) qb = qb.where('step', '<=', endStep);
  const rows = await qb.orderBy('step').execute();
  return rows.map((r) => Number(r.step));
}

export async function getMetricsAtSteps(
  db: Kysely<Database>,
  runId: string,
  key: string,
  steps: readonly number[],
): Promise<MetricWithRunId[]> {
  if (steps.length === 0) return [];
  const rows = await db
    .selectFrom('metrics')
    .select(['key', 'value', 'timestamp', 'step', 'is_nan'])
    .where('run_uuid', '=', runId)
    .where('key', '=', key)
    .where('step', 'in', [...steps])
    .orderBy('step')
    .orderBy('timestamp')
    .orderBy('value')
    .execute();
  return rows.map((r) => ({
    runId,
    key: r.key,
    value: metricValue(r.value, r.is_nan),
    timestamp: Number(r.timestamp),
    step: Number(r.step),
  }));
}
