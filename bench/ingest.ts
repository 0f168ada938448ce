/**
 * Ingest over HTTP: log-batch with 1000 metrics per request, from 1 client or from several
 * concurrent clients (each on its own run, sending its batches one after another), on a fresh
 * server. Request bodies are serialised before the clock starts, so the rate is the server's.
 */
import { performance } from 'node:perf_hooks';
import type { Engine } from './engines.ts';
import { startPlumbProcess } from './server-process.ts';
import { createExperiment, createRun, get, type Latency, latencyOf, postJson } from './util.ts';
import { batchMetrics, KEYS, VALUES_PER_BATCH } from './workload.ts';

export interface IngestResult {
  readonly clients: number;
  readonly values: number;
  readonly valuesPerSecond: number;
  /** Latency of one log-batch request. */
  readonly latency: Latency;
  /** The server's resident memory once started (idle) and its high-water mark after the run (peak), MB. */
  readonly memory: { readonly idleMb: number; readonly peakMb: number };
}

/** Untimed batches on a run of their own first, so the JIT and the connection pool are warm. */
const WARMUP_BATCHES = 5;

async function ingestOn(baseUrl: string, batches: number, clients: number): Promise<Omit<IngestResult, 'memory'>> {
  const experimentId = await createExperiment(baseUrl, `ingest-${clients}-clients`);
  const warmupRun = await createRun(baseUrl, experimentId);
  for (let b = 0; b < WARMUP_BATCHES; b++) {
    await postJson(baseUrl, 'runs/log-batch', JSON.stringify({ run_id: warmupRun, metrics: batchMetrics(b, 1) }));
  }
  const runIds: string[] = [];
  for (let c = 0; c < clients; c++) runIds.push(await createRun(baseUrl, experimentId));
  const bodies = Array.from({ length: batches }, (_, b) =>
    JSON.stringify({ run_id: runIds[b % clients], metrics: batchMetrics(b, clients) }),
  );
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    runIds.map(async (_, client) => {
      for (let b = client; b < batches; b += clients) {
        const t0 = performance.now();
        await postJson(baseUrl, 'runs/log-batch', bodies[b]!);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await checkStored(baseUrl, runIds[0]!, Math.ceil(batches / clients));
  const values = batches * VALUES_PER_BATCH;
  return { clients, values, valuesPerSecond: values / elapsed, latency: latencyOf(latencies) };
}

/** The first client's run holds every point it sent (untimed). */
async function checkStored(baseUrl: string, runId: string, batchesSent: number): Promise<void> {
  const expected = (batchesSent * VALUES_PER_BATCH) / KEYS.length;
  const { metrics } = await get(
    baseUrl,
    `metrics/get-history?run_id=${runId}&metric_key=${encodeURIComponent(KEYS[0]!)}`,
  );
  const stored = (metrics as unknown[] | undefined)?.length ?? 0;
  if (stored !== expected) throw new Error(`ingest check: ${stored} points of ${KEYS[0]} stored, ${expected} sent`);
}

/**
 * log-batch ingest of `batches` × 1000 values by `clients` clients into a fresh `plumb server`
 * process on `engine`.
 */
export async function measureIngest(engine: Engine, batches: number, clients: number): Promise<IngestResult> {
  const server = await startPlumbProcess(engine);
  try {
    // Idle: started, schema checked, one request answered (what a fresh replica holds).
    await fetch(`${server.baseUrl}/health`).then((r) => r.arrayBuffer());
    const idleMb = server.memory().rssMb;
    const result = await ingestOn(server.baseUrl, batches, clients);
    return { ...result, memory: { idleMb, peakMb: server.memory().peakMb } };
  } finally {
    await server.close();
  }
}
