/**
 * The runs the search benchmark reads: `count` runs of 20 params (or `paramsPerRun`), `metricsPerRun` metrics and one
 * tag each, pseudo-random from a fixed seed so every engine holds the same values. Two ways to load
 * them: over HTTP (runs/create + log-batch, as clients do), and straight through the store's import
 * port in large transactions, which a 100k-run dataset needs (over HTTP it would take an hour here).
 * The second must write exactly what the first does; checkSameAsApi proves it on every bench run.
 */
import type { ImportedMetric, ImportedRun } from '../src/store/import-store.ts';
import type { MetadataStore } from '../src/store/store.ts';
import { createRun, get, pool, post, prng } from './util.ts';

export const PARAMS_PER_RUN = 20;
const PARAM_VALUES = 10;
/** The tag a "filter on a tag" query selects by: team0..team19, so one value matches ~5% of runs. */
export const TEAM_TAG = 'team';
const TEAMS = 20;
const TIMESTAMP = 1_700_000_000_000;
const HTTP_LOADERS = 8;
/** Runs per import transaction: large enough that commits do not dominate, small enough to stream. */
const RUNS_PER_TRANSACTION = 500;

export interface DatasetSpec {
  readonly runs: number;
  readonly metricsPerRun: number;
  /** PARAMS_PER_RUN unless given; at least 4 (the counted filter reads p3). */
  readonly paramsPerRun?: number;
}

interface Entry {
  readonly key: string;
  readonly value: string;
}

interface RunBody {
  readonly params: readonly Entry[];
  readonly tags: readonly Entry[];
  readonly metrics: readonly { key: string; value: number; timestamp: number; step: number }[];
}

/** What the measured queries must return, computed from the generated values. */
export interface DatasetCounts {
  /** Runs with params.p3 = 'v7' and metrics.m2 > 0.5. */
  readonly paramAndMetric: number;
  /** Runs with tags.team = 'team7'. */
  readonly team7: number;
}

/** The body of run i's log-batch; a generator so 100k runs never sit in memory at once. */
function* runBodies(spec: DatasetSpec): Generator<RunBody> {
  const random = prng(42);
  for (let i = 0; i < spec.runs; i++) {
    yield {
      params: Array.from({ length: spec.paramsPerRun ?? PARAMS_PER_RUN }, (_, p) => ({
        key: `p${p}`,
        value: `v${Math.floor(random() * PARAM_VALUES)}`,
      })),
      metrics: Array.from({ length: spec.metricsPerRun }, (_, m) => ({
        key: `m${m}`,
        value: random(),
        timestamp: TIMESTAMP,
        step: 0,
      })),
      tags: [{ key: TEAM_TAG, value: `team${Math.floor(random() * TEAMS)}` }],
    };
  }
}

function countMatches(counts: { paramAndMetric: number; team7: number }, body: RunBody): void {
  if (body.params[3]!.value === 'v7' && body.metrics[2]!.value > 0.5) counts.paramAndMetric++;
  if (body.tags[0]!.value === 'team7') counts.team7++;
}

/** What the queries must find in a dataset already loaded (the generator again, nothing written). */
export function expectedCounts(spec: DatasetSpec): DatasetCounts {
  const counts = { paramAndMetric: 0, team7: 0 };
  for (const body of runBodies(spec)) countMatches(counts, body);
  return counts;
}

/** Run i starts i seconds after the first, so the default order (start_time DESC) is total. */
const startTimeOf = (firstStart: number, i: number) => firstStart + i * 1000;

/** runs/create then one log-batch per run, HTTP_LOADERS runs at a time. */
export async function loadOverHttp(baseUrl: string, experimentId: string, spec: DatasetSpec): Promise<DatasetCounts> {
  const bodies = [...runBodies(spec)];
  const counts = { paramAndMetric: 0, team7: 0 };
  for (const body of bodies) countMatches(counts, body);
  const firstStart = Date.now() - spec.runs * 1000;
  await pool(spec.runs, HTTP_LOADERS, async (i) => {
    const runId = await createRun(baseUrl, experimentId, startTimeOf(firstStart, i));
    await post(baseUrl, 'runs/log-batch', { run_id: runId, ...bodies[i] });
  });
  return counts;
}

/**
 * The rows runs/create + log-batch would have written for run i: a RUNNING run with no user, the
 * artifact URI under the experiment's location, the mlflow.runName tag first, then the batch's
 * params, tags and metrics (each metric's one point is also its latest value).
 */
function importedRun(
  runId: string,
  i: number,
  body: RunBody,
  experimentId: number,
  location: string,
  firstStart: number,
): ImportedRun {
  const name = `bench-run-${i}`;
  const metrics: ImportedMetric[] = body.metrics.map((m) => ({ ...m, isNan: 0 }));
  return {
    runId,
    experimentId,
    name,
    userId: '',
    status: 'RUNNING',
    startTime: startTimeOf(firstStart, i),
    endTime: null,
    deletedTime: null,
    lifecycleStage: 'active',
    artifactUri: `${location.replace(/\/+$/, '')}/${runId}/artifacts`,
    params: body.params,
    tags: [{ key: 'mlflow.runName', value: name }, ...body.tags],
    metrics,
    latestMetrics: metrics,
    inputs: [],
    inputTags: [],
    outputs: [],
  };
}

/** A run id in MLflow's shape (32 hex), deterministic so every engine's runs sort alike. */
const benchRunId = (i: number) => `be9c${i.toString(16).padStart(28, '0')}`;

/**
 * Writes the runs through `store.imports` (the import port: explicit ids, every row a run owns,
 * the engine's bulk insert path) in transactions of RUNS_PER_TRANSACTION runs, as many at once as
 * the engine writes side by side.
 */
export async function loadThroughStore(
  store: MetadataStore,
  baseUrl: string,
  experimentId: string,
  spec: DatasetSpec,
  onProgress: (runs: number) => void = () => {},
): Promise<DatasetCounts> {
  const { experiment } = (await get(baseUrl, `experiments/get?experiment_id=${experimentId}`)) as {
    experiment: { artifact_location: string };
  };
  const counts = { paramAndMetric: 0, team7: 0 };
  const firstStart = Date.now() - spec.runs * 1000;
  // As many transactions at once as the engine runs side by side (1 on SQLite).
  const inFlight = new Set<Promise<void>>();
  const write = async (runs: readonly ImportedRun[]) => {
    const done = store.imports
      .write(async (tx) => {
        for (const run of runs) await tx.insertRun(run);
      })
      // SQLite's driver is synchronous: without a turn of the event loop the server's sockets
      // would go unserved for the whole load, and the client's idle connections time out.
      .then(() => new Promise<void>(setImmediate));
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done)).catch(() => {});
    if (inFlight.size >= store.imports.parallelWrites) await Promise.race(inFlight);
  };
  let batch: ImportedRun[] = [];
  let i = 0;
  for (const body of runBodies(spec)) {
    countMatches(counts, body);
    batch.push(importedRun(benchRunId(i), i, body, Number(experimentId), experiment.artifact_location, firstStart));
    i++;
    if (batch.length === RUNS_PER_TRANSACTION || i === spec.runs) {
      await write(batch);
      batch = [];
      // Early, while the HTTP connection the experiment came through is fresh.
      if (i <= RUNS_PER_TRANSACTION) {
        await Promise.all(inFlight);
        await checkSameAsApi(baseUrl, experimentId, spec);
      }
      if (i % 10_000 === 0) onProgress(i);
    }
  }
  await Promise.all(inFlight);
  return counts;
}

type WireRun = { info: Record<string, unknown>; data: Record<string, unknown>; inputs: unknown; outputs: unknown };

/** A run as runs/get returns it, without what differs between two runs of the same content. */
function comparable(run: WireRun): string {
  const { run_id, run_uuid, run_name, start_time, artifact_uri, ...info } = run.info;
  const tags = (run.data.tags as Entry[]).map((t) =>
    t.key === 'mlflow.runName' ? { key: t.key, value: '<name>' } : t,
  );
  return JSON.stringify({
    info: {
      ...info,
      has: [
        run_id === run_uuid,
        typeof run_name,
        typeof start_time,
        String(artifact_uri).endsWith(`/${String(run_id)}/artifacts`),
      ],
    },
    data: { ...run.data, tags },
    inputs: run.inputs,
    outputs: run.outputs,
  });
}

/**
 * Creates one more run over HTTP with the same content as the stored run 0 of `spec` and fails
 * when the two differ in anything but ids, name and start time: the store loader writes what the
 * API writes. The API's run is deleted again, so searches (active runs) do not see it.
 */
async function checkSameAsApi(baseUrl: string, experimentId: string, spec: DatasetSpec): Promise<void> {
  const body = runBodies({ ...spec, runs: 1 }).next().value as RunBody;
  const viaApi = await createRun(baseUrl, experimentId);
  await post(baseUrl, 'runs/log-batch', { run_id: viaApi, ...body });
  const fetch = async (runId: string) => ((await get(baseUrl, `runs/get?run_id=${runId}`)) as { run: WireRun }).run;
  const [api, stored] = [comparable(await fetch(viaApi)), comparable(await fetch(benchRunId(0)))];
  if (api !== stored)
    throw new Error(`store-loaded run differs from an API-created one:\n  api:    ${api}\n  stored: ${stored}`);
  await post(baseUrl, 'runs/delete', { run_id: viaApi });
}
