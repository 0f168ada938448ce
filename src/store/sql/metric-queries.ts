import type { Kysely } from 'kysely';
import type { Metric, MetricWithRunId } from '../../core/entities.ts';
import type { MetricToStore } from '../store.ts';
import type { SqlDialect } from './dialect.ts';
import { metricValue } from './run-queries.ts';
import type { Database } from './schema.ts';

const METRIC_COLUMNS = 10;

/**
 * NaN and ±Infinity have no portable SQL representation: NaN is stored as 0 with is_nan = 1 and
 * ±Infinity as ±Number.MAX_VALUE, exactly as MLflow's SQL store does, so databases stay interchangeable.
 */
function storedValue(value: number): { value: number; is_nan: number } {
  if (Number.isNaN(value)) return { value: 0, is_nan: 1 };
  if (value === Number.POSITIVE_INFINITY) return { value: Number.MAX_VALUE, is_nan: 0 };
  if (value === Number.NEGATIVE_INFINITY) return { value: -Number.MAX_VALUE, is_nan: 0 };
  return { value, is_nan: 0 };
}

/** MLflow's order for "latest": greatest step, then timestamp, then value. */
function isLater(a: MetricToStore, b: MetricToStore): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  return storedValue(a.value).value > storedValue(b.value).value;
}

export async function insertMetrics(
  db: Kysely<Database>,
  dialect: SqlDialect,
  runId: string,
  metrics: readonly MetricToStore[],
): Promise<void> {
  if (metrics.length === 0) return;
  const rows = metrics.map((m) => ({
    run_uuid: runId,
    key: m.key,
    ...storedValue(m.value),
    timestamp: m.timestamp,
    step: m.step,
    dataset_name: m.datasetName ?? null,
    dataset_digest: m.datasetDigest ?? null,
    model_id: m.modelId ?? null,
  }));
  const chunk = Math.max(1, Math.floor(dialect.maxBoundParameters / METRIC_COLUMNS));
  for (let i = 0; i < rows.length; i += chunk) {
    await dialect.insertIgnoringDuplicates(db.insertInto('metrics').values(rows.slice(i, i + chunk))).execute();
  }
  await updateLatest(db, runId, metrics);
}

/**
 * Moves each key's latest value forward. The batch is reduced to one candidate per key first,
 * because one statement may not touch the same row twice on every database.
 */
async function updateLatest(db: Kysely<Database>, runId: string, metrics: readonly MetricToStore[]): Promise<void> {
  const candidates = new Map<string, MetricToStore>();
  for (const metric of metrics) {
    const current = candidates.get(metric.key);
    if (!current || isLater(metric, current)) candidates.set(metric.key, metric);
  }
  const existing = await db
    .selectFrom('latest_metrics')
    .select(['key', 'value', 'timestamp', 'step', 'is_nan'])
    .where('run_uuid', '=', runId)
    .where('key', 'in', [...candidates.keys()])
    .execute();
  const existingByKey = new Map(existing.map((row) => [row.key, row]));
  const inserts = [];
  for (const candidate of candidates.values()) {
    const row = {
      run_uuid: runId,
      key: candidate.key,
      ...storedValue(candidate.value),
      timestamp: candidate.timestamp,
      step: candidate.step,
    };
    const stored = existingByKey.get(candidate.key);
    if (!stored) {
      inserts.push(row);
      continue;
    }
    const storedMetric = {
      key: stored.key,
      value: Number(stored.value),
      timestamp: Number(stored.timestamp),
      step: Number(stored.step),
    };
    if (isLater(candidate, storedMetric)) {
      await db
        .updateTable('latest_metrics')
        .set({ value: row.value, is_nan: row.is_nan, timestamp: row.timestamp, step: row.step })
        .where('run_uuid', '=', runId)
        .where('key', '=', candidate.key)
        .execute();
    }
  }
  if (inserts.length > 0) await db.insertInto('latest_metrics').values(inserts).execute();
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
