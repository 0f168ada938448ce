/**
 * `npm run bench`: ingest throughput of log-batch over HTTP against the raw SQLite insert rate on
 * this machine (the physical limit), and search/history read latency. Prints a table; numbers go
 * into bench/README.md by hand when they change.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import BetterSqlite3 from 'better-sqlite3';
import { startTestServer } from '../test/helpers/test-server.ts';

const BATCHES = Number(process.env.BENCH_BATCHES ?? 200);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 4);
const POINTS_PER_BATCH = 1000;

async function post(baseUrl: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${baseUrl}/api/2.0/mlflow/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

function rawSqliteRate(): number {
  const dir = mkdtempSync(join(tmpdir(), 'plumb-bench-raw-'));
  const db = new BetterSqlite3(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(
    'create table metrics (run_uuid text, key text, value real, timestamp integer, step integer, is_nan integer, primary key (run_uuid, key, step, timestamp, value, is_nan))',
  );
  const insert = db.prepare('insert into metrics values (?, ?, ?, ?, ?, 0)');
  const rows = BATCHES * POINTS_PER_BATCH;
  const started = performance.now();
  for (let b = 0; b < BATCHES; b++) {
    db.transaction(() => {
      for (let i = 0; i < POINTS_PER_BATCH; i++)
        insert.run(`run${b % CLIENTS}`, `k${b}`, i * 0.5, 1700000000000 + i, i);
    })();
  }
  const seconds = (performance.now() - started) / 1000;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return rows / seconds;
}

async function httpIngestRate(): Promise<{
  rate: number;
  p50: number;
  p99: number;
  baseUrl: string;
  runIds: string[];
  close: () => Promise<void>;
}> {
  const server = await startTestServer();
  const { experiment_id } = await post(server.baseUrl, 'experiments/create', { name: 'bench' });
  const runIds: string[] = [];
  for (let c = 0; c < CLIENTS; c++) {
    const { run } = (await post(server.baseUrl, 'runs/create', { experiment_id })) as {
      run: { info: { run_id: string } };
    };
    runIds.push(run.info.run_id);
  }
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    runIds.map(async (runId) => {
      while (next < BATCHES) {
        const batch = next++;
        const metrics = Array.from({ length: POINTS_PER_BATCH }, (_, i) => ({
          key: `k${batch}`,
          value: i * 0.5,
          timestamp: 1700000000000 + i,
          step: i,
        }));
        const t0 = performance.now();
        await post(server.baseUrl, 'runs/log-batch', { run_id: runId, metrics });
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    rate: (BATCHES * POINTS_PER_BATCH) / seconds,
    p50: latencies[Math.floor(latencies.length / 2)]!,
    p99: latencies[Math.floor(latencies.length * 0.99)]!,
    baseUrl: server.baseUrl,
    runIds,
    close: server.close,
  };
}

async function timeIt(label: string, times: number, work: () => Promise<unknown>): Promise<string> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    await work();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return `${label}: p50 ${samples[Math.floor(times / 2)]!.toFixed(1)} ms, max ${samples.at(-1)!.toFixed(1)} ms`;
}

const raw = rawSqliteRate();
const http = await httpIngestRate();
const lines = [
  `raw SQLite insert (prepared, ${POINTS_PER_BATCH}-row transactions, same primary key): ${Math.round(raw).toLocaleString('en')} rows/s`,
  `log-batch over HTTP (${CLIENTS} clients, ${BATCHES} × ${POINTS_PER_BATCH} metrics): ${Math.round(http.rate).toLocaleString('en')} rows/s (${((http.rate / raw) * 100).toFixed(1)}% of raw), batch latency p50 ${http.p50.toFixed(1)} ms, p99 ${http.p99.toFixed(1)} ms`,
  await timeIt('runs/search (all runs, default order)', 50, () =>
    post(http.baseUrl, 'runs/search', { experiment_ids: ['1'], max_results: 1000 }),
  ),
  await timeIt(`metrics/get-history (${POINTS_PER_BATCH} points)`, 50, () =>
    fetch(`${http.baseUrl}/api/2.0/mlflow/metrics/get-history?run_id=${http.runIds[0]}&metric_key=k0`).then((r) =>
      r.json(),
    ),
  ),
];
await http.close();
console.log(lines.join('\n'));
