/**
 * Group commit through the API: concurrent log-batch requests share transactions, a bad one fails
 * alone, and a full write queue answers 503 with Retry-After (which MLflow's clients honour)
 * without storing anything of the refused request.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp } from '../helpers/test-server.ts';
import { aMetric, aRunInNewExperiment, Api, assertError, assertOk, history, range } from '../fixtures/builders.ts';

void describe('group commit over HTTP', () => {
  let api: Api;
  before(async () => {
    api = new Api(await createTestApp({ env: { PLUMB_WRITE_QUEUE_ROWS: '2500' } }));
  });
  after(async () => api.test.close());

  it('concurrent batches to many runs all land; one that changes a param fails alone', async () => {
    const runIds = await Promise.all(range(8).map(async () => (await aRunInNewExperiment(api)).info.run_id));
    await Promise.all(
      runIds.map(async (id) => assertOk(await api.post('runs/log-parameter', { run_id: id, key: 'lr', value: '0.1' }))),
    );
    const replies = await Promise.all(
      range(40).map((i) =>
        api.post('runs/log-batch', {
          run_id: runIds[i % 8],
          metrics: [aMetric('loss', i, i)],
          params: i === 13 ? [{ key: 'lr', value: '0.2' }] : [],
        }),
      ),
    );
    replies.forEach((reply, i) => {
      if (i === 13) assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'Changing param values is not allowed');
      else assertOk(reply);
    });
    const stored = (await Promise.all(runIds.map((id) => history(api, id, 'loss')))).flat().map((m) => Number(m.value));
    assert.deepEqual(
      stored.sort((a, b) => a - b),
      range(40).filter((i) => i !== 13),
    );
  });

  it('answers 503 TEMPORARILY_UNAVAILABLE with Retry-After when the queue is full, and stores nothing of that request', async () => {
    const runIds = await Promise.all(range(20).map(async () => (await aRunInNewExperiment(api)).info.run_id));
    const replies = await Promise.all(
      runIds.map((id) =>
        api.post('runs/log-batch', { run_id: id, metrics: range(1000).map((step) => aMetric('m', step, step)) }),
      ),
    );
    const refused = replies.flatMap((reply, i) => (reply.status === 503 ? [i] : []));
    assert.ok(refused.length > 0, 'with room for 2,500 waiting rows, 20 concurrent 1,000-row batches overflow it');
    for (const [i, reply] of replies.entries()) {
      if (refused.includes(i)) {
        assertError(reply, 503, 'TEMPORARILY_UNAVAILABLE', /busy/);
        assert.equal(reply.headers['retry-after'], '1');
        assert.equal((await history(api, runIds[i]!, 'm')).length, 0);
      } else {
        assertOk(reply);
        assert.equal((await history(api, runIds[i]!, 'm')).length, 1000);
      }
    }
  });
});
