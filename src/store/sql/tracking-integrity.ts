import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { OrphanRows, Sampled, StuckRun } from '../diagnostics-store.ts';

/**
 * Integrity checks of the tracking tables that read the same on Plumb's schema and on MLflow's:
 * both name the tables `runs`, `metrics`, `latest_metrics`, `params` and `tags`, key runs by
 * `run_uuid`, and keep `status`, `start_time`, `lifecycle_stage` and metric `timestamp` under
 * MLflow's names. Read-only; the callers that may write (Plumb's) add their repairs.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- checks address tables of two schemas
export type AnyDb = Kysely<any>;

/** The child tables that hang off a run, by orphan kind. */
export const RUN_CHILD_TABLES = {
  metrics: 'metrics',
  'latest-metrics': 'latest_metrics',
  // Plumb's schema only: MLflow has no such table (its checks report none).
  'metric-rollups': 'metric_rollups',
  params: 'params',
  tags: 'tags',
} as const;
export type RunChildKind = keyof typeof RUN_CHILD_TABLES;

/** `not exists (parent row)` for rows of `child` whose run is gone. */
export function runIsMissing(child: string): RawBuilder<boolean> {
  return sql<boolean>`not exists (select 1 from runs r where r.run_uuid = ${sql.ref(`${child}.run_uuid`)})`;
}

export async function orphanRunChildren(db: AnyDb, kind: RunChildKind, sampleSize: number): Promise<OrphanRows> {
  const table = RUN_CHILD_TABLES[kind];
  const count = await sql<{ n: number | string }>`
    select count(*) as n from ${sql.table(table)} where ${runIsMissing(table)}`.execute(db);
  const rows = Number(count.rows[0]?.n ?? 0);
  if (rows === 0) return { rows, missingParents: [] };
  const sample = await sql<{ run_uuid: string }>`
    select distinct ${sql.ref(`${table}.run_uuid`)} as run_uuid from ${sql.table(table)}
    where ${runIsMissing(table)} order by run_uuid limit ${sql.lit(Math.max(1, sampleSize))}`.execute(db);
  return { rows, missingParents: sample.rows.map((r) => r.run_uuid) };
}

/**
 * The condition for a stuck run `r`: active, RUNNING, started before `before` (or never), and no
 * metric point at or after `before`. Shared by the check and by the repair, so both see the same runs.
 */
export function stuckRunCondition(before: number): RawBuilder<boolean> {
  return sql<boolean>`r.status = 'RUNNING' and r.lifecycle_stage = 'active'
    and (r.start_time is null or r.start_time < ${before})
    and not exists (select 1 from metrics m where m.run_uuid = r.run_uuid and ${sql.ref('m.timestamp')} >= ${before})`;
}

export async function stuckRuns(db: AnyDb, activityBefore: number, sampleSize: number): Promise<Sampled<StuckRun>> {
  const result = await sql<{
    run_uuid: string;
    experiment_id: number | string;
    start_time: number | string | null;
    last_metric: number | string | null;
  }>`
    select r.run_uuid, r.experiment_id, r.start_time,
      (select max(${sql.ref('m.timestamp')}) from metrics m where m.run_uuid = r.run_uuid) as last_metric
    from runs r where ${stuckRunCondition(activityBefore)}`.execute(db);
  const runs = result.rows.map((row): StuckRun => {
    const startTime = row.start_time === null ? null : Number(row.start_time);
    const lastMetric = row.last_metric === null ? null : Number(row.last_metric);
    const lastActivity = startTime === null ? lastMetric : Math.max(startTime, lastMetric ?? startTime);
    return { runId: row.run_uuid, experimentId: String(row.experiment_id), startTime, lastActivity };
  });
  runs.sort((a, b) => (a.lastActivity ?? 0) - (b.lastActivity ?? 0) || (a.runId < b.runId ? -1 : 1));
  return { count: runs.length, sample: runs.slice(0, sampleSize) };
}

/** Version numbers in 1..highest that are neither present nor explained, ascending. */
export function missingVersions(
  highest: number,
  present: Iterable<number>,
  explained: Iterable<number> = [],
): number[] {
  const known = new Set([...present, ...explained]);
  const missing: number[] = [];
  for (let v = 1; v <= highest; v++) if (!known.has(v)) missing.push(v);
  return missing;
}
