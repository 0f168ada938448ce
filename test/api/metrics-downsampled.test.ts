/** Plumb's plumb/metrics/get-history-downsampled and the streamed metrics/get-history, through app.inject(). */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  type Api,
  aMetric,
  aRunInNewExperiment,
  assertError,
  assertOk,
  logBatch,
  missingParameter,
  range,
  T0,
  useApi,
  type WireMetric,
} from '../fixtures/builders.ts';

const PATH = '/api/2.0/plumb/metrics/get-history-downsampled';

interface Downsampled {
  metrics?: WireMetric[];
  step_bucket_width?: number;
}

async function downsampled(api: Api, query: Record<string, string | number | undefined>) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.append(k, String(v));
  const reply = await api.raw({ method: 'GET', url: `${PATH}?${params}` });
  return { reply, body: reply.body as Downsampled };
}

/** Logs points 1000 per log-batch, as a training loop's flushes would. */
async function logPoints(api: Api, runId: string, points: readonly WireMetric[]): Promise<void> {
  for (let i = 0; i < points.length; i += 1000) await logBatch(api, runId, { metrics: points.slice(i, i + 1000) });
}

const same = (a: WireMetric, b: WireMetric) =>
  a.step === b.step && a.timestamp === b.timestamp && String(a.value) === String(b.value);
const numeric = (m: WireMetric): m is WireMetric & { value: number } => typeof m.value === 'number';

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

void describe('plumb/metrics/get-history-downsampled', () => {
  const ctx = useApi();

  void describe('a 100,000-point history with one spike and one dip', () => {
    let runId = '';
    before(async () => {
      runId = (await aRunInNewExperiment(ctx.api)).info.run_id;
      const points = range(100_000).map((i) => aMetric('loss', 1 + Math.sin(i / 500) * 0.01, i, T0 + i));
      points[54_321] = aMetric('loss', 1e6, 54_321, T0 + 54_321);
      points[77_777] = aMetric('loss', -1e6, 77_777, T0 + 77_777);
      await logPoints(ctx.api, runId, points);
    });

    void it('keeps the spike, the dip and the ends within a budget of 1000, in step order', async () => {
      const { reply, body } = await downsampled(ctx.api, { run_id: runId, metric_key: 'loss', max_points: 1000 });
      assertOk(reply);
      const metrics = body.metrics ?? [];
      assert.ok(metrics.length <= 1000 && metrics.length > 500, `${metrics.length} points`);
      assert.ok(
        metrics.some((m) => m.step === 54_321 && m.value === 1e6),
        'the spike is kept',
      );
      assert.ok(
        metrics.some((m) => m.step === 77_777 && m.value === -1e6),
        'the dip is kept',
      );
      assert.equal(metrics[0]?.step, 0);
      assert.equal(metrics.at(-1)?.step, 99_999);
      assert.deepEqual(
        metrics.map((m) => m.step),
        [...metrics.map((m) => m.step)].sort((a, b) => a - b),
      );
      assert.ok((body.step_bucket_width ?? 0) >= 100_000 / 500);
    });

    void it('keeps the spike inside a step range, and nothing outside it', async () => {
      const { reply, body } = await downsampled(ctx.api, {
        run_id: runId,
        metric_key: 'loss',
        max_points: 50,
        start_step: 54_000,
        end_step: 60_000,
      });
      assertOk(reply);
      const metrics = body.metrics ?? [];
      assert.ok(metrics.length <= 50);
      assert.ok(metrics.some((m) => m.step === 54_321 && m.value === 1e6));
      assert.ok(metrics.every((m) => m.step >= 54_000 && m.step <= 60_000));
      assert.equal(metrics[0]?.step, 54_000);
      assert.equal(metrics.at(-1)?.step, 60_000);
    });

    void it('streams metrics/get-history without max_results: every point once, in step order', async () => {
      const reply = await ctx.api.get('metrics/get-history', { run_id: runId, metric_key: 'loss' });
      assertOk(reply);
      assert.match(reply.contentType, /application\/json/);
      const metrics = reply.body.metrics ?? [];
      assert.equal(metrics.length, 100_000);
      assert.ok(metrics.every((m, i) => m.step === i));
      assert.deepEqual(metrics[54_321], aMetric('loss', 1e6, 54_321, T0 + 54_321));
    });
  });

  void it('matches every bucket against the full history: least, greatest and NaN per bucket', async () => {
    const runId = (await aRunInNewExperiment(ctx.api)).info.run_id;
    const next = random(7);
    const points: WireMetric[] = [];
    for (let i = 0; i < 6000; i++) {
      // Sparse steps (rollup widths come into play), repeated steps, NaN and ±Infinity among them.
      const step = Math.floor(next() * 300_000) - 1000;
      const roll = next();
      const value = roll < 0.01 ? 'NaN' : roll < 0.015 ? 'Infinity' : roll < 0.02 ? '-Infinity' : next() * 100 - 50;
      points.push({ key: 'acc', value, timestamp: T0 + i, step });
    }
    await logPoints(ctx.api, runId, points);
    const full = await ctx.api.get('metrics/get-history', { run_id: runId, metric_key: 'acc' });
    const all = full.body.metrics ?? [];
    assert.equal(all.length, 6000);
    const cases = [
      { max_points: 10 },
      { max_points: 101 },
      { max_points: 1000 },
      { max_points: 40, start_step: -500, end_step: 17 },
      { max_points: 300, start_step: 1234, end_step: 250_001 },
      { max_points: 25, start_step: 99_999 },
      { max_points: 60, end_step: 4095 },
    ];
    for (const query of cases) {
      const { reply, body } = await downsampled(ctx.api, { run_id: runId, metric_key: 'acc', ...query });
      assertOk(reply);
      const label = JSON.stringify(query);
      const got = body.metrics ?? [];
      const inRange = all.filter(
        (m) => m.step >= (query.start_step ?? -Infinity) && m.step <= (query.end_step ?? Infinity),
      );
      assert.ok(got.length <= query.max_points, `${label}: ${got.length} points`);
      assert.ok(
        got.every((g) => inRange.some((m) => same(g, m))),
        `${label}: every point is a real point in range`,
      );
      const width = body.step_bucket_width;
      if (width === undefined) {
        assert.equal(got.length, inRange.length, `${label}: all points when they fit`);
        continue;
      }
      const buckets = new Map<number, WireMetric[]>();
      for (const m of inRange)
        buckets.set(Math.floor(m.step / width), [...(buckets.get(Math.floor(m.step / width)) ?? []), m]);
      for (const [bucket, members] of buckets) {
        const values = members.filter(numeric).map((m) => m.value);
        const returned = got.filter((g) => Math.floor(g.step / width) === bucket);
        if (values.length > 0) {
          assert.ok(
            returned.some((g) => g.value === Math.max(...values)),
            `${label}: bucket ${bucket} keeps its max`,
          );
          assert.ok(
            returned.some((g) => g.value === Math.min(...values)),
            `${label}: bucket ${bucket} keeps its min`,
          );
        }
        if (members.some((m) => !numeric(m))) {
          assert.ok(
            returned.some((g) => !numeric(g)),
            `${label}: bucket ${bucket} keeps a NaN`,
          );
        }
      }
      assert.ok(same(got[0]!, inRange.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp)[0]!), label);
    }
  });

  void it('returns every point, without a bucket width, when the range holds no more than the budget', async () => {
    const runId = (await aRunInNewExperiment(ctx.api)).info.run_id;
    await logPoints(ctx.api, runId, [...range(40).map((i) => aMetric('m', i, i)), aMetric('m', 'NaN', 41)]);
    const { reply, body } = await downsampled(ctx.api, { run_id: runId, metric_key: 'm', max_points: 41 });
    assertOk(reply);
    assert.equal(body.metrics?.length, 41);
    assert.equal(body.step_bucket_width, undefined);
    assert.equal(body.metrics?.at(-1)?.value, 'NaN');
  });

  void it('answers the same after a retried batch: identical points count once', async () => {
    const runId = (await aRunInNewExperiment(ctx.api)).info.run_id;
    const points = range(3000).map((i) => aMetric('m', (i * 7919) % 1000, i, T0 + i));
    await logPoints(ctx.api, runId, points);
    const before = await downsampled(ctx.api, { run_id: runId, metric_key: 'm', max_points: 100 });
    await logPoints(ctx.api, runId, points.slice(1000, 2000));
    const after = await downsampled(ctx.api, { run_id: runId, metric_key: 'm', max_points: 100 });
    assert.deepEqual(after.body, before.body);
  });

  void it('rejects bad parameters with 400 INVALID_PARAMETER_VALUE, and an unknown run with 404', async () => {
    const runId = (await aRunInNewExperiment(ctx.api)).info.run_id;
    const bad = [
      [{ run_id: runId, metric_key: 'm', max_points: 9 }, 'max_points must be between 10 and 25000'],
      [{ run_id: runId, metric_key: 'm', max_points: 25_001 }, 'max_points must be between 10 and 25000'],
      [{ run_id: runId, metric_key: 'm', max_points: 'many' }, 'max_points'],
      [{ run_id: runId, metric_key: 'm', start_step: 10, end_step: 9 }, 'end_step must not be less than start_step'],
      [{ run_id: runId }, missingParameter('metric_key')],
      [{ metric_key: 'm' }, missingParameter('run_id')],
    ] as const;
    for (const [query, message] of bad) {
      assertError((await downsampled(ctx.api, query)).reply, 400, 'INVALID_PARAMETER_VALUE', message);
    }
    const unknown = await downsampled(ctx.api, { run_id: 'f'.repeat(32), metric_key: 'm' });
    assertError(unknown.reply, 404, 'RESOURCE_DOES_NOT_EXIST');
    const ajax = await ctx.api.raw({
      method: 'GET',
      url: `/ajax-api/2.0/plumb/metrics/get-history-downsampled?run_id=${runId}&metric_key=m`,
    });
    assertOk(ajax);
    assert.deepEqual(ajax.body, {});
  });
});
