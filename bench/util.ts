/** Small shared pieces of `npm run bench`: the HTTP client, percentiles, a worker pool and table layout. */
import { performance } from 'node:perf_hooks';

/** POSTs a body (already JSON, so serialising stays out of the timed window) to an MLflow endpoint. */
export async function postJson(baseUrl: string, path: string, body: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${baseUrl}/api/2.0/mlflow/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

export function post(baseUrl: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  return postJson(baseUrl, path, JSON.stringify(body));
}

export async function get(baseUrl: string, path: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${baseUrl}/api/2.0/mlflow/${path}`);
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

export async function createExperiment(baseUrl: string, name: string): Promise<string> {
  const { experiment_id } = await post(baseUrl, 'experiments/create', { name });
  return experiment_id as string;
}

export async function createRun(baseUrl: string, experimentId: string, startTime?: number): Promise<string> {
  const { run } = (await post(baseUrl, 'runs/create', {
    experiment_id: experimentId,
    ...(startTime === undefined ? {} : { start_time: startTime }),
  })) as { run: { info: { run_id: string } } };
  return run.info.run_id;
}

/** Nearest-rank percentile of samples sorted ascending. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export interface Latency {
  readonly p50: number;
  readonly p95: number;
  readonly samples: number;
}

export function latencyOf(samples: readonly number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), samples: sorted.length };
}

/** Runs `work` `warmup` times untimed, then `times` times one after another, and returns its latency. */
export async function sampleLatency(times: number, warmup: number, work: () => Promise<unknown>): Promise<Latency> {
  for (let i = 0; i < warmup; i++) await work();
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    await work();
    samples.push(performance.now() - t0);
  }
  return latencyOf(samples);
}

/** Runs `work(i)` for i in [0, count) on `workers` concurrent workers. */
export async function pool(count: number, workers: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(workers, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/** Deterministic PRNG (mulberry32), so every engine gets the same values. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const int = (n: number): string => Math.round(n).toLocaleString('en');
export const ms = (n: number): string => `${n.toFixed(1)} ms`;
export const pct = (n: number): string => `${(n * 100).toFixed(1)}%`;
export const seconds = (startedMs: number): string => `${((performance.now() - startedMs) / 1000).toFixed(1)} s`;

export type Align = 'left' | 'right';

export interface TableRow {
  readonly cells: readonly string[];
  /** Printed without the indent of ordinary rows: a section's title and its column names. */
  readonly heading?: boolean;
}

/** Lays rows out in aligned columns, `align[c]` for column c (left by default). */
export function table(rows: readonly TableRow[], align: readonly Align[], indent = '  '): string {
  const columns = Math.max(0, ...rows.map((r) => r.cells.length));
  const width = (row: TableRow, c: number): number =>
    (row.cells[c] ?? '').length + (c === 0 && row.heading ? 0 : c === 0 ? indent.length : 0);
  const widths = Array.from({ length: columns }, (_, c) => Math.max(0, ...rows.map((r) => width(r, c))));
  return rows
    .map((row) =>
      row.cells
        .map((cell, c) => {
          const text = c === 0 && !row.heading ? indent + cell : cell;
          return align[c] === 'right' ? text.padStart(widths[c]!) : text.padEnd(widths[c]!);
        })
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}
