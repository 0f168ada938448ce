/**
 * The replica-failover scenario of "Scale out" for the PostgreSQL and MariaDB runners: three real
 * `plumb server` processes on ONE database and artifact directory, twenty clients spreading a mixed
 * workload over them at random (log-batch of 100–500 points, runs/search filtered and ordered by a
 * metric, registry promotions on three shared models), replica #2 SIGKILLed at a third of the run
 * and restarted on its port at half. After a connection error a client moves to another replica,
 * and sends a log-batch again there, as MLflow's clients retry. With the servers stopped, the
 * database itself must show each acknowledged point once, no batch in part, latest_metrics at each
 * history's maximum, dense version numbers, aliases on existing versions and one version in
 * Production; and no answer may have been a 5xx, a 503 or a deadlock, nor any connection failed
 * but the killed replica's while it was down.
 *
 * PLUMB_REPLICA_TEST_SECONDS shortens the run while developing (the default is the issue's 60 s);
 * PLUMB_REPLICA_SEED repeats the clients' choices (timing still varies).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { type ServerProcess, sleep, startServerProcess } from '../helpers/plumb-process.ts';
import {
  type Batch,
  checkLatestMetrics,
  checkMetrics,
  checkRegistry,
  type DirectDatabase,
  makeBatch,
  type ModelLedger,
  NO_LEDGER,
  KEYS,
  MODELS,
  RUNS,
  readRows,
  T0,
} from './replica-checks.ts';

export type { DirectDatabase } from './replica-checks.ts';

export const DURATION_MS = 1000 * Number(process.env.PLUMB_REPLICA_TEST_SECONDS ?? 60);
/** Start-up (slow on a busy machine), the last requests, shutdown and the checks. */
export const TEST_TIMEOUT_MS = DURATION_MS + 120_000;
const REPLICAS = 3;
const VICTIM = 1;
const CLIENTS = 20;
const BATCH_ATTEMPTS = 3;
const REQUEST_TIMEOUT_MS = 30_000;
const KINDS = ['log-batch', 'search', 'create-model', 'create-version', 'set-alias', 'promote'] as const;

type Kind = (typeof KINDS)[number];
/** `reported`: a 5xx, a 503 or a deadlock, already on the list of problems. */
type Answer = { status: number; text: string; body: Record<string, unknown>; reported: boolean };
type Reply = Answer | { lost: string };

/** mulberry32: a small seeded PRNG, so that a failing run's choices can be repeated. */
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

async function post(baseUrl: string, rpc: string, body: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(`${baseUrl}/api/2.0/mlflow/${rpc}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return { status: response.status, text: await response.text() };
}

/** The HTTP side: every request the clients make, classified, and whatever nothing should produce. */
class Traffic {
  readonly tallies = Object.fromEntries(
    KINDS.map((k) => [k, { sent: 0, ok: 0, refused: 0, connectionErrors: 0 }]),
  ) as Record<Kind, { sent: number; ok: number; refused: number; connectionErrors: number }>;
  readonly problems: string[] = [];
  serverErrors = 0;
  victimConnectionErrors = 0;
  /** Answers from the restarted replica: it is back in service, not just listening. */
  successorAnswers = 0;
  /** The victim is out of service from just before SIGKILL until its successor answers /health. */
  readonly outage: { from?: number; to?: number } = {};
  readonly t0 = Date.now();

  constructor(private readonly baseUrls: readonly string[]) {}

  problem(line: string): void {
    if (this.problems.length < 40) this.problems.push(`+${Date.now() - this.t0} ms ${line}`);
  }

  /** A non-200 answer nothing expects, unless call() already reported it. */
  unexpected(what: string, answer: Answer): void {
    if (!answer.reported) this.problem(`${what} → ${answer.status} ${answer.text.slice(0, 300)}`);
  }

  async call(replica: number, kind: Kind, rpc: string, body: unknown): Promise<Reply> {
    const tally = this.tallies[kind];
    tally.sent += 1;
    const startedAt = Date.now();
    let answer: { status: number; text: string };
    try {
      answer = await post(this.baseUrls[replica]!, rpc, body);
    } catch (error) {
      // fetch says "fetch failed" and puts ECONNREFUSED / ECONNRESET / UND_ERR_SOCKET in the cause.
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const what = `${(error as Error).name}: ${cause?.code ?? cause?.message ?? (error as Error).message}`;
      const { from, to } = this.outage;
      const inOutage =
        replica === VICTIM && from !== undefined && Date.now() >= from && (to === undefined || startedAt <= to);
      if ((error as Error).name === 'TimeoutError' || !inOutage) {
        this.problem(`${kind} to replica ${replica}, sent at +${startedAt - this.t0} ms: ${what}`);
      } else this.victimConnectionErrors += 1;
      tally.connectionErrors += 1;
      return { lost: what };
    }
    const { status, text } = answer;
    if (replica === VICTIM && this.outage.to !== undefined) this.successorAnswers += 1;
    if (status >= 500) this.serverErrors += 1;
    const reported = status >= 500 || /deadlock|TEMPORARILY_UNAVAILABLE/i.test(text);
    const shown = typeof body === 'string' ? `(${body.length} bytes)` : JSON.stringify(body);
    if (reported) this.problem(`${kind} ${shown} to replica ${replica} → ${status} ${text.slice(0, 400)}`);
    if (status === 200) tally.ok += 1;
    else tally.refused += 1;
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON: the text is in the problem report
    }
    return { status, text, body: parsed, reported };
  }
}

interface Shared {
  readonly traffic: Traffic;
  readonly seed: number;
  readonly deadline: number;
  readonly experimentId: string;
  readonly runIds: readonly string[];
  readonly batches: Batch[];
  readonly ledgers: ReadonlyMap<string, ModelLedger>;
  /** Models some replica has confirmed exist: only those get versions, aliases and promotions. */
  readonly existing: Set<string>;
}

async function client(index: number, s: Shared): Promise<void> {
  const { traffic } = s;
  const random = prng(s.seed + index);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  let avoid = -1;
  const send = async (kind: Kind, rpc: string, body: unknown): Promise<Reply> => {
    let replica: number;
    do replica = Math.floor(random() * REPLICAS);
    while (replica === avoid);
    const reply = await traffic.call(replica, kind, rpc, body);
    // After a connection error the next request goes to another replica.
    avoid = 'lost' in reply ? replica : -1;
    return reply;
  };

  const logBatch = async () => {
    const { batch, body } = makeBatch(s.batches.length, pick(s.runIds), 100 + Math.floor(random() * 401));
    s.batches.push(batch);
    for (let attempt = 1; attempt <= BATCH_ATTEMPTS && !batch.acked; attempt++) {
      const reply = await send('log-batch', 'runs/log-batch', body);
      if ('lost' in reply) batch.maybeStored = true;
      else if (reply.status === 200) batch.acked = true;
      else return traffic.unexpected(`log-batch ${batch.id}`, reply);
    }
  };
  /** True once some replica answered: the model exists (created now or earlier). */
  const createModel = async (name: string): Promise<boolean> => {
    const reply = await send('create-model', 'registered-models/create', { name });
    if ('lost' in reply) return false;
    if (reply.status === 200) s.ledgers.get(name)!.createdModel += 1;
    else if (reply.body.error_code !== 'RESOURCE_ALREADY_EXISTS') {
      traffic.unexpected(`create-model ${name}`, reply);
      return false;
    }
    s.existing.add(name);
    return true;
  };
  const registryWrite = async (kind: Kind, name: string, rpc: string, body: Record<string, unknown>) => {
    const reply = await send(kind, rpc, body);
    const ledger = s.ledgers.get(name)!;
    if ('lost' in reply) {
      if (kind === 'create-version') ledger.lostCreates += 1;
    } else if (reply.status !== 200) traffic.unexpected(`${kind} ${JSON.stringify(body)}`, reply);
    else if (kind === 'create-version') {
      const version = Number((reply.body.model_version as { version: string }).version);
      ledger.createdVersions.push(version);
      ledger.highest = Math.max(ledger.highest, version);
    } else if (kind === 'set-alias') ledger.aliasesSet += 1;
    else ledger.promotions += 1;
  };

  // Everyone registers a model first, about seven clients per name: the creates race each other.
  const home = MODELS[index % MODELS.length]!;
  while (Date.now() < s.deadline && traffic.problems.length === 0 && !(await createModel(home)));
  while (Date.now() < s.deadline) {
    const roll = random();
    if (roll < 0.45 || s.existing.size === 0) await logBatch();
    else if (roll < 0.6) {
      await send('search', 'runs/search', {
        experiment_ids: [s.experimentId],
        filter: `metrics.${pick(KEYS)} > ${Math.floor(random() * 600) - 300} and attributes.status = 'RUNNING'`,
        order_by: [`metrics.${pick(KEYS)} DESC`],
        max_results: 50,
      });
    } else if (roll < 0.62) await createModel(pick(MODELS));
    else {
      const name = pick([...s.existing]);
      const { highest } = s.ledgers.get(name)!;
      // Only versions some response has confirmed, so every alias and promotion names one that exists.
      const version = String(1 + Math.floor(random() * highest));
      const op = random();
      if (highest === 0 || op < 0.4) {
        const runId = pick(s.runIds);
        const body = { name, source: `runs:/${runId}/model`, run_id: runId };
        await registryWrite('create-version', name, 'model-versions/create', body);
      } else if (op < 0.7) {
        await registryWrite('set-alias', name, 'registered-models/alias', { name, alias: 'champion', version });
      } else {
        const body = { name, version, stage: 'Production', archive_existing_versions: true };
        await registryWrite('promote', name, 'model-versions/transition-stage', body);
      }
    }
  }
}

export async function runReplicaFailover(
  t: TestContext,
  options: { backendStoreUri: string; openDatabase: () => Promise<DirectDatabase> },
): Promise<void> {
  const seed = Number(process.env.PLUMB_REPLICA_SEED ?? Math.floor(Math.random() * 2 ** 31));
  t.diagnostic(`seed ${seed} (PLUMB_REPLICA_SEED=${seed} repeats the clients' choices)`);
  const begun = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'plumb-replicas-'));
  const { backendStoreUri } = options;
  const servers: ServerProcess[] = [];
  // Every process ever started, the killed one included, for the logs in failure messages.
  const processes: ServerProcess[] = [];
  try {
    // All three at once on the empty database: one creates the schema under the migration lock,
    // the others wait for it and start on the finished schema (MySQL DDL is not transactional, so
    // a server that looked without the lock would see it half-built and refuse to start).
    const started = await Promise.allSettled([1, 2, 3].map(() => startServerProcess({ backendStoreUri, dir })));
    for (const s of started) if (s.status === 'fulfilled') servers.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    processes.push(...servers);
    const startup = Date.now() - begun;
    const logs = () => processes.map((p, i) => `--- process ${i} (pid ${p.pid}):\n${p.output().slice(-4000)}`);

    const setup = async (rpc: string, body: unknown) => {
      const { status, text } = await post(servers[0]!.baseUrl, rpc, body);
      assert.equal(status, 200, `${rpc}: ${text}`);
      return JSON.parse(text) as Record<string, unknown>;
    };
    const experimentId = (await setup('experiments/create', { name: 'replica-failover' })).experiment_id as string;
    const runIds: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const { run } = await setup('runs/create', { experiment_id: experimentId, start_time: T0 });
      runIds.push((run as { info: { run_id: string } }).info.run_id);
    }

    const traffic = new Traffic(servers.map((s) => s.baseUrl));
    const { t0, outage } = traffic;
    const shared: Shared = {
      traffic,
      seed,
      deadline: t0 + DURATION_MS,
      experimentId,
      runIds,
      batches: [],
      ledgers: new Map(MODELS.map((m) => [m, { ...NO_LEDGER, createdVersions: [] }])),
      existing: new Set(),
    };
    const killer = async () => {
      await sleep(t0 + DURATION_MS / 3 - Date.now());
      const victim = servers[VICTIM]!;
      outage.from = Date.now();
      await victim.kill('SIGKILL');
      await sleep(t0 + DURATION_MS / 2 - Date.now());
      const successor = await startServerProcess({ backendStoreUri, dir, port: victim.port });
      outage.to = Date.now();
      servers[VICTIM] = successor;
      processes.push(successor);
    };
    await Promise.all([killer(), ...Array.from({ length: CLIENTS }, (_, i) => client(i, shared))]);
    const elapsed = Date.now() - t0;
    const exits = await Promise.all(servers.map((s) => s.kill('SIGTERM').catch(() => s.kill('SIGKILL'))));

    const { batches, ledgers } = shared;
    const acked = batches.filter((b) => b.acked);
    const registry = [...ledgers].map(([m, l]) => ({ model: m, ...l, createdVersions: l.createdVersions.length }));
    t.diagnostic(
      `start-up ${startup} ms; workload ${elapsed} ms, ${CLIENTS} clients on ${REPLICAS} replicas; replica ${VICTIM} ` +
        `down from +${outage.from! - t0} to +${outage.to! - t0} ms, then answered ${traffic.successorAnswers}; ` +
        `${traffic.victimConnectionErrors} connection errors there; 5xx: ${traffic.serverErrors}; ` +
        `exits ${JSON.stringify(exits)}`,
    );
    t.diagnostic(`requests ${JSON.stringify(traffic.tallies)}`);
    t.diagnostic(
      `${batches.length} batches, ${acked.length} acknowledged (${acked.reduce((n, b) => n + b.points, 0)} points), ` +
        `${acked.filter((b) => b.maybeStored).length} of them after a connection error, ` +
        `${batches.filter((b) => !b.acked && b.maybeStored).length} never; registry ${JSON.stringify(registry)}`,
    );

    // Each invariant is its own subtest, so that one failing does not hide how the others fared.
    const db = await options.openDatabase();
    try {
      const rows = await readRows(db, 'metrics');
      await t.test('every acknowledged point is stored once, no batch in part, no point nobody sent', () =>
        checkMetrics(db, rows, batches),
      );
      await t.test('latest_metrics holds the greatest (step, timestamp, value) of every history', () =>
        checkLatestMetrics(db, rows),
      );
      await t.test('versions 1..N, aliases on existing versions, one version in Production', () =>
        checkRegistry(db, ledgers),
      );
    } finally {
      await db.close();
    }

    await t.test('no 5xx, 503 or deadlock; connection errors only at the killed replica while it was down', () => {
      const report = () => [...traffic.problems, ...logs()].join('\n');
      assert.equal(traffic.serverErrors, 0, `5xx answers:\n${report()}`);
      assert.deepEqual(traffic.problems, [], `unexpected answers or connection errors:\n${report()}`);
      assert.ok(traffic.victimConnectionErrors > 0, 'no request met the killed replica: the kill missed the load');
      for (const kind of KINDS) assert.ok(traffic.tallies[kind].ok > 0, `no ${kind} succeeded`);
    });
  } finally {
    await Promise.all(servers.map((s) => s.kill('SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  }
}
