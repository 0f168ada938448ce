import { type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import type { Metric } from '../../core/entities.ts';
import type { DownsampledHistory, DownsampleRequest } from '../store.ts';
import {
  assemble,
  BucketFold,
  coverSteps,
  planBuckets,
  type StepPiece,
  type StoredPoint,
} from './metric-downsample.ts';
import { ROLLUP_WIDTHS } from './metric-rollups.ts';
import { metricValue } from './run-queries.ts';
import type { SqlDialect } from './dialect.ts';
import type { Database } from './schema.ts';

/**
 * Points read one by one when the range is too narrow for the finest rollups. Past this many
 * (many points share a step) the finest rollups serve instead, with fewer, wider buckets.
 */
const MAX_RAW_POINTS = 20_000;

type PointQuery = SelectQueryBuilder<Database, 'metrics', Pick<Database['metrics'], PointColumn>>;
type PointColumn = 'step' | 'timestamp' | 'value' | 'is_nan';
const POINT_COLUMNS: readonly PointColumn[] = ['step', 'timestamp', 'value', 'is_nan'];

function pointsOf(db: Kysely<Database>, runId: string, key: string, from?: number, to?: number): PointQuery {
  let query = db.selectFrom('metrics').select(POINT_COLUMNS).where('run_uuid', '=', runId).where('key', '=', key);
  if (from !== undefined) query = query.where('step', '>=', from);
  if (to !== undefined) query = query.where('step', '<=', to);
  return query;
}

function toPoint(row: { step: number; timestamp: number; value: number; is_nan: number }): StoredPoint {
  return { step: Number(row.step), timestamp: Number(row.timestamp), value: Number(row.value), isNan: !!row.is_nan };
}

function toMetric(key: string, p: StoredPoint): Metric {
  return { key, value: metricValue(p.value, p.isNan), timestamp: p.timestamp, step: p.step };
}

/**
 * A chart's view of one history: every point when the range holds at most `maxPoints`, else per
 * step bucket the points with the least and greatest value and the latest NaN, plus the range's
 * first and last points, read from the rollups (a few thousand rows for any history length).
 */
export async function getMetricHistoryDownsampled(
  db: Kysely<Database>,
  dialect: SqlDialect,
  runId: string,
  key: string,
  request: DownsampleRequest,
): Promise<DownsampledHistory> {
  const { startStep, endStep, maxPoints } = request;
  const inRange = () => pointsOf(db, runId, key, startStep, endStep);
  // Counting in SQL first: materialising maxPoints + 1 rows only to learn there are more costs more.
  const counted = await db
    .selectFrom(
      inRange()
        .limit(maxPoints + 1)
        .as('head'),
    )
    .select(sql<number | string>`count(*)`.as('n'))
    .executeTakeFirstOrThrow();
  if (Number(counted.n) <= maxPoints) {
    const all = await ordered(inRange(), 'asc').execute();
    return { items: all.map((row) => toMetric(key, toPoint(row))) };
  }
  const first = toPoint(await ordered(inRange(), 'asc').limit(1).executeTakeFirstOrThrow());
  const last = toPoint(await ordered(inRange(), 'desc').limit(1).executeTakeFirstOrThrow());
  let { level, bucketWidth } = planBuckets(first.step, last.step, maxPoints);
  let fold: BucketFold | undefined;
  if (level === 1) {
    const raw = await readPoints(dialect, pointsOf(db, runId, key, first.step, last.step).limit(MAX_RAW_POINTS + 1));
    if (raw.length <= MAX_RAW_POINTS) {
      fold = new BucketFold(bucketWidth);
      for (const point of raw) fold.addPoint(point);
    } else {
      level = ROLLUP_WIDTHS[0]!;
      bucketWidth = Math.ceil(bucketWidth / level) * level;
    }
  }
  if (!fold) {
    fold = new BucketFold(bucketWidth);
    await foldPieces(db, dialect, runId, key, coverSteps(first.step, last.step, level), fold);
  }
  const result = assemble(fold, { first, last }, maxPoints);
  return { items: result.points.map((p) => toMetric(key, p)), bucketWidth: result.bucketWidth };
}

/** Points in the order the query yields them, as arrays where the dialect reads those faster. */
async function readPoints(dialect: SqlDialect, query: PointQuery): Promise<StoredPoint[]> {
  if (!dialect.selectArrays) return (await query.execute()).map(toPoint);
  // POINT_COLUMNS order: step, timestamp, value, is_nan.
  return (await dialect.selectArrays(query)).map((r) => ({
    step: Number(r[0]),
    timestamp: Number(r[1]),
    value: Number(r[2]),
    isNan: !!r[3],
  }));
}

function ordered(query: PointQuery, direction: 'asc' | 'desc'): PointQuery {
  return query
    .orderBy('step', direction)
    .orderBy('timestamp', direction)
    .orderBy('value', direction)
    .orderBy('is_nan', direction);
}

const ROLLUP_READ_COLUMNS = [
  'min_value',
  'min_step',
  'min_timestamp',
  'max_value',
  'max_step',
  'max_timestamp',
  'nan_step',
  'nan_timestamp',
] as const;

/** Every piece's extremes into `fold`: rollup rows in one UNION ALL (each branch an index range), raw points beside. */
async function foldPieces(
  db: Kysely<Database>,
  dialect: SqlDialect,
  runId: string,
  key: string,
  pieces: readonly StepPiece[],
  fold: BucketFold,
): Promise<void> {
  const raw = pieces.filter((p) => p.width === 1);
  if (raw.length > 0) {
    // One branch per end: under an OR of two step ranges the planners scan the whole history.
    let points = pointsOf(db, runId, key, raw[0]!.first, raw[0]!.last);
    for (const piece of raw.slice(1)) points = points.unionAll(pointsOf(db, runId, key, piece.first, piece.last));
    for (const point of await readPoints(dialect, points)) fold.addPoint(point);
  }
  const rolled = pieces.filter((p) => p.width > 1);
  if (rolled.length === 0) return;
  const branch = (p: StepPiece) =>
    db
      .selectFrom('metric_rollups')
      .select(ROLLUP_READ_COLUMNS)
      .where('run_uuid', '=', runId)
      .where('key', '=', key)
      .where('width', '=', p.width)
      .where('bucket', '>=', p.first)
      .where('bucket', '<=', p.last);
  let query = branch(rolled[0]!);
  for (const piece of rolled.slice(1)) query = query.unionAll(branch(piece));
  if (dialect.selectArrays) {
    for (const row of await dialect.selectArrays(query)) fold.addRollupRow(row);
  } else {
    for (const row of await query.execute()) fold.addRollupRow(ROLLUP_READ_COLUMNS.map((c) => row[c]));
  }
}
