/**
 * Invariant 1 (atomic writes), tried against the real thing: `plumb server` as a child process on a
 * SQLite file, a client streaming `runs/log-batch` requests of 1,000 metrics each, and SIGKILL at
 * random moments mid-stream, with a restart on the same database after each kill. The client
 * retries a batch whose request failed, with backoff until the server is back, as MLflow's clients
 * do. It talks through a proxy that delays answers a little; every other kill is timed for when an
 * answer is on its way, so some batches certainly commit, lose their answer and are sent twice.
 *
 * Batch b holds 4 keys × 250 steps, steps [250·b, 250·b + 250): the step range names the batch.
 * The batches go out in a shuffled order, so the one holding the highest steps may commit early and
 * every later commit must leave each key's latest value where it is.
 *
 * Proven after every kill (reading the file directly, the server dead): each batch has 0 or 1,000
 * points, never a part; every acknowledged batch is there; latest_metrics agrees with the history.
 * Proven at the end, through the API and directly: every batch has exactly its 1,000 points, each
 * (key, step) exactly once, although some were sent twice, and latest_metrics holds the history
 * maximum by MLflow's rule (greatest step, then timestamp, then value).
 *
 * PLUMB_CRASH_SEED=<n> replays a run's data and kill delays (timing still varies).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { LossyProxy } from '../helpers/lossy-proxy.ts';
import { type ServerProcess, sleep, startServerProcess } from '../helpers/plumb-process.ts';

const BATCHES = 120;
const KEYS = ['loss', 'accuracy', 'learning_rate', 'grad_norm'] as const;
const STEPS_PER_BATCH = 250;
const POINTS_PER_BATCH = KEYS.length * STEPS_PER_BATCH;
const KILLS = 8;
const CONCURRENCY = 3;
// Enough to outlast a restart on a loaded machine (several seconds), at one attempt a second.
const MAX_ATTEMPTS_PER_BATCH = 30;
const RETRY_BACKOFF_CAP_MS = 1_000;
const PROXY_DELAY_MS = 20;
const TEST_DEADLINE_MS = 100_000;
const REQUEST_TIMEOUT_MS = 20_000;
const T0 = 1_700_000_000_000;

interface Point {
  readonly key: string;
  readonly value: number;
  readonly timestamp: number;
  readonly step: number;
}

/** mulberry32: a small seeded PRNG, so a failing run's data can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The points of batch b: deterministic, so a retry sends exactly the same body. */
function batchPoints(b: number, random: () => number): Point[] {
  const points: Point[] = [];
  for (let i = 0; i < STEPS_PER_BATCH; i++) {
    const step = b * STEPS_PER_BATCH + i;
    for (const key of KEYS) {
      points.push({
        key,
        value: Math.round((random() * 2000 - 1000) * 1e6) / 1e6,
        timestamp: T0 + Math.floor(random() * 1e6),
        step,
      });
    }
  }
  // Out of order within the request too: the latest point is not simply the last one sent.
  for (let i = points.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [points[i], points[j]] = [points[j]!, points[i]!];
  }
  return points;
}

/** MLflow's rule for a key's latest metric: the greatest (step, timestamp, value). */
function isLater(a: Point, b: Point): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  return a.value > b.value;
}

function latestOf(points: readonly Point[]): Point | undefined {
  let latest: Point | undefined;
  for (const p of points) if (!latest || isLater(p, latest)) latest = p;
  return latest;
}

type Outcome = 'ok' | 'connection-lost' | 'retryable-status';

async function postBatch(baseUrl: string, body: string): Promise<Outcome> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl}/api/2.0/mlflow/runs/log-batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch {
    // ECONNRESET / "other side closed" mid-request, ECONNREFUSED while the server is down.
    return 'connection-lost';
  }
  const text = await response.text().catch(() => undefined);
  if (text === undefined) return 'connection-lost';
  if (response.ok) return 'ok';
  // MLflow's clients retry 429 and 5xx; anything else is a real failure of the test.
  if (response.status === 429 || response.status >= 500) return 'retryable-status';
  throw new Error(`log-batch answered ${response.status}: ${text}`);
}

async function api<T>(baseUrl: string, path: string, init?: { body: unknown }): Promise<T> {
  const response = await fetch(`${baseUrl}/api/2.0/mlflow/${path}`, {
    method: init ? 'POST' : 'GET',
    headers: init ? { 'content-type': 'application/json' } : {},
    body: init ? JSON.stringify(init.body) : null,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  assert.equal(response.status, 200, `${path}: ${text}`);
  return JSON.parse(text) as T;
}

interface BatchCount {
  readonly batch: number;
  readonly n: number;
  readonly distinctPoints: number;
}

/** What the file holds, read directly (read-only), for a run: per-batch counts and latest_metrics. */
function readDatabase(dbPath: string, runId: string) {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const batches = db
      .prepare(
        `SELECT step / ${STEPS_PER_BATCH} AS batch, COUNT(*) AS n, COUNT(DISTINCT key || ':' || step) AS distinctPoints
         FROM metrics WHERE run_uuid = ? GROUP BY step / ${STEPS_PER_BATCH}`,
      )
      .all(runId) as BatchCount[];
    const duplicates = db
      .prepare('SELECT key, step, COUNT(*) AS n FROM metrics WHERE run_uuid = ? GROUP BY key, step HAVING COUNT(*) > 1')
      .all(runId) as { key: string; step: number; n: number }[];
    const total = (db.prepare('SELECT COUNT(*) AS n FROM metrics WHERE run_uuid = ?').get(runId) as { n: number }).n;
    // The history maximum by MLflow's rule, per key, computed by the database itself.
    const historyMax = db
      .prepare(
        `SELECT key, value, timestamp, step FROM (
           SELECT key, value, timestamp, step,
                  ROW_NUMBER() OVER (PARTITION BY key ORDER BY step DESC, timestamp DESC, value DESC) AS rank
           FROM metrics WHERE run_uuid = ? AND is_nan = 0)
         WHERE rank = 1 ORDER BY key`,
      )
      .all(runId) as Point[];
    const latest = db
      .prepare('SELECT key, value, timestamp, step FROM latest_metrics WHERE run_uuid = ? ORDER BY key')
      .all(runId) as Point[];
    return { batches, duplicates, total, historyMax, latest };
  } finally {
    db.close();
  }
}

void describe('crash safety of log-batch (invariant 1) against a SIGKILLed server process', () => {
  void it(`stores each 1000-metric batch whole or not at all across ${KILLS} SIGKILLs, and retries add no duplicates`, {
    timeout: TEST_DEADLINE_MS + 30_000,
  }, async (t) => {
    const seed = Number(process.env.PLUMB_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
    t.diagnostic(`seed ${seed} (PLUMB_CRASH_SEED=${seed} replays the data and kill delays)`);
    const random = prng(seed);
    const started = Date.now();
    const deadline = started + TEST_DEADLINE_MS;
    let stopped = false;
    const checkDeadline = (what: string) => {
      if (stopped) throw new Error(`stopped while ${what}`);
      if (Date.now() > deadline) throw new Error(`deadline passed while ${what}`);
    };

    const dir = mkdtempSync(join(tmpdir(), 'plumb-crash-'));
    const dbPath = join(dir, 'mlruns.db');
    let server: ServerProcess | undefined;
    let stopProxy: (() => Promise<void>) | undefined;
    try {
      server = await startServerProcess({ dbPath, dir });
      const port = server.port;
      const { experiment_id: experimentId } = await api<{ experiment_id: string }>(
        server.baseUrl,
        'experiments/create',
        {
          body: { name: 'crash-safety' },
        },
      );
      const { run } = await api<{ run: { info: { run_id: string } } }>(server.baseUrl, 'runs/create', {
        body: { experiment_id: experimentId, start_time: T0 },
      });
      const runId = run.info.run_id;

      const points = Array.from({ length: BATCHES }, (_, b) => batchPoints(b, random));
      const bodies = points.map((metrics) => JSON.stringify({ run_id: runId, metrics, params: [], tags: [] }));
      const order = Array.from({ length: BATCHES }, (_, b) => b);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }

      // The client talks to the server through a proxy that answers ~20 ms late, as a network
      // would: a kill then often lands after a batch committed but before its answer arrived.
      const proxy = await LossyProxy.start({ upstreamPort: () => port, delayMs: PROXY_DELAY_MS });
      stopProxy = () => proxy.close();
      const queue = [...order];
      const inFlight = new Set<number>();
      const acked = new Set<number>();
      const sentMoreThanOnce = new Set<number>();
      let failedRequests = 0;

      // The client's side: send, and on a lost connection or a 429/5xx retry with backoff.
      const deliver = async (b: number): Promise<void> => {
        for (let attempt = 1; attempt <= MAX_ATTEMPTS_PER_BATCH; attempt++) {
          checkDeadline(`delivering batch ${b}`);
          if (attempt > 1) sentMoreThanOnce.add(b);
          inFlight.add(b);
          const outcome = await postBatch(proxy.baseUrl, bodies[b]!).finally(() => inFlight.delete(b));
          if (outcome === 'ok') {
            acked.add(b);
            return;
          }
          failedRequests++;
          await sleep(Math.min(RETRY_BACKOFF_CAP_MS, 25 * 2 ** attempt));
        }
        throw new Error(`batch ${b} was not delivered in ${MAX_ATTEMPTS_PER_BATCH} attempts`);
      };
      const worker = async () => {
        for (let b = queue.shift(); b !== undefined; b = queue.shift()) await deliver(b);
      };

      // Odd kills land at a random moment; even ones the moment an answer is in transit, which
      // guarantees a committed batch whose client saw only a reset and sends it again.
      const crashChecks: { moment: string; victims: number[]; committed: number[]; absent: number[] }[] = [];
      const killer = async () => {
        for (let k = 1; k <= KILLS; k++) {
          const target = acked.size + 2 + Math.floor(random() * 6);
          while (acked.size < target) {
            checkDeadline(`waiting for batches before kill ${k}`);
            if (queue.length === 0 && inFlight.size === 0) throw new Error(`the stream ended before kill ${k}`);
            await sleep(5);
          }
          const moment = k % 2 === 1 ? 'random' : 'answer in transit';
          if (moment === 'random') await sleep(Math.floor(random() * 30));
          else {
            while (proxy.heldChunks === 0) {
              checkDeadline(`waiting for an answer in transit before kill ${k}`);
              await sleep(1);
            }
          }
          const victims = [...inFlight];
          const ackedAtKill = new Set(acked);
          // Both in one tick: no held answer slips out between the kill and the resets.
          const killed = server!.kill('SIGKILL');
          proxy.resetAll();
          await killed;

          const state = readDatabase(dbPath, runId);
          const counts = new Map(state.batches.map((c) => [c.batch, c]));
          for (const c of state.batches) {
            assert.ok(
              c.n === POINTS_PER_BATCH && c.distinctPoints === POINTS_PER_BATCH,
              `after kill ${k}, batch ${c.batch} is partial: ${c.n} rows, ${c.distinctPoints} distinct points`,
            );
          }
          for (const b of ackedAtKill) assert.ok(counts.has(b), `acknowledged batch ${b} is missing after kill ${k}`);
          assert.deepEqual(state.duplicates, [], `duplicate points after kill ${k}`);
          assert.deepEqual(state.latest, state.historyMax, `latest_metrics disagrees with the history after kill ${k}`);
          const committed = victims.filter((b) => counts.has(b));
          if (moment === 'answer in transit') {
            assert.ok(
              committed.length > 0,
              `kill ${k}: an answer was in transit, so some in-flight batch had committed`,
            );
          }
          crashChecks.push({ moment, victims, committed, absent: victims.filter((b) => !counts.has(b)) });

          server = await startServerProcess({ dbPath, dir, port });
        }
      };

      const streamStarted = Date.now();
      await Promise.all([killer(), ...Array.from({ length: CONCURRENCY }, worker)]);
      const streamMs = Date.now() - streamStarted;
      const baseUrl = server!.baseUrl;

      // Every kill hit a stream with requests in flight, and every batch was finally acknowledged.
      assert.equal(crashChecks.length, KILLS);
      const victimsTotal = crashChecks.reduce((n, c) => n + c.victims.length, 0);
      assert.ok(victimsTotal > 0, 'no kill landed while a request was in flight');
      assert.equal(acked.size, BATCHES);
      // A committed batch whose answer was dropped was sent again; one whose answer slipped through
      // just before the resets was not. Each kill timed for an answer in transit dropped one.
      const committedThenResent = crashChecks.flatMap((c) => c.committed.filter((b) => sentMoreThanOnce.has(b)));
      crashChecks.forEach((c, i) => {
        if (c.moment !== 'answer in transit') return;
        assert.ok(
          c.committed.some((b) => sentMoreThanOnce.has(b)),
          `kill ${i + 1}: no batch that had committed was sent again (committed: ${c.committed.join(', ')})`,
        );
      });
      t.diagnostic(
        `stream ${streamMs} ms; ${KILLS} kills with ${victimsTotal} requests in flight: ` +
          `${committedThenResent.length} had committed before the kill and were sent again, ` +
          `${crashChecks.reduce((n, c) => n + c.absent.length, 0)} had left nothing; ` +
          `${failedRequests} failed requests, ${sentMoreThanOnce.size} batches sent more than once; ` +
          crashChecks
            .map((c, i) => `kill ${i + 1} (${c.moment}): ${c.committed.length}/${c.victims.length} committed`)
            .join(', '),
      );

      // Through the API: each key's whole history, exactly the points sent, each (key, step) once.
      const expected = new Map<string, Map<number, Point>>(KEYS.map((key) => [key, new Map()]));
      for (const p of points.flat()) expected.get(p.key)!.set(p.step, p);
      for (const key of KEYS) {
        const { metrics = [] } = await api<{ metrics?: Point[] }>(
          baseUrl,
          `metrics/get-history?run_id=${runId}&metric_key=${key}`,
        );
        assert.equal(metrics.length, BATCHES * STEPS_PER_BATCH, `history of ${key}`);
        const steps = new Set(metrics.map((m) => m.step));
        assert.equal(steps.size, metrics.length, `a step of ${key} appears twice in its history`);
        for (const m of metrics) {
          const sent = expected.get(key)!.get(m.step);
          assert.deepEqual({ ...m }, { ...sent }, `${key} at step ${m.step}`);
        }
      }
      const { run: finalRun } = await api<{ run: { data: { metrics?: Point[] } } }>(
        baseUrl,
        `runs/get?run_id=${runId}`,
      );
      const latestByKey = new Map((finalRun.data.metrics ?? []).map((m) => [m.key, m]));
      for (const key of KEYS) {
        assert.deepEqual(
          latestByKey.get(key),
          latestOf([...expected.get(key)!.values()]),
          `latest ${key} via runs/get`,
        );
      }

      // Directly in the file (the server still up: WAL readers do not block it).
      const final = readDatabase(dbPath, runId);
      assert.equal(final.total, BATCHES * POINTS_PER_BATCH);
      assert.deepEqual(final.duplicates, []);
      assert.equal(final.batches.length, BATCHES);
      for (const c of final.batches) {
        assert.equal(c.n, POINTS_PER_BATCH, `batch ${c.batch}`);
        assert.equal(c.distinctPoints, POINTS_PER_BATCH, `batch ${c.batch}`);
      }
      assert.deepEqual(final.latest, final.historyMax);
      assert.deepEqual(
        final.latest.map((p) => ({ ...p })),
        [...KEYS].sort().map((key) => ({ ...latestOf([...expected.get(key)!.values()]) })),
      );
      t.diagnostic(`total ${Date.now() - started} ms`);
    } finally {
      stopped = true;
      await stopProxy?.();
      await server?.kill('SIGTERM').catch(() => server?.kill('SIGKILL'));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
