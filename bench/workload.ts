/**
 * The metric points every part of the ingest benchmark writes: the same rows go through log-batch
 * over HTTP and straight into each engine, so the two rates compare like for like.
 *
 * A batch is one training-loop flush: 100 consecutive steps × 10 keys = 1000 points, for the run of
 * one client. Client c sends batches c, c + clients, c + 2·clients, … in order, so each run's steps
 * keep growing from one batch to the next (every batch also moves latest_metrics forward).
 */
import { randomBytes } from 'node:crypto';

export const VALUES_PER_BATCH = 1000;
export const KEYS = Array.from({ length: 10 }, (_, k) => `train/metric_${k}`);
const STEPS_PER_BATCH = VALUES_PER_BATCH / KEYS.length;
const T0 = 1_700_000_000_000;

/** BENCH_VALUES (default 100,000), rounded to whole batches of 1000. */
export function batchCount(): number {
  const values = Number(process.env.BENCH_VALUES ?? 100_000);
  if (!Number.isFinite(values) || values < VALUES_PER_BATCH) {
    throw new Error(`BENCH_VALUES must be a number ≥ ${VALUES_PER_BATCH}, got ${process.env.BENCH_VALUES}`);
  }
  return Math.round(values / VALUES_PER_BATCH);
}

export interface MetricPoint {
  readonly key: string;
  readonly value: number;
  readonly timestamp: number;
  readonly step: number;
}

/** A value in [0, 1) that depends only on (batch, index): the same on every engine and run. */
function valueAt(batch: number, index: number): number {
  let h = Math.imul(batch ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** The 1000 points of batch `batch` when `clients` clients share the batches round-robin. */
export function batchMetrics(batch: number, clients: number): MetricPoint[] {
  const firstStep = Math.floor(batch / clients) * STEPS_PER_BATCH;
  const points: MetricPoint[] = [];
  for (let s = 0; s < STEPS_PER_BATCH; s++) {
    const step = firstStep + s;
    for (let k = 0; k < KEYS.length; k++) {
      points.push({ key: KEYS[k]!, value: valueAt(batch, points.length), timestamp: T0 + step * 100, step });
    }
  }
  return points;
}

/** Run ids shaped like Plumb's (32 hex digits), for the raw inserts that have no server to make them. */
export function rawRunIds(count: number): string[] {
  return Array.from({ length: count }, () => randomBytes(16).toString('hex'));
}
