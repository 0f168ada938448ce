/**
 * Read latency of runs/search on two datasets (bench/search-data.ts): 2,000 runs × 20 params × 10
 * metrics loaded over HTTP on a fresh database, and 100,000 runs × 20 params × 50 metrics written
 * through the store and kept between runs (bench/search-dataset.ts); plus the history of one
 * 1000-point metric. Statistics are gathered after a load, as a running engine would. Each query runs a few times untimed, then SAMPLES times one after another.
 *
 * BENCH_SEARCH_LARGE_RUNS     runs in the large dataset (default 100,000; 0 leaves it out)
 * BENCH_SEARCH_LARGE_ENGINES  engines it runs on: a list of sqlite,postgres,mysql or `all` (default sqlite)
 * BENCH_SEARCH_CACHE=0        builds the large dataset afresh and drops it afterwards
 */
import type { Engine } from './engines.ts';
import { type DatasetCounts, type DatasetSpec, PARAMS_PER_RUN, TEAM_TAG } from './search-data.ts';
import { openDataset } from './search-dataset.ts';
import {
  createExperiment,
  createRun,
  get,
  int,
  type Latency,
  ms,
  post,
  postJson,
  sampleLatency,
  type TableRow,
} from './util.ts';

const SMALL: DatasetSpec = { runs: 2000, metricsPerRun: 10 };
const HISTORY_POINTS = 1000;
export const MAX_RESULTS = 100;
const SAMPLES = Number(process.env.BENCH_SEARCH_SAMPLES ?? 40);
const WARMUP = 3;

export interface SearchQuery {
  readonly label: string;
  readonly latency: Latency;
  /** Rows the query returned (runs, or history points). */
  readonly returned: number;
}

export interface SearchDataset {
  readonly spec: DatasetSpec;
  /** How the runs got there, for the heading: "loaded over HTTP in 18.3 s", "kept from an earlier run". */
  readonly loaded: string;
  readonly queries: readonly SearchQuery[];
}

export interface SearchResult {
  readonly datasets: readonly SearchDataset[];
}

/** The large dataset's size, or undefined when it is left out on `engine`. */
function largeSpec(engine: Engine): DatasetSpec | undefined {
  const runs = Number(process.env.BENCH_SEARCH_LARGE_RUNS ?? 100_000);
  const engines = (process.env.BENCH_SEARCH_LARGE_ENGINES ?? 'sqlite').split(',').map((s) => s.trim());
  if (!(runs > 0) || !(engines.includes('all') || engines.includes(engine.id))) return undefined;
  return { runs, metricsPerRun: 50 };
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

/** The four search shapes, each checked to return a full page (or every match when fewer). */
async function searchShapes(baseUrl: string, experimentId: string, counts: DatasetCounts): Promise<SearchQuery[]> {
  const page = { experiment_ids: [experimentId], max_results: MAX_RESULTS };
  const full = (matching: number) => Math.min(MAX_RESULTS, matching);
  return [
    await searchQuery(baseUrl, 'runs/search, no filter, default order', page, MAX_RESULTS),
    await searchQuery(
      baseUrl,
      "runs/search, params.p3 = 'v7' and metrics.m2 > 0.5, order by metrics.m1 DESC",
      { ...page, filter: "params.p3 = 'v7' and metrics.m2 > 0.5", order_by: ['metrics.m1 DESC'] },
      full(counts.paramAndMetric),
    ),
    await searchQuery(
      baseUrl,
      'runs/search, no filter, order by params.p5 ASC',
      { ...page, order_by: ['params.p5 ASC'] },
      MAX_RESULTS,
    ),
    await searchQuery(
      baseUrl,
      `runs/search, tags.${TEAM_TAG} = 'team7', default order`,
      { ...page, filter: `tags.${TEAM_TAG} = 'team7'` },
      full(counts.team7),
    ),
  ];
}

/** One run, in an experiment of its own, with a 1000-point history of `loss`; its read latency. */
async function historyQuery(baseUrl: string): Promise<SearchQuery> {
  const runId = await createRun(baseUrl, await createExperiment(baseUrl, 'history'));
  const metrics = Array.from({ length: HISTORY_POINTS }, (_, step) => ({
    key: 'loss',
    value: 1 / (step + 1),
    timestamp: 1_700_000_000_000 + step,
    step,
  }));
  await post(baseUrl, 'runs/log-batch', { run_id: runId, metrics });
  let points = 0;
  const latency = await sampleLatency(SAMPLES, WARMUP, async () => {
    const { metrics } = await get(baseUrl, `metrics/get-history?run_id=${runId}&metric_key=loss`);
    points = (metrics as unknown[] | undefined)?.length ?? 0;
  });
  if (points !== HISTORY_POINTS) throw new Error(`get-history returned ${points} points, ${HISTORY_POINTS} logged`);
  return { label: `metrics/get-history, ${HISTORY_POINTS}-point history`, latency, returned: points };
}

async function measureDataset(
  engine: Engine,
  spec: DatasetSpec,
  over: 'http' | 'store',
  progress: (message: string) => void,
): Promise<SearchDataset> {
  progress(`${engine.label}: search on ${int(spec.runs)} runs`);
  const dataset = await openDataset(engine, spec, over, progress);
  try {
    const { baseUrl } = dataset.server;
    const seconds = dataset.loadSeconds?.toFixed(over === 'http' ? 1 : 0);
    const loaded =
      seconds === undefined
        ? 'kept from an earlier run'
        : over === 'http'
          ? `loaded over HTTP in ${seconds} s`
          : `written through the store in ${seconds} s`;
    const queries = await searchShapes(baseUrl, dataset.experimentId, dataset.counts);
    if (over === 'http') queries.push(await historyQuery(baseUrl));
    return { spec, loaded, queries };
  } finally {
    await dataset.close();
  }
}

export async function measureSearch(engine: Engine, progress: (message: string) => void): Promise<SearchResult> {
  const datasets = [await measureDataset(engine, SMALL, 'http', progress)];
  const large = largeSpec(engine);
  if (large) datasets.push(await measureDataset(engine, large, 'store', progress));
  return { datasets };
}

/** The engine table's rows for the search results: a heading per dataset, a row per query. */
export function searchRows(result: SearchResult): TableRow[] {
  return result.datasets.flatMap((d) => [
    {
      heading: true,
      cells: [
        `reads on ${int(d.spec.runs)} runs × ${PARAMS_PER_RUN} params × ${d.spec.metricsPerRun} metrics ` +
          `(${d.loaded}), max_results ${MAX_RESULTS}`,
        'returned',
        'p50',
        'p95',
      ],
    },
    ...d.queries.map((q) => ({ cells: [q.label, int(q.returned), ms(q.latency.p50), ms(q.latency.p95)] })),
  ]);
}
