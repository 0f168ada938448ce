import { type BucketExtremes, type ExtremePoint, offer, ROLLUP_WIDTHS } from './metric-rollups.ts';

/** A metric point as stored: NaN is `isNan` (its value is 0), ±Infinity is ±Number.MAX_VALUE. */
export interface StoredPoint {
  readonly step: number;
  readonly timestamp: number;
  readonly value: number;
  readonly isNan: boolean;
}

/** Rollup buckets `first..last` (inclusive) at `width`, or raw points when width is 1. */
export interface StepPiece {
  readonly width: number;
  readonly first: number;
  readonly last: number;
}

/**
 * Rows a read may take at full resolution before it trades resolution for speed: past this, the
 * next coarser width serves if it still yields at least half the buckets the budget allows.
 */
const MAX_FULL_RESOLUTION_ROWS = 8192;

/**
 * How a downsampled read of steps lo..hi into at most `budget` points is served: output buckets
 * `bucketWidth` steps wide (aligned at multiples of it), built from rollups `level` wide (1: the
 * points themselves). bucketWidth is a multiple of level, so each rollup bucket falls inside one
 * output bucket; two points per bucket plus the first and last of the range fit the budget. The
 * level is the coarsest width that keeps full resolution (between n and 32·n rows for n buckets),
 * or the next one up when that would read more than MAX_FULL_RESOLUTION_ROWS and still gives at
 * least n/2 buckets (a range just too narrow for a width would otherwise read 32 times the rows).
 */
export function planBuckets(lo: number, hi: number, budget: number): { level: number; bucketWidth: number } {
  const buckets = Math.floor((budget - 2) / 2);
  const span = hi - lo + 1;
  // With width ≥ span/(buckets−1), aligned buckets over lo..hi number at most `buckets`.
  const wanted = Math.max(1, Math.ceil(span / Math.max(1, buckets - 1)));
  const finer = ROLLUP_WIDTHS.filter((w) => w <= wanted);
  let level = finer.at(-1) ?? 1;
  const coarser = ROLLUP_WIDTHS[finer.length];
  if (span / level > MAX_FULL_RESOLUTION_ROWS && coarser !== undefined && coarser <= 2 * wanted) level = coarser;
  return { level, bucketWidth: Math.ceil(wanted / level) * level };
}

/**
 * Covers steps lo..hi exactly with rollup buckets that lie wholly inside it, coarsest first:
 * whole buckets at `level`, the uncovered ends with the next finer width, and so on; what is left
 * below the finest width is read as raw points (width 1). At most ROLLUP_FACTOR − 1 buckets per
 * finer width and end, and as many steps of points.
 */
export function coverSteps(lo: number, hi: number, level: number): StepPiece[] {
  const widths = [1, ...ROLLUP_WIDTHS.filter((w) => w <= level)];
  const pieces: StepPiece[] = [];
  const cover = (from: number, to: number, index: number): void => {
    if (from > to) return;
    const width = widths[index]!;
    if (width === 1) {
      pieces.push({ width: 1, first: from, last: to });
      return;
    }
    const first = Math.ceil(from / width);
    const last = Math.floor((to + 1) / width) - 1;
    if (first > last) {
      cover(from, to, index - 1);
      return;
    }
    pieces.push({ width, first, last });
    cover(from, first * width - 1, index - 1);
    cover((last + 1) * width, to, index - 1);
  };
  cover(lo, hi, widths.length - 1);
  return pieces;
}

/**
 * The extremes of each output bucket, keyed by floor(step / bucketWidth). Rollup rows come in
 * whole (each lies inside one output bucket); raw points are candidates for the least and the
 * greatest value, or for the NaN.
 */
export class BucketFold {
  readonly buckets = new Map<number, BucketExtremes>();

  constructor(readonly bucketWidth: number) {}

  private at(step: number): BucketExtremes {
    const bucket = Math.floor(step / this.bucketWidth);
    let extremes = this.buckets.get(bucket);
    if (!extremes) this.buckets.set(bucket, (extremes = {}));
    return extremes;
  }

  addPoint(point: StoredPoint): void {
    const extremes = this.at(point.step);
    if (point.isNan) offer(extremes, 'nan', point);
    else {
      offer(extremes, 'min', point);
      offer(extremes, 'max', point);
    }
  }

  /** A scratch point: offer() copies what it keeps, so one object serves every row read. */
  private readonly scratch: ExtremePoint = { value: 0, step: 0, timestamp: 0 };

  /**
   * One rollup row's three groups, as the columns come (min value, step, timestamp, max value,
   * step, timestamp, NaN step, timestamp; NULL where the bucket has no such point). Thousands of
   * rows per read: no object per row.
   */
  addRollupRow(row: readonly unknown[]): void {
    const p = this.scratch;
    if (row[1] !== null) {
      [p.value, p.step, p.timestamp] = [Number(row[0]), Number(row[1]), Number(row[2])];
      offer(this.at(p.step), 'min', p);
    }
    if (row[4] !== null) {
      [p.value, p.step, p.timestamp] = [Number(row[3]), Number(row[4]), Number(row[5])];
      offer(this.at(p.step), 'max', p);
    }
    if (row[6] !== null) {
      [p.value, p.step, p.timestamp] = [0, Number(row[6]), Number(row[7])];
      offer(this.at(p.step), 'nan', p);
    }
  }

  addExtremes(from: BucketExtremes): void {
    if (from.min) offer(this.at(from.min.step), 'min', from.min);
    if (from.max) offer(this.at(from.max.step), 'max', from.max);
    if (from.nan) offer(this.at(from.nan.step), 'nan', from.nan);
  }
}

const identity = (p: StoredPoint) => `${p.step}:${p.timestamp}:${p.isNan ? 'nan' : p.value}`;

function compareSteps(a: StoredPoint, b: StoredPoint): number {
  return a.step - b.step || a.timestamp - b.timestamp || Number(a.isNan) - Number(b.isNan) || a.value - b.value;
}

function pointsOf(fold: BucketFold, first: StoredPoint, last: StoredPoint): StoredPoint[] {
  const unique = new Map<string, StoredPoint>();
  const add = (p: StoredPoint) => unique.set(identity(p), p);
  add(first);
  add(last);
  for (const { min, max, nan } of fold.buckets.values()) {
    if (min) add({ ...min, isNan: false });
    if (max) add({ ...max, isNan: false });
    if (nan) add({ ...nan, value: 0, isNan: true });
  }
  return [...unique.values()].sort(compareSteps);
}

/**
 * The downsampled history in step order: per bucket its least and greatest value and its latest
 * NaN, plus the range's first and last points. NaN points are extra, so a history with NaN in
 * many buckets can overflow the budget: then buckets are merged in pairs (width doubled) until it
 * fits, which happens at most once for budgets ≥ 10.
 */
export function assemble(
  fold: BucketFold,
  ends: { first: StoredPoint; last: StoredPoint },
  budget: number,
): { points: StoredPoint[]; bucketWidth: number } {
  let current = fold;
  let points = pointsOf(current, ends.first, ends.last);
  while (points.length > budget) {
    const merged = new BucketFold(current.bucketWidth * 2);
    for (const extremes of current.buckets.values()) merged.addExtremes(extremes);
    current = merged;
    points = pointsOf(current, ends.first, ends.last);
  }
  return { points, bucketWidth: current.bucketWidth };
}
