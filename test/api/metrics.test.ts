/** metrics/get-history, metrics/get-history-bulk-interval and the latest-metric rule, through app.inject(). */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  AJAX,
  aMetric,
  aRun,
  aRunInNewExperiment,
  assertError,
  assertOk,
  getRun,
  logBatch,
  logMetric,
  metricOf,
  missingParameter,
  range,
  T0,
  useApi,
  type WireMetric,
} from '../fixtures/builders.ts';

const steps = (metrics: WireMetric[] | undefined) => (metrics ?? []).map((m) => m.step);

void describe('metrics API', () => {
  const ctx = useApi();
  const newRunId = async () => (await aRunInNewExperiment(ctx.api)).info.run_id;

  void describe('metrics/get-history', () => {
    let runId = '';
    before(async () => {
      runId = await newRunId();
      await logBatch(ctx.api, runId, { metrics: range(30).map((i) => aMetric('loss', 1 / (i + 1), i)) });
    });

    void it('returns every point in one response when max_results is absent', async () => {
      const reply = await ctx.api.get('metrics/get-history', { run_id: runId, metric_key: 'loss' });
      assertOk(reply);
      assert.deepEqual(
        steps(reply.body.metrics).sort((a, b) => a - b),
        range(30),
      );
      assert.equal('next_page_token' in reply.body, false);
      assert.deepEqual(
        reply.body.metrics?.find((m) => m.step === 3),
        aMetric('loss', 0.25, 3),
      );
    });

    void it('accepts run_uuid together with run_id, and the /ajax-api prefix', async () => {
      const reply = await ctx.api
        .withPrefix(AJAX)
        .get('metrics/get-history', { run_uuid: runId, run_id: runId, metric_key: 'loss', max_results: 25000 });
      assertOk(reply);
      assert.equal(reply.body.metrics?.length, 30);
    });

    void it('pages with max_results and page_token until every point is returned once', async () => {
      const seen: number[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const query = { run_id: runId, metric_key: 'loss', max_results: 7, ...(token ? { page_token: token } : {}) };
        const reply = await ctx.api.get('metrics/get-history', query);
        assertOk(reply);
        assert.ok((reply.body.metrics?.length ?? 0) <= 7);
        seen.push(...steps(reply.body.metrics));
        token = reply.body.next_page_token;
        pages += 1;
      } while (token && pages < 20);
      assert.equal(pages, 5);
      assert.deepEqual(seen, range(30));
    });

    void it('starts the first page at the lowest step', async () => {
      const reply = await ctx.api.get('metrics/get-history', { run_id: runId, metric_key: 'loss', max_results: 5 });
      assertOk(reply);
      assert.deepEqual(steps(reply.body.metrics), [0, 1, 2, 3, 4]);
      assert.equal(typeof reply.body.next_page_token, 'string');
    });

    void it('answers {} for a key that was never logged', async () => {
      const reply = await ctx.api.get('metrics/get-history', { run_id: runId, metric_key: 'nope', max_results: 25000 });
      assertOk(reply);
      assert.deepEqual(reply.body, {});
    });

    void it('rejects a request without metric_key or run_id', async () => {
      const noKey = await ctx.api.get('metrics/get-history', { run_id: runId });
      assertError(noKey, 400, 'INVALID_PARAMETER_VALUE', missingParameter('metric_key'));
      const noRun = await ctx.api.get('metrics/get-history', { metric_key: 'loss' });
      assertError(noRun, 400, 'INVALID_PARAMETER_VALUE', missingParameter('run_id'));
    });

    void it('rejects a malformed page token', async () => {
      const reply = await ctx.api.get('metrics/get-history', {
        run_id: runId,
        metric_key: 'loss',
        max_results: 5,
        page_token: 'garbage!',
      });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'Invalid page token');
    });
  });

  void describe('latest metric: highest step, then timestamp, then value, whatever the logging order', () => {
    void it('keeps the higher step although it was logged first', async () => {
      const id = await newRunId();
      await logMetric(ctx.api, id, aMetric('m', 5, 5, T0));
      await logMetric(ctx.api, id, aMetric('m', 3, 3, T0 + 100));
      assert.deepEqual(metricOf(await getRun(ctx.api, id), 'm'), aMetric('m', 5, 5, T0));
    });

    void it('breaks a step tie by the later timestamp', async () => {
      const id = await newRunId();
      await logMetric(ctx.api, id, aMetric('m', 1, 2, T0 + 50));
      await logMetric(ctx.api, id, aMetric('m', 9, 2, T0 + 10));
      assert.deepEqual(metricOf(await getRun(ctx.api, id), 'm'), aMetric('m', 1, 2, T0 + 50));
    });

    void it('breaks a step and timestamp tie by the larger value', async () => {
      const id = await newRunId();
      await logMetric(ctx.api, id, aMetric('m', 7, 1, T0));
      await logMetric(ctx.api, id, aMetric('m', 4, 1, T0));
      assert.deepEqual(metricOf(await getRun(ctx.api, id), 'm'), aMetric('m', 7, 1, T0));
    });

    void it('applies the rule within one batch logged in reverse order', async () => {
      const id = await newRunId();
      await logBatch(ctx.api, id, {
        metrics: range(10)
          .map((i) => aMetric('m', i * 10, 9 - i))
          .reverse(),
      });
      assert.deepEqual(metricOf(await getRun(ctx.api, id), 'm'), aMetric('m', 0, 9));
    });

    void it('searches runs on the latest value, not the last logged one', async () => {
      const run = await aRunInNewExperiment(ctx.api);
      await logMetric(ctx.api, run.info.run_id, aMetric('acc', 0.9, 10));
      await logMetric(ctx.api, run.info.run_id, aMetric('acc', 0.1, 1));
      const query = { experiment_ids: [run.info.experiment_id] };
      const hit = await ctx.api.post('runs/search', { ...query, filter: 'metrics.acc > 0.5' });
      assert.equal(hit.body.runs?.length, 1);
      const miss = await ctx.api.post('runs/search', { ...query, filter: 'metrics.acc < 0.5' });
      assert.deepEqual(miss.body, {});
    });
  });

  void describe('metrics/get-history-bulk-interval', () => {
    const bulk = (query: Record<string, string | number | string[]>) =>
      ctx.api.get('metrics/get-history-bulk-interval', query);
    let big = '';
    let early = '';
    let late = '';

    before(async () => {
      big = await newRunId();
      await logBatch(ctx.api, big, { metrics: range(1000).map((i) => aMetric('big', i, i)) });
      early = await newRunId();
      await logBatch(ctx.api, early, { metrics: range(100).map((i) => aMetric('shared', i, i)) });
      late = await newRunId();
      await logBatch(ctx.api, late, { metrics: range(100).map((i) => aMetric('shared', i, i + 50)) });
    });

    void it('samples evenly spaced steps and always includes the first and last step', async () => {
      const reply = await bulk({ run_ids: [big], metric_key: 'big', max_results: 10 });
      assertOk(reply);
      assert.deepEqual(steps(reply.body.metrics), [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 999]);
      assert.deepEqual(reply.body.metrics?.[1], { ...aMetric('big', 100, 100), run_id: big });
    });

    void it('returns every step when there are fewer than max_results', async () => {
      const reply = await bulk({ run_ids: [early], metric_key: 'shared', max_results: 2500 });
      assertOk(reply);
      assert.deepEqual(steps(reply.body.metrics), range(100));
    });

    void it('includes the first and last step of every run', async () => {
      const reply = await bulk({ run_ids: [early, late], metric_key: 'shared', max_results: 5 });
      assertOk(reply);
      const byRun = (id: string) => (reply.body.metrics ?? []).filter((m) => m.run_id === id).map((m) => m.step);
      for (const edge of [0, 99]) assert.ok(byRun(early).includes(edge), `early run step ${edge}`);
      for (const edge of [50, 149]) assert.ok(byRun(late).includes(edge), `late run step ${edge}`);
      assert.ok((reply.body.metrics?.length ?? 0) <= 2 * (5 + 1 + 4));
    });

    void it('limits the steps to [start_step, end_step]', async () => {
      const all = await bulk({ run_ids: [big], metric_key: 'big', start_step: 10, end_step: 20, max_results: 100 });
      assertOk(all);
      assert.deepEqual(
        steps(all.body.metrics),
        range(11).map((i) => i + 10),
      );
      const sampled = await bulk({ run_ids: [big], metric_key: 'big', start_step: 10, end_step: 90, max_results: 4 });
      assertOk(sampled);
      assert.deepEqual(steps(sampled.body.metrics), [10, 30, 50, 70, 90]);
    });

    void it('answers {} for a key that was never logged', async () => {
      const reply = await bulk({ run_ids: [big], metric_key: 'nope' });
      assertOk(reply);
      assert.deepEqual(reply.body, {});
    });

    void it('requires both start_step and end_step when either is given', async () => {
      const reply = await bulk({ run_ids: [big], metric_key: 'big', start_step: 5 });
      assertError(
        reply,
        400,
        'INVALID_PARAMETER_VALUE',
        'If either start step or end step are specified, both must be specified.',
      );
    });

    void it('rejects start_step greater than end_step', async () => {
      const reply = await bulk({ run_ids: [big], metric_key: 'big', start_step: 20, end_step: 10 });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'end_step must be greater than start_step');
    });

    void it('accepts max_results of 1 and 2500 and rejects 0 and 2501', async () => {
      for (const max_results of [1, 2500]) assertOk(await bulk({ run_ids: [big], metric_key: 'big', max_results }));
      for (const max_results of [0, 2501]) {
        const reply = await bulk({ run_ids: [big], metric_key: 'big', max_results });
        assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'max_results must be between 1 and 2500');
      }
    });

    void it('accepts 100 run ids and rejects 101', async () => {
      const ids: string[] = [];
      while (ids.length < 100) ids.push((await aRun(ctx.api)).info.run_id);
      assertOk(await bulk({ run_ids: ids, metric_key: 'big' }));
      const reply = await bulk({ run_ids: [...ids, big], metric_key: 'big' });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'must specify at most 100 run_ids. Received 101 run_ids.');
    });

    void it('rejects a request without run_ids or metric_key', async () => {
      const noRuns = await bulk({ metric_key: 'big' });
      assertError(noRuns, 400, 'INVALID_PARAMETER_VALUE', missingParameter('run_ids'));
      const noKey = await bulk({ run_ids: [big] });
      assertError(noKey, 400, 'INVALID_PARAMETER_VALUE', missingParameter('metric_key'));
    });
  });
});
