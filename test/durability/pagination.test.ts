/**
 * Paging that neither skips nor repeats while others write (docs/architecture.md, "Page tokens that
 * do not skip or repeat"), against a real `plumb server` process on a SQLite file. A client pages
 * through runs/search and experiments/search with a small max_results while new runs and
 * experiments are created between its page fetches and at the same time as them. New rows sort
 * into pages already read (runs with start times spread over the whole range, experiments newest
 * first or with names in the middle of the alphabet), which is what makes offset-only paging
 * repeat rows. The union of the pages must hold no row twice, every row that existed before the
 * first page was asked for, and nothing else but rows created concurrently, in the requested order.
 *
 * MLflow's own tokens (base64 of {"offset": N}) are accepted; malformed ones are a 400.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ServerProcess, startServerProcess } from '../helpers/plumb-process.ts';

const T0 = 1_700_000_000_000;
const MAX_PAGES = 200;

interface WireRun {
  info: { run_id: string; start_time: number; run_name: string };
  data: { tags?: { key: string; value: string }[] };
}
interface WireExperiment {
  experiment_id: string;
  name: string;
  creation_time: number;
}
interface Reply<T> {
  status: number;
  body: T & { error_code?: string; message?: string; next_page_token?: string };
}

async function post<T>(baseUrl: string, path: string, body: unknown): Promise<Reply<T>> {
  const response = await fetch(`${baseUrl}/api/2.0/mlflow/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: response.status, body: (await response.json()) as Reply<T>['body'] };
}

async function ok<T>(reply: Promise<Reply<T>>): Promise<Reply<T>['body']> {
  const { status, body } = await reply;
  assert.equal(status, 200, JSON.stringify(body));
  return body;
}

const base64 = (text: string) => Buffer.from(text).toString('base64');

/** A small seeded PRNG (mulberry32): the start times and names are reproducible. */
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

/**
 * Pages through a search to the end. Before each page after the first `between()` runs and is
 * awaited; `alongside()` runs at the same time as every fetch (the first included).
 */
async function pageThrough<T>(
  fetchPage: (token: string | undefined) => Promise<{ items: T[]; token: string | undefined }>,
  hooks: { between: () => Promise<unknown>; alongside: () => Promise<unknown> },
): Promise<{ pages: T[][] }> {
  const pages: T[][] = [];
  let token: string | undefined;
  for (let i = 0; i < MAX_PAGES; i++) {
    if (i > 0) await hooks.between();
    const [page] = await Promise.all([fetchPage(token), hooks.alongside()]);
    pages.push(page.items);
    token = page.token;
    if (token === undefined) return { pages };
  }
  throw new Error(`still paging after ${MAX_PAGES} pages`);
}

function assertNoDuplicates(ids: readonly string[], what: string): void {
  const seen = new Set<string>();
  const repeated = ids.filter((id) => (seen.has(id) ? true : (seen.add(id), false)));
  assert.deepEqual(repeated, [], `${what} returned more than once`);
}

function assertSorted<T>(items: readonly T[], compare: (a: T, b: T) => number, show: (item: T) => string): void {
  for (let i = 1; i < items.length; i++) {
    assert.ok(
      compare(items[i - 1]!, items[i]!) < 0,
      `out of order at ${i}: ${show(items[i - 1]!)} then ${show(items[i]!)}`,
    );
  }
}

/** Binary string order, as the database compares TEXT. */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

void describe('paging through searches while runs and experiments are created (real server process)', () => {
  let dir = '';
  let server: ServerProcess | undefined;
  let baseUrl = '';
  const random = prng(20240601);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plumb-paging-'));
    server = await startServerProcess({ dbPath: join(dir, 'mlruns.db'), dir });
    baseUrl = server.baseUrl;
  });
  after(async () => {
    await server?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  /** Start times over 60 distinct values, so that ties (broken by run id) occur too. */
  const someStartTime = () => T0 + Math.floor(random() * 60) * 1000;
  const someRank = () => String(Math.floor(random() * 40)).padStart(3, '0');

  async function createRun(experimentId: string, created: string[]): Promise<void> {
    const body = await ok(
      post<{ run: WireRun }>(baseUrl, 'runs/create', {
        experiment_id: experimentId,
        start_time: someStartTime(),
        tags: [{ key: 'rank', value: someRank() }],
      }),
    );
    created.push(body.run.info.run_id);
  }

  async function runsScenario(orderBy: string[], compare: (a: WireRun, b: WireRun) => number): Promise<void> {
    const { experiment_id: experimentId } = await ok(
      post<{ experiment_id: string }>(baseUrl, 'experiments/create', {
        name: `paging-${orderBy.join(',') || 'default'}`,
      }),
    );
    const before: string[] = [];
    for (let i = 0; i < 30; i++) await createRun(experimentId, before);
    const during: string[] = [];
    const { pages } = await pageThrough<WireRun>(
      async (token) => {
        const body = await ok(
          post<{ runs?: WireRun[] }>(baseUrl, 'runs/search', {
            experiment_ids: [experimentId],
            max_results: 4,
            order_by: orderBy,
            ...(token ? { page_token: token } : {}),
          }),
        );
        return { items: body.runs ?? [], token: body.next_page_token };
      },
      {
        between: () => Promise.all([createRun(experimentId, during), createRun(experimentId, during)]),
        alongside: () => createRun(experimentId, during),
      },
    );
    const runs = pages.flat();
    const ids = runs.map((r) => r.info.run_id);
    assert.ok(pages.length >= 8, `expected at least 8 pages, got ${pages.length}`);
    assert.ok(
      pages.slice(0, -1).every((p) => p.length === 4),
      'every page but the last is full',
    );
    assert.ok(during.length >= 2 * pages.length, 'runs were created while paging');
    assertNoDuplicates(ids, 'a run');
    const missing = before.filter((id) => !ids.includes(id));
    assert.deepEqual(missing, [], 'runs that existed before the first page are missing');
    const unexpected = ids.filter((id) => !before.includes(id) && !during.includes(id));
    assert.deepEqual(unexpected, []);
    assertSorted(runs, compare, (r) => `${r.info.run_id}@${r.info.start_time}`);
  }

  const byStartDescThenId = (a: WireRun, b: WireRun) =>
    b.info.start_time - a.info.start_time || byText(a.info.run_id, b.info.run_id);
  const rankOf = (r: WireRun) => r.data.tags?.find((t) => t.key === 'rank')?.value ?? '';

  void it('runs/search in the default order (start_time DESC, run_id ASC)', async () => {
    await runsScenario([], byStartDescThenId);
  });

  void it('runs/search ordered by start_time ASC', async () => {
    await runsScenario(
      ['attributes.start_time ASC'],
      (a, b) => a.info.start_time - b.info.start_time || byText(a.info.run_id, b.info.run_id),
    );
  });

  void it('runs/search ordered by a tag, DESC (ties: start_time DESC, run_id ASC)', async () => {
    await runsScenario(['tags.rank DESC'], (a, b) => byText(rankOf(b), rankOf(a)) || byStartDescThenId(a, b));
  });

  async function createExperiment(prefix: string, created: string[]): Promise<void> {
    // Names spread over the alphabet, so that by name new experiments land in pages already read.
    const name = `${prefix}-${String.fromCharCode(97 + Math.floor(random() * 26))}${Math.floor(random() * 1e9)}`;
    const body = await ok(post<{ experiment_id: string }>(baseUrl, 'experiments/create', { name }));
    created.push(body.experiment_id);
  }

  async function experimentsScenario(
    prefix: string,
    orderBy: string[],
    compare: (a: WireExperiment, b: WireExperiment) => number,
  ): Promise<void> {
    const before: string[] = [];
    for (let i = 0; i < 25; i++) await createExperiment(prefix, before);
    const existing = (
      await ok(post<{ experiments?: WireExperiment[] }>(baseUrl, 'experiments/search', { max_results: 1000 }))
    ).experiments!.map((e) => e.experiment_id);
    const during: string[] = [];
    const { pages } = await pageThrough<WireExperiment>(
      async (token) => {
        const body = await ok(
          post<{ experiments?: WireExperiment[] }>(baseUrl, 'experiments/search', {
            max_results: 3,
            order_by: orderBy,
            ...(token ? { page_token: token } : {}),
          }),
        );
        return { items: body.experiments ?? [], token: body.next_page_token };
      },
      {
        between: () => Promise.all([createExperiment(prefix, during), createExperiment(prefix, during)]),
        alongside: () => createExperiment(prefix, during),
      },
    );
    const experiments = pages.flat();
    const ids = experiments.map((e) => e.experiment_id);
    assert.ok(pages.length >= 9, `expected at least 9 pages, got ${pages.length}`);
    assertNoDuplicates(ids, 'an experiment');
    assert.deepEqual(
      existing.filter((id) => !ids.includes(id)),
      [],
      'experiments that existed before the first page are missing',
    );
    assert.deepEqual(
      ids.filter((id) => !existing.includes(id) && !during.includes(id)),
      [],
    );
    assertSorted(experiments, compare, (e) => `${e.experiment_id} ${e.name}@${e.creation_time}`);
  }

  void it('experiments/search in the default order (creation_time DESC, experiment_id ASC)', async () => {
    await experimentsScenario(
      'newest',
      [],
      (a, b) => b.creation_time - a.creation_time || Number(a.experiment_id) - Number(b.experiment_id),
    );
  });

  void it('experiments/search ordered by name ASC', async () => {
    await experimentsScenario('by-name', ['name ASC'], (a, b) => byText(a.name, b.name));
  });

  void it("accepts MLflow's offset-only page token on both searches", async () => {
    const { experiment_id: experimentId } = await ok(
      post<{ experiment_id: string }>(baseUrl, 'experiments/create', { name: 'mlflow-token' }),
    );
    for (let i = 0; i < 12; i++) await createRun(experimentId, []);
    const all = (await ok(post<{ runs?: WireRun[] }>(baseUrl, 'runs/search', { experiment_ids: [experimentId] })))
      .runs!;
    assert.equal(all.length, 12);
    const token = base64('{"offset": 5}');
    const page = await ok(
      post<{ runs?: WireRun[] }>(baseUrl, 'runs/search', {
        experiment_ids: [experimentId],
        max_results: 4,
        page_token: token,
      }),
    );
    assert.deepEqual(
      page.runs!.map((r) => r.info.run_id),
      all.slice(5, 9).map((r) => r.info.run_id),
    );
    assert.equal(typeof page.next_page_token, 'string');
    const rest = await ok(
      post<{ runs?: WireRun[] }>(baseUrl, 'runs/search', {
        experiment_ids: [experimentId],
        max_results: 4,
        page_token: page.next_page_token,
      }),
    );
    assert.deepEqual(
      rest.runs!.map((r) => r.info.run_id),
      all.slice(9).map((r) => r.info.run_id),
    );
    assert.equal(rest.next_page_token, undefined);

    const experiments = (
      await ok(post<{ experiments?: WireExperiment[] }>(baseUrl, 'experiments/search', { max_results: 1000 }))
    ).experiments!;
    const experimentPage = await ok(
      post<{ experiments?: WireExperiment[] }>(baseUrl, 'experiments/search', {
        max_results: 2,
        page_token: base64('{"offset": 3}'),
      }),
    );
    assert.deepEqual(
      experimentPage.experiments!.map((e) => e.experiment_id),
      experiments.slice(3, 5).map((e) => e.experiment_id),
    );
  });

  void it('answers a malformed page token with 400 INVALID_PARAMETER_VALUE', async () => {
    const malformed = [
      'not a token!',
      '%%%%',
      base64('not json'),
      base64('{"offset": -1}'),
      base64('{"offset": "3"}'),
      base64('{"offset": 1.5}'),
      base64('{"watermark": 3}'),
      base64('{"offset": 2, "watermark": "x"}'),
      base64('[]'),
      base64('null'),
    ];
    for (const token of malformed) {
      for (const [path, body] of [
        ['runs/search', { experiment_ids: ['0'], page_token: token }],
        ['experiments/search', { page_token: token }],
      ] as const) {
        const reply = await post<object>(baseUrl, path, body);
        assert.equal(reply.status, 400, `${path} with token ${JSON.stringify(token)}: ${JSON.stringify(reply.body)}`);
        assert.equal(reply.body.error_code, 'INVALID_PARAMETER_VALUE', `${path} with token ${JSON.stringify(token)}`);
      }
    }
  });
});
