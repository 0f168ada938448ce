import { type Compilable, type Expression, type Kysely, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { BulkColumn, BulkRow, MergeGroup, SqlDialect } from './dialect.ts';

/** Each rollup width is this many times the one below it. */
export const ROLLUP_FACTOR = 32;

/**
 * Step-bucket widths of the metric rollups, finest first. A downsampled read of a range R steps
 * wide into n buckets reads the coarsest width ≤ R/n: between n and 32·n rows whatever the
 * history's length, up to R ≈ 32·n·32768 (5·10⁸ steps for n = 500); wider ranges read R/32768
 * rows. Every width costs an upserted row per key and logged request, and the finest one more per
 * 32 steps a request spans, so there are few widths, far apart: with factor 16 and five widths a
 * 1000-point log-batch wrote twice the rollup rows, and SQLite ingest over HTTP lost ~30%.
 */
export const ROLLUP_WIDTHS: readonly number[] = [32, 32 * ROLLUP_FACTOR, 32 * ROLLUP_FACTOR ** 2];

/** A bucket's extreme point: its stored value (0 for NaN), step and timestamp. */
export interface ExtremePoint {
  value: number;
  step: number;
  timestamp: number;
}

/** One bucket's extremes; a group is absent when the bucket has no such point. */
export interface BucketExtremes {
  min?: ExtremePoint | undefined;
  max?: ExtremePoint | undefined;
  nan?: ExtremePoint | undefined;
}

const ROLLUP_COLUMNS: readonly BulkColumn[] = [
  { name: 'run_uuid', type: 'text' },
  { name: 'key', type: 'text' },
  { name: 'width', type: 'bigint' },
  { name: 'bucket', type: 'bigint' },
  { name: 'min_value', type: 'double' },
  { name: 'min_step', type: 'bigint' },
  { name: 'min_timestamp', type: 'bigint' },
  { name: 'max_value', type: 'double' },
  { name: 'max_step', type: 'bigint' },
  { name: 'max_timestamp', type: 'bigint' },
  { name: 'nan_step', type: 'bigint' },
  { name: 'nan_timestamp', type: 'bigint' },
];

/**
 * The least value wins the min group, the greatest the max group, ties going to the latest point
 * (greatest step, then timestamp); the latest point wins the NaN group. Merging is idempotent and
 * order-free: a retried or re-imported point changes nothing, and the rollups of a set of points
 * are the same whichever way they arrived. The backfill below and wins() follow the same order.
 */
const ROLLUP_MERGE: { key: readonly string[]; groups: readonly MergeGroup[] } = {
  key: ['run_uuid', 'key', 'width', 'bucket'],
  groups: [
    { order: [{ name: 'min_value', negated: true }, { name: 'min_step' }, { name: 'min_timestamp' }] },
    { order: [{ name: 'max_value' }, { name: 'max_step' }, { name: 'max_timestamp' }] },
    { order: [{ name: 'nan_step' }, { name: 'nan_timestamp' }] },
  ],
};

/** Whether `candidate` replaces `current` as the bucket's extreme of `group`. */
export function wins(group: keyof BucketExtremes, candidate: ExtremePoint, current: ExtremePoint): boolean {
  if (group !== 'nan' && candidate.value !== current.value) {
    return group === 'max' ? candidate.value > current.value : candidate.value < current.value;
  }
  if (candidate.step !== current.step) return candidate.step > current.step;
  return candidate.timestamp > current.timestamp;
}

/** Offers a point to a bucket's group, copying it in (callers reuse their point objects). */
export function offer(extremes: BucketExtremes, group: keyof BucketExtremes, point: ExtremePoint): void {
  const current = extremes[group];
  if (!current) extremes[group] = { value: point.value, step: point.step, timestamp: point.timestamp };
  else if (wins(group, point, current)) {
    current.value = point.value;
    current.step = point.step;
    current.timestamp = point.timestamp;
  }
}

function merge(into: BucketExtremes, from: BucketExtremes): void {
  if (from.min) offer(into, 'min', from.min);
  if (from.max) offer(into, 'max', from.max);
  if (from.nan) offer(into, 'nan', from.nan);
}

interface History {
  readonly runId: string;
  readonly key: string;
  readonly finest: Map<number, BucketExtremes>;
}

/**
 * The rollup rows for points given as metric rows in the `metrics` column order (run_uuid, key,
 * value, timestamp, step, is_nan, …) with stored values: one row per run, key, width and bucket
 * (a statement may not touch the same row twice). This runs for every logged batch, hence the
 * numeric bucket keys and the reused point object.
 */
export function metricRollupRows(rows: readonly BulkRow[]): BulkRow[] {
  const histories = new Map<string, Map<string, History>>();
  const finestWidth = ROLLUP_WIDTHS[0]!;
  const point: ExtremePoint = { value: 0, step: 0, timestamp: 0 };
  let history: History | undefined;
  for (const row of rows) {
    const runId = row[0] as string;
    const key = row[1] as string;
    // Batches mostly carry one key's points together: skip the lookups while the key stays the same.
    if (history?.key !== key || history.runId !== runId) {
      let keys = histories.get(runId);
      if (!keys) histories.set(runId, (keys = new Map()));
      history = keys.get(key);
      if (!history) keys.set(key, (history = { runId, key, finest: new Map() }));
    }
    point.value = row[2] as number;
    point.timestamp = row[3] as number;
    point.step = row[4] as number;
    const bucket = Math.floor(point.step / finestWidth);
    let extremes = history.finest.get(bucket);
    if (!extremes) history.finest.set(bucket, (extremes = {}));
    if (row[5]) offer(extremes, 'nan', point);
    else {
      offer(extremes, 'min', point);
      offer(extremes, 'max', point);
    }
  }
  const out: BulkRow[] = [];
  for (const keys of histories.values()) {
    for (const { runId, key, finest } of keys.values()) {
      let level = finest;
      for (let i = 0; i < ROLLUP_WIDTHS.length; i++) {
        const next = new Map<number, BucketExtremes>();
        for (const [bucket, e] of level) {
          out.push([
            runId,
            key,
            ROLLUP_WIDTHS[i]!,
            bucket,
            e.min?.value ?? null,
            e.min?.step ?? null,
            e.min?.timestamp ?? null,
            e.max?.value ?? null,
            e.max?.step ?? null,
            e.max?.timestamp ?? null,
            e.nan?.step ?? null,
            e.nan?.timestamp ?? null,
          ]);
          // A coarse bucket's extremes are the extremes of its fine buckets' extremes.
          const coarse = Math.floor(bucket / ROLLUP_FACTOR);
          let merged = next.get(coarse);
          if (!merged) next.set(coarse, (merged = {}));
          merge(merged, e);
        }
        level = next;
      }
    }
  }
  return out;
}

/** Merges the points' extremes into the rollups, in the caller's transaction. */
export async function writeMetricRollups(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any store's connection or transaction
  db: Kysely<any>,
  dialect: SqlDialect,
  metricRows: readonly BulkRow[],
): Promise<void> {
  if (metricRows.length === 0) return;
  await dialect.upsertGreatestPerGroup(
    db,
    'metric_rollups',
    ROLLUP_COLUMNS,
    metricRollupRows(metricRows),
    ROLLUP_MERGE,
  );
}

/** floor(value / divisor) in integer arithmetic on every engine (`/` truncates toward zero on two of them). */
export function floorDivision(value: Expression<number>, divisor: number): RawBuilder<number> {
  const d = sql.lit(divisor);
  return sql<number>`((${value} - ((${value} % ${d}) + ${d}) % ${d}) / ${d})`;
}

/** Where a backfill reads one group's candidates from, and how they rank (best first). */
interface GroupSource {
  readonly value: RawBuilder<unknown>;
  readonly step: string;
  readonly timestamp: string;
  readonly present: RawBuilder<SqlBool>;
  readonly order: RawBuilder<unknown>;
}

/**
 * Statements that fill empty rollups from the `metrics` table: the finest width from the points,
 * each coarser one from the width below. Each group's winner per bucket is picked by
 * row_number() in the order the incremental merge keeps, and the groups meet on the bucket list
 * by left joins. Used by migration 8 and by dump loads whose dump predates the rollups; constants
 * are inlined (migrations are checksummed over parameter-free SQL).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- DDL-time statements address the tables untyped
export function rollupBackfill(db: Kysely<any>): Compilable[] {
  const ref = (name: string) => sql.ref<number>(name);
  const statements: Compilable[] = [];
  for (let i = 0; i < ROLLUP_WIDTHS.length; i++) {
    const width = ROLLUP_WIDTHS[i]!;
    const fromPoints = i === 0;
    const table = fromPoints ? 'metrics' : 'metric_rollups';
    const bucket = fromPoints ? floorDivision(ref('step'), width) : floorDivision(ref('bucket'), ROLLUP_FACTOR);
    const source = fromPoints
      ? db.selectFrom('metrics')
      : db.selectFrom(table).where('width', '=', sql.lit(ROLLUP_WIDTHS[i - 1]!));
    const groups: Record<keyof BucketExtremes, GroupSource> = fromPoints
      ? {
          min: {
            value: sql`value`,
            step: 'step',
            timestamp: 'timestamp',
            present: sql<SqlBool>`is_nan = 0`,
            order: sql`value asc, step desc, ${ref('timestamp')} desc`,
          },
          max: {
            value: sql`value`,
            step: 'step',
            timestamp: 'timestamp',
            present: sql<SqlBool>`is_nan = 0`,
            order: sql`value desc, step desc, ${ref('timestamp')} desc`,
          },
          nan: {
            value: sql`0`,
            step: 'step',
            timestamp: 'timestamp',
            present: sql<SqlBool>`is_nan = 1`,
            order: sql`step desc, ${ref('timestamp')} desc`,
          },
        }
      : {
          min: {
            value: sql`min_value`,
            step: 'min_step',
            timestamp: 'min_timestamp',
            present: sql<SqlBool>`min_value is not null`,
            order: sql`min_value asc, min_step desc, min_timestamp desc`,
          },
          max: {
            value: sql`max_value`,
            step: 'max_step',
            timestamp: 'max_timestamp',
            present: sql<SqlBool>`max_value is not null`,
            order: sql`max_value desc, max_step desc, max_timestamp desc`,
          },
          nan: {
            value: sql`0`,
            step: 'nan_step',
            timestamp: 'nan_timestamp',
            present: sql<SqlBool>`nan_step is not null`,
            order: sql`nan_step desc, nan_timestamp desc`,
          },
        };
    const winners = (g: GroupSource, alias: string) =>
      db
        .selectFrom(
          source
            .select([
              'run_uuid',
              'key',
              bucket.as('bucket'),
              sql`${g.value}`.as('value'),
              sql.ref(g.step).as('step'),
              sql.ref(g.timestamp).as('ts'),
              sql`row_number() over (partition by run_uuid, ${ref('key')}, ${bucket} order by ${g.order})`.as('pick'),
            ])
            .where(g.present)
            .as('ranked'),
        )
        .select(['run_uuid', 'key', 'bucket', 'value', 'step', 'ts'])
        .where('pick', '=', sql.lit(1))
        .as(alias);
    const buckets = source
      .select(['run_uuid', 'key', bucket.as('bucket')])
      .distinct()
      .as('b');
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- joins of untyped derived tables
    const on = (alias: string) => (join: any) =>
      join
        .onRef(`${alias}.run_uuid`, '=', 'b.run_uuid')
        .onRef(`${alias}.key`, '=', 'b.key')
        .onRef(`${alias}.bucket`, '=', 'b.bucket');
    statements.push(
      db
        .insertInto('metric_rollups')
        .columns(ROLLUP_COLUMNS.map((c) => c.name))
        .expression(
          db
            .selectFrom(buckets)
            .leftJoin(winners(groups.min, 'mn'), on('mn'))
            .leftJoin(winners(groups.max, 'mx'), on('mx'))
            .leftJoin(winners(groups.nan, 'nn'), on('nn'))
            .select([
              'b.run_uuid',
              'b.key',
              sql.lit(width).as('width'),
              'b.bucket',
              'mn.value as min_value',
              'mn.step as min_step',
              'mn.ts as min_timestamp',
              'mx.value as max_value',
              'mx.step as max_step',
              'mx.ts as max_timestamp',
              'nn.step as nan_step',
              'nn.ts as nan_timestamp',
            ]),
        ),
    );
  }
  return statements;
}
