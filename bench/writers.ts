/**
 * Many writers at once: W clients, each with a run of its own, send 10-value log-batch requests back
 * to back for a fixed time, as a fleet of training jobs flushing their metrics would. A 503 with
 * Retry-After is waited out and retried, as MLflow's client does; anything else that is not a 200,
 * or a request still refused after the retries, is an error. Afterwards every acknowledged point is
 * read back.
 */
import { performance } from 'node:perf_hooks';
import type { Engine } from './engines.ts';
import { type Memory, startPlumbProcess } from './server-process.ts';
import { createExperiment, createRun, get, type Latency, latencyOf } from './util.ts';

export interface WritersResult {
  readonly writers: number;
  readonly seconds: number;
  readonly requests: number;
  readonly valuesPerSecond: number;
  readonly latency: Latency;
  /** 503 answers that were retried after Retry-After (not errors: the client's retry succeeded). */
  readonly retried: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly memory: Memory;
}

const VALUES_PER_REQUEST = 10;
const MAX_ATTEMPTS = 5;

/** BENCH_WRITERS (default 200) writers for BENCH_WRITERS_SECONDS (default 30). */
export function writersSettings(): { writers: number; seconds: number } {
  const writers = Number(process.env.BENCH_WRITERS ?? 200);
  const seconds = Number(process.env.BENCH_WRITERS_SECONDS ?? 30);
  if (!(writers >= 1) || !(seconds > 0)) throw new Error('BENCH_WRITERS and BENCH_WRITERS_SECONDS must be positive');
  return { writers, seconds };
}

export async function measureWriters(engine: Engine, writers: number, seconds: number): Promise<WritersResult> {
  const server = await startPlumbProcess(engine);
  try {
    const { baseUrl } = server;
    const experimentId = await createExperiment(baseUrl, 'writers');
    const runIds: string[] = [];
    for (let w = 0; w < writers; w++) runIds.push(await createRun(baseUrl, experimentId));
    const latencies: number[] = [];
    const acknowledged = new Array<number>(writers).fill(0);
    let retried = 0;
    let errors = 0;
    let firstError: string | undefined;
    const started = performance.now();
    const deadline = started + seconds * 1000;
    await Promise.all(
      runIds.map(async (runId, w) => {
        for (let step = 0; performance.now() < deadline; step++) {
          const body = JSON.stringify({
            run_id: runId,
            metrics: Array.from({ length: VALUES_PER_REQUEST }, (_, k) => ({
              key: `m${k}`,
              value: Math.sin(step + k),
              timestamp: 1_700_000_000_000 + step,
              step,
            })),
          });
          const t0 = performance.now();
          for (let attempt = 1; ; attempt++) {
            const response = await fetch(`${baseUrl}/api/2.0/mlflow/runs/log-batch`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body,
            }).catch((error: unknown) => error as Error);
            if (!(response instanceof Error) && response.ok) {
              await response.arrayBuffer();
              acknowledged[w]!++;
              break;
            }
            if (!(response instanceof Error) && response.status === 503 && attempt < MAX_ATTEMPTS) {
              retried++;
              const wait = Number(response.headers.get('retry-after') ?? 1);
              await response.arrayBuffer();
              await new Promise((resolve) => setTimeout(resolve, wait * 1000));
              continue;
            }
            errors++;
            firstError ??= response instanceof Error ? response.message : `${response.status} ${await response.text()}`;
            break;
          }
          latencies.push(performance.now() - t0);
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const memory = server.memory();
    await checkAcknowledged(baseUrl, runIds, acknowledged);
    const requests = acknowledged.reduce((a, b) => a + b, 0);
    return {
      writers,
      seconds: elapsed,
      requests,
      valuesPerSecond: (requests * VALUES_PER_REQUEST) / elapsed,
      latency: latencyOf(latencies),
      retried,
      errors,
      firstError,
      memory,
    };
  } finally {
    await server.close();
  }
}

/** Each run holds exactly the steps its writer was told were stored (untimed). */
async function checkAcknowledged(baseUrl: string, runIds: readonly string[], acknowledged: readonly number[]) {
  for (const [w, runId] of runIds.entries()) {
    const { metrics } = await get(baseUrl, `metrics/get-history?run_id=${runId}&metric_key=m0`);
    const stored = (metrics as unknown[] | undefined)?.length ?? 0;
    if (stored !== acknowledged[w]) {
      throw new Error(`writers check: run ${runId} holds ${stored} points of m0, ${acknowledged[w]} were acknowledged`);
    }
  }
}
