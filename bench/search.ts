/**
 * Read latency on a fresh server holding 2,000 runs of ~20 params and ~10 metrics each (made with
 * runs/create + one log-batch per run, 8 at a time): three runs/search shapes and the history of
 * one 1000-point metric. Each query runs a few times untimed, then SAMPLES times one after another.
 */
import { performance } from 'node:perf_hooks';
import { type Engine, startPlumb } from './engines.ts';
import { createExperiment, createRun, get, type Latency, pool, post, postJson, prng, sampleLatency } from './util.ts';

export const SEARCH_RUNS = 2000;
export const PARAMS_PER_RUN = 20;
export const METRICS_PER_RUN = 10;
const PARAM_VALUES = 10;
const HISTORY_POINTS = 1000;
const LOADERS = 8;
export const MAX_RESULTS = 100;
const SAMPLES = Number(process.env.BENCH_SEARCH_SAMPLES ?? 40);
const WARMUP = 3;

export interface SearchQuery {
  readonly label: string;
  readonly latency: Latency;
  /** Rows the query returned (runs, or history points). */
  readonly returned: number;
}

export interface SearchResult {
  readonly loadSeconds: number;
  readonly queries: readonly SearchQuery[];
}

/**
 * 2,000 runs: params p0..p19 = 'v0'..'v9' and metrics m0..m9 in [0, 1), all pseudo-random. Returns
 * how many runs the filtered search must find.
 */
async function loadRuns(baseUrl: string, experimentId: string): Promise<number> {
  const random = prng(42);
  const bodies = Array.from({ length: SEARCH_RUNS }, () => ({
    params: Array.from({ length: PARAMS_PER_RUN }, (_, p) => ({
      key: `p${p}`,
      value: `v${Math.floor(random() * PARAM_VALUES)}`,
    })),
    metrics: Array.from({ length: METRICS_PER_RUN }, (_, m) => ({
      key: `m${m}`,
      value: random(),
      timestamp: 1_700_000_000_000,
      step: 0,
    })),
  }));
  const startTime = Date.now() - SEARCH_RUNS * 1000;
  await pool(SEARCH_RUNS, LOADERS, async (i) => {
    const runId = await createRun(baseUrl, experimentId, startTime + i * 1000);
    await post(baseUrl, 'runs/log-batch', { run_id: runId, ...bodies[i] });
  });
  return bodies.filter((b) => b.params[3]!.value === 'v7' && b.metrics[2]!.value > 0.5).length;
}

/** One run, in an experiment of its own, with a 1000-point history of `loss`. */
async function loadHistory(baseUrl: string): Promise<string> {
  const runId = await createRun(baseUrl, await createExperiment(baseUrl, 'history'));
  const metrics = Array.from({ length: HISTORY_POINTS }, (_, step) => ({
    key: 'loss',
    value: 1 / (step + 1),
    timestamp: 1_700_000_000_000 + step,
    step,
  }));
  await post(baseUrl, 'runs/log-batch', { run_id: runId, metrics });
  return runId;
}

async function searchQuery(
  baseUrl: string,
  label: string,
  request: Record<string, unknown>,
  expected: number,
): Promise<SearchQuery> {
  const body = JSON.stringify(request);
  let returned = 0;
  const latency = await sampleLatency(SAMPLES, WARMUP, async () => {
    const { runs } = await postJson(baseUrl, 'runs/search', body);
    returned = (runs as unknown[] | undefined)?.length ?? 0;
  });
  if (returned !== expected) throw new Error(`${label}: ${returned} runs returned, ${expected} expected`);
  return { label, latency, returned };
}

async function searchOn(baseUrl: string): Promise<SearchResult> {
  const started = performance.now();
  const experimentId = await createExperiment(baseUrl, 'search');
  const matching = await loadRuns(baseUrl, experimentId);
  const historyRun = await loadHistory(baseUrl);
  const loadSeconds = (performance.now() - started) / 1000;
  const page = { experiment_ids: [experimentId], max_results: MAX_RESULTS };
  const queries = [
    await searchQuery(baseUrl, 'runs/search, no filter, default order', page, MAX_RESULTS),
    await searchQuery(
      baseUrl,
      "runs/search, params.p3 = 'v7' and metrics.m2 > 0.5, order by metrics.m1 DESC",
      { ...page, filter: "params.p3 = 'v7' and metrics.m2 > 0.5", order_by: ['metrics.m1 DESC'] },
      Math.min(MAX_RESULTS, matching),
    ),
    await searchQuery(
      baseUrl,
      'runs/search, no filter, order by params.p5 ASC',
      { ...page, order_by: ['params.p5 ASC'] },
      MAX_RESULTS,
    ),
  ];
  let points = 0;
  const history = await sampleLatency(SAMPLES, WARMUP, async () => {
    const { metrics } = await get(baseUrl, `metrics/get-history?run_id=${historyRun}&metric_key=loss`);
    points = (metrics as unknown[] | undefined)?.length ?? 0;
  });
  if (points !== HISTORY_POINTS) throw new Error(`get-history returned ${points} points, ${HISTORY_POINTS} logged`);
  queries.push({ label: `metrics/get-history, ${HISTORY_POINTS}-point history`, latency: history, returned: points });
  return { loadSeconds, queries };
}

export async function measureSearch(engine: Engine): Promise<SearchResult> {
  const server = await startPlumb(engine);
  try {
    return await searchOn(server.baseUrl);
  } finally {
    await server.close();
  }
}
