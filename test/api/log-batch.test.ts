/** runs/log-batch: content, MLflow's limits, validation messages and all-or-nothing writes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  aMetric,
  aRunInNewExperiment,
  assertError,
  assertOk,
  type Batch,
  getRun,
  history,
  logBatch,
  metricOf,
  missingParameter,
  paramOf,
  range,
  T0,
  tagOf,
  useApi,
  type WireRun,
} from '../fixtures/builders.ts';

const limitMessage = (limit: number, name: string, got: number) =>
  `A batch logging request can contain at most ${limit} ${name}. Got ${got} ${name}. Please split up ${name} across multiple requests and try again.`;

void describe('runs/log-batch', () => {
  const ctx = useApi();
  const newRunId = async () => (await aRunInNewExperiment(ctx.api)).info.run_id;
  const post = (runId: string, batch: Batch) => ctx.api.post('runs/log-batch', { run_id: runId, ...batch });

  /** A run already holding metric m (steps 0, 1), param p=1 and tag t=1, and the state to compare against. */
  async function seededRun(): Promise<{ id: string; before: WireRun; mHistory: unknown }> {
    const id = await newRunId();
    await logBatch(ctx.api, id, {
      metrics: [aMetric('m', 1, 0), aMetric('m', 2, 1)],
      params: [{ key: 'p', value: '1' }],
      tags: [{ key: 't', value: '1' }],
    });
    return { id, before: await getRun(ctx.api, id), mHistory: await history(ctx.api, id, 'm') };
  }

  async function assertUnchanged(seed: { id: string; before: WireRun; mHistory: unknown }): Promise<void> {
    const after = await getRun(ctx.api, seed.id);
    assert.deepEqual(after.data, seed.before.data, 'metrics, params and tags are unchanged');
    assert.deepEqual(await history(ctx.api, seed.id, 'm'), seed.mHistory, 'metric history is unchanged');
    assert.deepEqual(await history(ctx.api, seed.id, 'fresh'), [], 'no point of the rejected batch was stored');
  }

  void it('logs metrics, params and tags in one request', async () => {
    const id = await newRunId();
    const reply = await post(id, {
      metrics: range(20).map((i) => aMetric('loss', 1 / (i + 1), i)),
      params: [
        { key: 'p2', value: 'b' },
        { key: 'lr', value: '0.01' },
      ],
      tags: [{ key: 'batch', value: 'yes' }],
    });
    assertOk(reply);
    assert.deepEqual(reply.body, {});
    const run = await getRun(ctx.api, id);
    assert.deepEqual(metricOf(run, 'loss'), { key: 'loss', value: 0.05, timestamp: T0 + 19, step: 19 });
    assert.equal(paramOf(run, 'lr'), '0.01');
    assert.equal(tagOf(run, 'batch'), 'yes');
    assert.equal((await history(ctx.api, id, 'loss')).length, 20);
  });

  void it('accepts exactly 1000 metrics', async () => {
    const id = await newRunId();
    assertOk(await post(id, { metrics: range(1000).map((i) => aMetric('big', i, i)) }));
    assert.equal((await history(ctx.api, id, 'big')).length, 1000);
  });

  void it('rejects more than 1000 metrics', async () => {
    const id = await newRunId();
    const reply = await post(id, { metrics: range(1001).map((i) => aMetric('x', 1, i, T0)) });
    assertError(reply, 400, 'INVALID_PARAMETER_VALUE', limitMessage(1000, 'metrics', 1001));
    assert.deepEqual(await history(ctx.api, id, 'x'), []);
  });

  void it('rejects more than 100 params', async () => {
    const reply = await post(await newRunId(), { params: range(101).map((i) => ({ key: `p${i}`, value: 'v' })) });
    assertError(reply, 400, 'INVALID_PARAMETER_VALUE', limitMessage(100, 'params', 101));
  });

  void it('rejects more than 100 tags', async () => {
    const reply = await post(await newRunId(), { tags: range(101).map((i) => ({ key: `t${i}`, value: 'v' })) });
    assertError(reply, 400, 'INVALID_PARAMETER_VALUE', limitMessage(100, 'tags', 101));
  });

  void it('rejects more than 1000 metrics, params and tags together', async () => {
    const reply = await post(await newRunId(), {
      metrics: range(900).map((i) => aMetric('m', i, i)),
      params: range(100).map((i) => ({ key: `p${i}`, value: 'v' })),
      tags: [{ key: 't', value: 'v' }],
    });
    assertError(reply, 400, 'INVALID_PARAMETER_VALUE', limitMessage(1000, 'metrics, params, and tags', 1001));
  });

  void it('rejects a request body over 1 MB, storing nothing', async () => {
    const id = await newRunId();
    const reply = await post(id, {
      params: range(100).map((i) => ({ key: `p${i}`, value: 'v'.repeat(6000) })),
      tags: range(100).map((i) => ({ key: `t${i}`, value: 'w'.repeat(5000) })),
    });
    assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'Batched logging API requests must be at most 1000000 bytes');
    const run = await getRun(ctx.api, id);
    assert.equal(paramOf(run, 'p0'), undefined);
    assert.equal(tagOf(run, 't0'), undefined);
  });

  void it('rejects duplicate param keys within one batch', async () => {
    const id = await newRunId();
    const reply = await post(id, {
      params: [
        { key: 'dup', value: '1' },
        { key: 'dup', value: '2' },
      ],
    });
    assertError(reply, 400, 'INVALID_PARAMETER_VALUE', "Duplicate parameter keys have been submitted: ['dup']");
    assert.equal(paramOf(await getRun(ctx.api, id), 'dup'), undefined);
  });

  void it('rejects a changed param value with MLflow message, and accepts the same value again', async () => {
    const seed = await seededRun();
    const changed = await post(seed.id, { params: [{ key: 'p', value: 'zzz' }] });
    assertError(
      changed,
      400,
      'INVALID_PARAMETER_VALUE',
      `Changing param values is not allowed. Params were already logged='[{'key': 'p', 'old_value': '1', 'new_value': 'zzz'}]' for run ID='${seed.id}'.`,
    );
    assertOk(await post(seed.id, { params: [{ key: 'p', value: '1' }] }));
    await assertUnchanged(seed);
  });

  void it('truncates an over-long param value rather than rejecting the batch', async () => {
    const id = await newRunId();
    assertOk(await post(id, { params: [{ key: 'long', value: 'x'.repeat(6001) }] }));
    assert.equal(paramOf(await getRun(ctx.api, id), 'long')?.length, 6000);
  });

  void it('names the missing field of a metric, param or tag by its index', async () => {
    const id = await newRunId();
    const metric = await post(id, { metrics: [aMetric('ok', 1), { key: 'm', value: 1, step: 0 } as never] });
    assertError(metric, 400, 'INVALID_PARAMETER_VALUE', missingParameter('metrics[1].timestamp'));
    const param = await post(id, { params: [{ value: 'v' } as never] });
    assertError(param, 400, 'INVALID_PARAMETER_VALUE', missingParameter('params[0].key'));
    const tag = await post(id, { tags: [{ value: 'v' } as never] });
    assertError(tag, 400, 'INVALID_PARAMETER_VALUE', missingParameter('tags[0].key'));
  });

  void it('rejects a batch without run_id and answers 404 for an unknown run', async () => {
    assertError(await ctx.api.post('runs/log-batch', {}), 400, 'INVALID_PARAMETER_VALUE', missingParameter('run_id'));
    const unknown = await post('00000000000000000000000000000000', { tags: [{ key: 't', value: 'v' }] });
    assertError(unknown, 404, 'RESOURCE_DOES_NOT_EXIST', 'not found');
  });

  void it('accepts an empty batch', async () => {
    assertOk(await post(await newRunId(), {}));
  });

  void describe('atomicity: a batch with one invalid item stores nothing', () => {
    const good: Batch = {
      metrics: [aMetric('fresh', 1, 0), aMetric('m', 3, 2)],
      params: [{ key: 'newp', value: 'v' }],
      tags: [
        { key: 't', value: 'changed' },
        { key: 'newt', value: 'v' },
      ],
    };

    void it('a bad metric name', async () => {
      const seed = await seededRun();
      const reply = await post(seed.id, { ...good, metrics: [...good.metrics!, aMetric('bad!name', 1)] });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', "Invalid metric name: 'bad!name'");
      await assertUnchanged(seed);
    });

    void it('a changed param value', async () => {
      const seed = await seededRun();
      const reply = await post(seed.id, { ...good, params: [...good.params!, { key: 'p', value: 'other' }] });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'Changing param values is not allowed');
      await assertUnchanged(seed);
    });

    void it('a param key over 250 characters, which is never truncated', async () => {
      const seed = await seededRun();
      const reply = await post(seed.id, { ...good, params: [...good.params!, { key: 'k'.repeat(251), value: 'v' }] });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'exceeded length limit of 250');
      await assertUnchanged(seed);
    });

    void it('a bad tag name', async () => {
      const seed = await seededRun();
      const reply = await post(seed.id, { ...good, tags: [...good.tags!, { key: 'bad tag!', value: 'v' }] });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', "Invalid tag name: 'bad tag!'");
      await assertUnchanged(seed);
    });

    void it('a negative timestamp on the last metric', async () => {
      const seed = await seededRun();
      const reply = await post(seed.id, { ...good, metrics: [...good.metrics!, aMetric('late', 1, 0, -5)] });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'Timestamp must be a nonnegative long');
      await assertUnchanged(seed);
    });
  });

  void it('creates no duplicate history points when an identical batch is retried', async () => {
    const id = await newRunId();
    const batch = { metrics: range(5).map((i) => aMetric('retry', i, i)), params: [{ key: 'p', value: 'v' }] };
    await logBatch(ctx.api, id, batch);
    await logBatch(ctx.api, id, batch);
    assert.deepEqual(
      (await history(ctx.api, id, 'retry')).map((m) => m.step),
      [0, 1, 2, 3, 4],
    );
  });

  void it('keeps the last value of a tag given twice in one batch', async () => {
    const id = await newRunId();
    await logBatch(ctx.api, id, {
      tags: [
        { key: 'twice', value: 'first' },
        { key: 'twice', value: 'second' },
      ],
    });
    const run = await getRun(ctx.api, id);
    assert.equal(tagOf(run, 'twice'), 'second');
    assert.equal(run.data.tags?.filter((t) => t.key === 'twice').length, 1);
  });
});
