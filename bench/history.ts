/**
 * Metric-history reads at scale, on a fresh server: metrics/get-history of a 100,000-point history
 * (streamed from keyset pages), and Plumb's downsampled read of a 1,000,000-point history to 1000
 * points, whole and zoomed into its middle half. Both histories are logged with log-batch (1000
 * points a request, LOADERS requests in flight), the path clients take, so the rollups the
 * downsampled read uses are the ones ingest maintains. Every answer is checked: all points in
 * order, the budget kept, and the one spike of the 1M history present.
 */
import { performance } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type Engine, ENGINES, probe, startPlumb } from './engines.ts';
import {
  createExperiment,
  createRun,
  int,
  type Latency,
  ms,
  pool,
  postJson,
  sampleLatency,
  type TableRow,
  table,
} from './util.ts';

export const LONG_HISTORY = 1_000_000;
const SHORT_HISTORY = 100_000;
const POINTS_PER_BATCH = 1000;
const LOADERS = 4;
export const MAX_POINTS = 1000;
const SPIKE_STEP = 654_321;
const SPIKE_VALUE = 1e9;
const SAMPLES = Number(process.env.BENCH_SEARCH_SAMPLES ?? 40);
/** Each 100k-point read moves megabytes: fewer samples keep the block short. */
const FULL_HISTORY_SAMPLES = Math.max(5, Math.round(SAMPLES / 4));
const WARMUP = 3;

export interface HistoryQuery {
  readonly label: string;
  readonly latency: Latency;
  readonly returned: number;
}

export interface HistoryResult {
  readonly loadSeconds: number;
  readonly queries: readonly HistoryQuery[];
}

/** A slowly varying curve with noise: every bucket has a distinct least and greatest value. */
function valueAt(step: number): number {
  if (step === SPIKE_STEP) return SPIKE_VALUE;
  return Math.exp(-step / 300_000) + 0.01 * Math.sin(step * 12.9898);
}

async function logHistory(baseUrl: string, runId: string, points: number): Promise<void> {
  await pool(points / POINTS_PER_BATCH, LOADERS, async (batch) => {
    const metrics = Array.from({ length: POINTS_PER_BATCH }, (_, i) => {
      const step = batch * POINTS_PER_BATCH + i;
      return { key: 'loss', value: valueAt(step), timestamp: 1_700_000_000_000 + step, step };
    });
    await postJson(baseUrl, 'runs/log-batch', JSON.stringify({ run_id: runId, metrics }));
  });
}

async function getJson(url: string): Promise<{ metrics?: { step: number; value: number | string }[] }> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as { metrics?: { step: number; value: number | string }[] };
}

async function downsampledQuery(baseUrl: string, runId: string, label: string, range: string): Promise<HistoryQuery> {
  const url = `${baseUrl}/api/2.0/plumb/metrics/get-history-downsampled?run_id=${runId}&metric_key=loss&max_points=${MAX_POINTS}${range}`;
  let metrics: { step: number; value: number | string }[] = [];
  const latency = await sampleLatency(SAMPLES, WARMUP, async () => {
    metrics = (await getJson(url)).metrics ?? [];
  });
  if (metrics.length > MAX_POINTS || metrics.length < MAX_POINTS / 2) {
    throw new Error(`${label}: ${metrics.length} points for a budget of ${MAX_POINTS}`);
  }
  if (!metrics.some((m) => m.step === SPIKE_STEP && m.value === SPIKE_VALUE)) {
    throw new Error(`${label}: the spike at step ${SPIKE_STEP} is missing`);
  }
  return { label, latency, returned: metrics.length };
}

async function historyOn(baseUrl: string): Promise<HistoryResult> {
  const started = performance.now();
  const experimentId = await createExperiment(baseUrl, 'history');
  const [shortRun, longRun] = [await createRun(baseUrl, experimentId), await createRun(baseUrl, experimentId)];
  await logHistory(baseUrl, shortRun, SHORT_HISTORY);
  await logHistory(baseUrl, longRun, LONG_HISTORY);
  const loadSeconds = (performance.now() - started) / 1000;

  let points = 0;
  const full = await sampleLatency(FULL_HISTORY_SAMPLES, 1, async () => {
    const { metrics } = await getJson(
      `${baseUrl}/api/2.0/mlflow/metrics/get-history?run_id=${shortRun}&metric_key=loss`,
    );
    if (!metrics?.every((m, i) => m.step === i)) throw new Error('get-history: points missing or out of order');
    points = metrics.length;
  });
  if (points !== SHORT_HISTORY) throw new Error(`get-history returned ${points} points, ${SHORT_HISTORY} logged`);
  return {
    loadSeconds,
    queries: [
      {
        label: `metrics/get-history, ${int(SHORT_HISTORY)}-point history, no max_results`,
        latency: full,
        returned: points,
      },
      await downsampledQuery(baseUrl, longRun, `plumb/…/get-history-downsampled, ${int(LONG_HISTORY)} points`, ''),
      await downsampledQuery(
        baseUrl,
        longRun,
        `plumb/…/get-history-downsampled, steps ${int(LONG_HISTORY / 4)}–${int((LONG_HISTORY * 3) / 4)}`,
        `&start_step=${LONG_HISTORY / 4}&end_step=${(LONG_HISTORY * 3) / 4}`,
      ),
    ],
  };
}

export async function measureHistory(engine: Engine): Promise<HistoryResult> {
  const server = await startPlumb(engine);
  try {
    return await historyOn(server.baseUrl);
  } finally {
    await server.close();
  }
}

/** The block's rows for run.ts's engine table. */
export function historyRows(result: HistoryResult): TableRow[] {
  return [
    {
      heading: true,
      cells: [
        `history reads (${int(SHORT_HISTORY)} + ${int(LONG_HISTORY)} points logged in ${result.loadSeconds.toFixed(1)} s), ` +
          `downsampled to max_points ${MAX_POINTS}`,
        'returned',
        'p50',
        'p95',
      ],
    },
    ...result.queries.map((q) => ({ cells: [q.label, int(q.returned), ms(q.latency.p50), ms(q.latency.p95)] })),
  ];
}

// `node --import tsx bench/history.ts` runs this block alone, on the engines BENCH_ENGINES names (default all).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const wanted = process.env.BENCH_ENGINES?.split(',');
  for (const engine of ENGINES.filter((e) => !wanted || wanted.includes(e.id))) {
    const version = await probe(engine);
    const load = loadavg()[0]!.toFixed(1);
    const result = await measureHistory(engine);
    console.log(`== ${version}, load average ${load} → ${loadavg()[0]!.toFixed(1)} ==`);
    console.log(`${table(historyRows(result), ['left', 'right', 'right', 'right'])}\n`);
  }
}
