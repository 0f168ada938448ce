/**
 * Invariants 2 and 3 under load: three real `plumb server` processes on ONE SQLite file, twenty
 * clients creating versions, moving aliases and promoting versions with archive_existing_versions
 * on the same few models, through whichever process they pick, for a bounded time (8 s; 60 s with
 * PLUMB_LONG_TESTS=1). Afterwards every model must have versions 1..N without gaps or duplicates,
 * each alias one version, at most one version in Production and one in Staging, an event log that
 * replays to exactly the final state, and no request may have failed with a 5xx.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RegistryEvent } from '../../src/core/registry.ts';
import { replayRegistryEvents } from '../../src/registry/registry-events.ts';
import { type ServerProcess, startServerProcess } from '../helpers/plumb-process.ts';

const LONG = process.env.PLUMB_LONG_TESTS === '1';
const DURATION_MS = LONG ? 60_000 : 8_000;
const SERVERS = 3;
const CLIENTS = 20;
const MODELS = ['conc-a', 'conc-b', 'conc-c'];
const ALIASES = ['champion', 'challenger'];

type Op = 'create-version' | 'set-alias' | 'transition-stage';

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

/** A small seeded PRNG (mulberry32), so that a failing run can be repeated. */
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

async function request(baseUrl: string, method: string, path: string, body?: unknown): Promise<Reply> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { status: response.status, body: { text } };
  }
}

const api = (baseUrl: string, method: string, rpc: string, body?: unknown) =>
  request(baseUrl, method, `/api/2.0/mlflow/${rpc}`, body);

interface Stats {
  readonly byOp: Record<Op, { ok: number; failed: number }>;
  readonly failures: string[];
  serverErrors: number;
  /** Version numbers each create returned, per model. */
  readonly created: Map<string, number[]>;
}

void describe('registry under concurrent writers on three server processes (one SQLite file)', () => {
  let dir = '';
  const servers: ServerProcess[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plumb-registry-conc-'));
    const dbPath = join(dir, 'mlruns.db');
    // The first creates the database; the others start on its schema.
    servers.push(await startServerProcess({ dbPath, dir }));
    servers.push(
      ...(await Promise.all(Array.from({ length: SERVERS - 1 }, () => startServerProcess({ dbPath, dir })))),
    );
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.kill('SIGTERM')));
    rmSync(dir, { recursive: true, force: true });
  });

  void it(`keeps versions dense, aliases single, stages exclusive and the log exact for ${DURATION_MS / 1000} s`, {
    timeout: DURATION_MS + 180_000,
  }, async (t) => {
    const base = servers[0]!.baseUrl;
    for (const name of MODELS) {
      assert.equal((await api(base, 'POST', 'registered-models/create', { name })).status, 200);
      assert.equal((await api(base, 'POST', 'model-versions/create', { name, source: 's3://bucket/m/1' })).status, 200);
    }
    const stats: Stats = {
      byOp: {
        'create-version': { ok: 0, failed: 0 },
        'set-alias': { ok: 0, failed: 0 },
        'transition-stage': { ok: 0, failed: 0 },
      },
      failures: [],
      serverErrors: 0,
      created: new Map(MODELS.map((m) => [m, [1]])),
    };
    const highest = new Map(MODELS.map((m) => [m, 1]));
    const deadline = Date.now() + DURATION_MS;
    const started = Date.now();

    async function client(index: number): Promise<void> {
      const random = prng(1000 + index);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
      while (Date.now() < deadline) {
        const server = pick(servers).baseUrl;
        const name = pick(MODELS);
        // Only versions some response has already confirmed, so every write names one that exists.
        const version = String(1 + Math.floor(random() * highest.get(name)!));
        const roll = random();
        const op: Op = roll < 0.4 ? 'create-version' : roll < 0.7 ? 'set-alias' : 'transition-stage';
        let reply: Reply;
        if (op === 'create-version') {
          reply = await api(server, 'POST', 'model-versions/create', { name, source: `s3://bucket/${name}/${index}` });
        } else if (op === 'set-alias') {
          reply = await api(server, 'POST', 'registered-models/alias', { name, alias: pick(ALIASES), version });
        } else {
          const stage = random() < 0.5 ? 'Production' : 'Staging';
          reply = await api(server, 'POST', 'model-versions/transition-stage', {
            name,
            version,
            stage,
            archive_existing_versions: true,
          });
        }
        if (reply.status >= 500) stats.serverErrors += 1;
        if (reply.status !== 200) {
          stats.byOp[op].failed += 1;
          if (stats.failures.length < 20)
            stats.failures.push(`${op} ${name} → ${reply.status} ${JSON.stringify(reply.body)}`);
          continue;
        }
        stats.byOp[op].ok += 1;
        if (op === 'create-version') {
          const created = Number((reply.body.model_version as { version: string }).version);
          stats.created.get(name)!.push(created);
          highest.set(name, Math.max(highest.get(name)!, created));
        }
      }
    }

    await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
    const elapsed = (Date.now() - started) / 1000;
    const total = Object.values(stats.byOp).reduce((n, s) => n + s.ok + s.failed, 0);
    t.diagnostic(
      `${total} writes in ${elapsed.toFixed(1)} s (${(total / elapsed).toFixed(0)}/s) by ${CLIENTS} clients on ${SERVERS} processes: ${JSON.stringify(stats.byOp)}; 5xx: ${stats.serverErrors}`,
    );

    assert.equal(stats.serverErrors, 0, `5xx answers:\n${stats.failures.join('\n')}`);
    assert.deepEqual(stats.failures, [], 'every write names an existing model and version, so every one must succeed');

    for (const name of MODELS) {
      const state = await finalState(pick0(servers), name);
      const created = stats.created.get(name)!.sort((a, b) => a - b);
      const n = created.length;
      const dense = Array.from({ length: n }, (_, i) => i + 1);
      assert.deepEqual(created, dense, `${name}: the numbers the creates returned are not 1..${n}`);
      assert.deepEqual(state.versions, dense, `${name}: stored versions are not 1..${n}`);
      const aliasNames = state.aliases.map((a) => a.alias);
      assert.equal(new Set(aliasNames).size, aliasNames.length, `${name}: an alias points at two versions`);
      for (const alias of state.aliases) assert.ok(state.versions.includes(Number(alias.version)));
      for (const stage of ['Production', 'Staging']) {
        const inStage = state.stages.filter(([, s]) => s === stage);
        assert.ok(inStage.length <= 1, `${name}: ${inStage.length} versions in ${stage}: ${JSON.stringify(inStage)}`);
      }

      const replayed = replayRegistryEvents(state.events);
      assert.equal(replayed.revision, state.revision, `${name}: the log ends at another revision than the model`);
      assert.deepEqual(
        [...replayed.versions.keys()].sort((a, b) => a - b),
        state.versions,
      );
      assert.deepEqual(
        [...replayed.versions].map(([v, s]) => [v, s.currentStage]).sort((a, b) => Number(a[0]) - Number(b[0])),
        state.stages,
      );
      assert.deepEqual(
        [...replayed.aliases].map(([alias, v]) => ({ alias, version: String(v) })).sort(byAlias),
        [...state.aliases].sort(byAlias),
      );
      t.diagnostic(
        `${name}: ${n} versions, revision ${state.revision}, ${state.events.length} events, aliases ${JSON.stringify(state.aliases)}, ` +
          `Production ${JSON.stringify(state.stages.filter(([, s]) => s === 'Production').map(([v]) => v))}, ` +
          `Staging ${JSON.stringify(state.stages.filter(([, s]) => s === 'Staging').map(([v]) => v))}`,
      );
    }
  });
});

const pick0 = (servers: readonly ServerProcess[]) => servers[0]!.baseUrl;
const byAlias = (a: { alias: string }, b: { alias: string }) => (a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : 0);

interface FinalState {
  versions: number[];
  stages: [number, string][];
  aliases: { alias: string; version: string }[];
  revision: number;
  events: RegistryEvent[];
}

async function finalState(baseUrl: string, name: string): Promise<FinalState> {
  const model = await request(baseUrl, 'GET', `/api/2.0/mlflow/registered-models/get?name=${name}`);
  assert.equal(model.status, 200);
  const search = await request(
    baseUrl,
    'GET',
    `/api/2.0/mlflow/model-versions/search?${new URLSearchParams({ filter: `name = '${name}'`, max_results: '200000' })}`,
  );
  assert.equal(search.status, 200);
  const versions = (search.body.model_versions as { version: string; current_stage: string }[]).map(
    (v) => [Number(v.version), v.current_stage] as [number, string],
  );
  versions.sort((a, b) => a[0] - b[0]);
  const events: RegistryEvent[] = [];
  let token: string | undefined;
  let revision: number | undefined;
  do {
    const query = new URLSearchParams({ name, max_results: '1000', ...(token ? { page_token: token } : {}) });
    const page = await request(baseUrl, 'GET', `/api/2.0/plumb/registered-models/events?${query}`);
    assert.equal(page.status, 200);
    revision = page.body.revision as number;
    for (const e of (page.body.events ?? []) as Record<string, unknown>[]) {
      events.push({
        id: Number(e.id),
        modelName: String(e.name),
        version: e.version === undefined ? null : Number(e.version),
        kind: e.kind as RegistryEvent['kind'],
        before: (e.before as RegistryEvent['before']) ?? null,
        after: (e.after as RegistryEvent['after']) ?? null,
        actor: (e.actor as string | undefined) ?? null,
        revision: e.revision as number,
        time: e.time as number,
      });
    }
    token = page.body.next_page_token as string | undefined;
  } while (token);
  const registered = model.body.registered_model as { aliases?: { alias: string; version: string }[] };
  return {
    versions: versions.map(([v]) => v),
    stages: versions,
    aliases: registered.aliases ?? [],
    revision: revision ?? 0,
    events,
  };
}
