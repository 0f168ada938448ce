/** runs/search: experiment ids, filters, ordering, view types, pagination and malformed input. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  aMetric,
  aRun,
  anExperiment,
  assertError,
  assertOk,
  deleteRun,
  logBatch,
  range,
  type Reply,
  T0,
  useApi,
} from '../fixtures/builders.ts';

const runNames = (reply: Reply) => (reply.body.runs ?? []).map((r) => r.info.run_name);
const base64 = (text: string) => Buffer.from(text).toString('base64');

void describe('runs/search', () => {
  const ctx = useApi();
  let exp = '';
  let other = '';

  before(async () => {
    // As in the recorded MLflow session: s0..s4 with m1 = i/4, m2 = 10 - i, p1 alternating a/b, grp = i % 2.
    exp = await anExperiment(ctx.api, 'search-exp');
    for (const i of range(5)) {
      const run = await aRun(ctx.api, { experiment_id: exp, run_name: `s${i}`, start_time: T0 + i });
      await logBatch(ctx.api, run.info.run_id, {
        metrics: [aMetric('m1', i / 4, 0, T0), aMetric('m2', 10 - i, 0, T0)],
        params: [{ key: 'p1', value: i % 2 === 0 ? 'a' : 'b' }],
        tags: [{ key: 'grp', value: String(i % 2) }],
      });
    }
    other = await anExperiment(ctx.api, 'search-other');
    const elsewhere = await aRun(ctx.api, { experiment_id: other, run_name: 'x1', start_time: T0 + 10 });
    await logBatch(ctx.api, elsewhere.info.run_id, { tags: [{ key: 'grp', value: '1' }] });
    const gone = await aRun(ctx.api, { experiment_id: exp, run_name: 'gone', start_time: T0 + 20 });
    await deleteRun(ctx.api, gone.info.run_id);
  });

  void it('returns the active runs of an experiment, newest start_time first, with their data', async () => {
    const reply = await ctx.api.post('runs/search', { experiment_ids: [exp] });
    assertOk(reply);
    assert.deepEqual(runNames(reply), ['s4', 's3', 's2', 's1', 's0']);
    const s4 = reply.body.runs![0]!;
    assert.deepEqual(s4.data.params, [{ key: 'p1', value: 'a' }]);
    assert.deepEqual(
      s4.data.metrics?.map((m) => [m.key, m.value]),
      [
        ['m1', 1],
        ['m2', 6],
      ],
    );
    assert.deepEqual(s4.outputs, {});
    assert.equal(reply.body.next_page_token, undefined);
  });

  void it('filters on latest metrics and params and orders by a metric', async () => {
    const reply = await ctx.api.post('runs/search', {
      experiment_ids: [exp],
      filter: "metrics.m1 > 0.2 and params.p1 = 'a'",
      order_by: ['metrics.m2 DESC'],
    });
    assertOk(reply);
    assert.deepEqual(runNames(reply), ['s2', 's4']);
  });

  void it('searches several experiments with attribute and tag filters', async () => {
    const reply = await ctx.api.post('runs/search', {
      experiment_ids: [exp, other],
      filter: "attributes.status = 'RUNNING' and tags.grp = '1'",
      order_by: ['attributes.run_name ASC'],
    });
    assertOk(reply);
    assert.deepEqual(runNames(reply), ['s1', 's3', 'x1']);
  });

  void it('filters run names with LIKE and includes deleted runs for ALL', async () => {
    const like = await ctx.api.post('runs/search', {
      experiment_ids: [exp],
      run_view_type: 'ALL',
      filter: "attributes.run_name LIKE 's%'",
      order_by: ['attributes.run_name DESC'],
    });
    assert.deepEqual(runNames(like), ['s4', 's3', 's2', 's1', 's0']);
    const all = await ctx.api.post('runs/search', { experiment_ids: [exp], run_view_type: 'ALL' });
    assert.deepEqual(runNames(all), ['gone', 's4', 's3', 's2', 's1', 's0']);
  });

  void it('returns only deleted runs for DELETED_ONLY', async () => {
    const reply = await ctx.api.post('runs/search', { experiment_ids: [exp], run_view_type: 'DELETED_ONLY' });
    assertOk(reply);
    assert.deepEqual(runNames(reply), ['gone']);
    assert.equal(reply.body.runs?.[0]?.info.lifecycle_stage, 'deleted');
  });

  void it('filters on params with !=, tags with LIKE and start_time numerically', async () => {
    const search = (filter: string) =>
      ctx.api.post('runs/search', { experiment_ids: [exp], filter, order_by: ['attributes.run_name ASC'] });
    assert.deepEqual(runNames(await search("params.p1 != 'a'")), ['s1', 's3']);
    assert.deepEqual(runNames(await search("tags.grp LIKE '0%'")), ['s0', 's2', 's4']);
    assert.deepEqual(runNames(await search(`attributes.start_time >= ${T0 + 3}`)), ['s3', 's4']);
  });

  void it('orders by a param, then by start_time', async () => {
    const reply = await ctx.api.post('runs/search', {
      experiment_ids: [exp],
      order_by: ['params.p1 DESC', 'attributes.start_time ASC'],
    });
    assertOk(reply);
    assert.deepEqual(runNames(reply), ['s1', 's3', 's0', 's2', 's4']);
  });

  void it('filters by run_id IN a list', async () => {
    const all = await ctx.api.post('runs/search', { experiment_ids: [exp], order_by: ['start_time ASC'] });
    const [first, second] = all.body.runs!.map((r) => r.info.run_id);
    const reply = await ctx.api.post('runs/search', {
      experiment_ids: [exp],
      filter: `attributes.run_id IN ('${first}', '${second}')`,
      order_by: ['start_time ASC'],
    });
    assert.deepEqual(runNames(reply), ['s0', 's1']);
  });

  void it('pages through all runs with max_results and next_page_token', async () => {
    const query = { experiment_ids: [exp], max_results: 2, order_by: ['start_time ASC'] };
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const reply = await ctx.api.post('runs/search', { ...query, ...(token ? { page_token: token } : {}) });
      assertOk(reply);
      seen.push(...runNames(reply));
      token = reply.body.next_page_token;
      pages += 1;
    } while (token && pages < 10);
    assert.deepEqual(seen, ['s0', 's1', 's2', 's3', 's4']);
    assert.equal(pages, 3);
  });

  void it('accepts an MLflow offset token', async () => {
    const reply = await ctx.api.post('runs/search', {
      experiment_ids: [exp],
      order_by: ['start_time ASC'],
      page_token: base64('{"offset": 4}'),
    });
    assertOk(reply);
    assert.deepEqual(runNames(reply), ['s4']);
  });

  void it('answers {} for an experiment without runs or an unknown one', async () => {
    const empty = await anExperiment(ctx.api);
    for (const id of [empty, '424242']) {
      const reply = await ctx.api.post('runs/search', { experiment_ids: [id] });
      assertOk(reply);
      assert.deepEqual(reply.body, {});
    }
  });

  void it('rejects OR, which MLflow filters do not support', async () => {
    const reply = await ctx.api.post('runs/search', {
      experiment_ids: [exp],
      filter: "metrics.m1 > 0 or params.p1 = 'a'",
    });
    assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'Invalid clause(s) in filter string');
  });

  void it('rejects an unknown comparator', async () => {
    const reply = await ctx.api.post('runs/search', { experiment_ids: [exp], filter: 'metrics.m1 >> 0.5' });
    assertError(reply, 400, 'INVALID_PARAMETER_VALUE', "Invalid comparator '>>'");
  });

  void it('rejects a quoted value for a metric and an unknown identifier type', async () => {
    const quoted = await ctx.api.post('runs/search', { experiment_ids: [exp], filter: "metrics.m1 > '0.5'" });
    assertError(quoted, 400, 'INVALID_PARAMETER_VALUE');
    const type = await ctx.api.post('runs/search', { experiment_ids: [exp], filter: "colour.red = 'x'" });
    assertError(type, 400, 'INVALID_PARAMETER_VALUE');
  });

  void it('rejects an order_by with an invalid ordering key', async () => {
    const reply = await ctx.api.post('runs/search', { experiment_ids: [exp], order_by: ['metrics.m1 SIDEWAYS'] });
    assertError(reply, 400, 'INVALID_PARAMETER_VALUE', "Invalid ordering key in order_by clause 'metrics.m1 SIDEWAYS'");
  });

  void it('rejects a page token that cannot be decoded', async () => {
    const reply = await ctx.api.post('runs/search', { experiment_ids: [exp], page_token: 'garbage' });
    assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'Invalid page token');
    const notJson = await ctx.api.post('runs/search', { experiment_ids: [exp], page_token: base64('{offset') });
    assertError(notJson, 400, 'INVALID_PARAMETER_VALUE', 'Invalid page token');
  });

  void it('rejects max_results above 50000 and below 1', async () => {
    for (const max_results of [50001, 0]) {
      const reply = await ctx.api.post('runs/search', { experiment_ids: [exp], max_results });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'max_results');
    }
  });
});
