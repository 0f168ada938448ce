import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Api, anExperiment, aRun, assertError, assertOk, T0, useApi } from '../fixtures/builders.ts';

interface Found {
  models?: { info: { model_id: string; name: string } }[];
  next_page_token?: string;
}

async function search(api: Api, body: Record<string, unknown>): Promise<Found> {
  const reply = await api.post('logged-models/search', body);
  assertOk(reply);
  return reply.body as Found;
}
const names = (found: Found) => (found.models ?? []).map((m) => m.info.name);

/** Three models in a fresh experiment, each with a param, a tag and metrics on two datasets. */
async function seed(api: Api): Promise<{ experimentId: string; ids: Record<string, string> }> {
  const experimentId = await anExperiment(api);
  const run = await aRun(api, { experiment_id: experimentId });
  const ids: Record<string, string> = {};
  const rows = [
    ['alpha', 'Classifier', '0.1', 0.7, 0.5],
    ['beta', 'LLM', '0.2', 0.9, 0.4],
    ['gamma', 'Classifier', '0.3', 0.8, 0.95],
  ] as const;
  for (const [name, type, lr, testAcc, evalAcc] of rows) {
    const reply = await api.post('logged-models', {
      experiment_id: experimentId,
      name,
      model_type: type,
      params: [{ key: 'lr', value: lr }],
      tags: [{ key: 'team', value: name === 'beta' ? 'b' : 'a' }],
    });
    assertOk(reply);
    const id = (reply.body as { model: { info: { model_id: string } } }).model.info.model_id;
    ids[name] = id;
    const metric = (value: number, dataset: string) => ({
      key: 'acc',
      value,
      timestamp: T0,
      step: 0,
      model_id: id,
      dataset_name: dataset,
      dataset_digest: `${dataset}-d`,
    });
    assertOk(
      await api.post('runs/log-batch', {
        run_id: run.info.run_id,
        metrics: [metric(testAcc, 'test'), metric(evalAcc, 'eval')],
      }),
    );
  }
  assertOk(
    await api.raw({
      method: 'PATCH',
      url: `/api/2.0/mlflow/logged-models/${ids.beta}`,
      payload: { status: 'LOGGED_MODEL_READY' },
    }),
  );
  return { experimentId, ids };
}

void describe('logged-models/search', () => {
  const ctx = useApi();

  void it('answers {} when nothing matches, as MLflow does', async () => {
    const experimentId = await anExperiment(ctx.api);
    const reply = await ctx.api.post('logged-models/search', {
      experiment_ids: [experimentId],
      filter: "name = 'docs'",
    });
    assertOk(reply);
    assert.deepEqual(reply.body, {});
    assert.deepEqual(await search(ctx.api, {}), {});
  });

  void it('orders newest first by default and filters on attributes, params, tags and metrics', async () => {
    const { experimentId, ids } = await seed(ctx.api);
    const base = { experiment_ids: [experimentId] };
    // Created in the same millisecond or not, newest first: ties fall back to model_id, so only the set is fixed.
    assert.deepEqual(names(await search(ctx.api, base)).sort(), ['alpha', 'beta', 'gamma']);
    assert.deepEqual(names(await search(ctx.api, { ...base, filter: "name = 'beta'" })), ['beta']);
    assert.deepEqual(
      names(await search(ctx.api, { ...base, filter: "model_type = 'Classifier' AND name LIKE 'g%'" })),
      ['gamma'],
    );
    assert.deepEqual(names(await search(ctx.api, { ...base, filter: "status = 'READY'" })), ['beta']);
    assert.deepEqual(names(await search(ctx.api, { ...base, filter: "status = 'LOGGED_MODEL_PENDING'" })).sort(), [
      'alpha',
      'gamma',
    ]);
    assert.deepEqual(names(await search(ctx.api, { ...base, filter: "params.lr = '0.2'" })), ['beta']);
    assert.deepEqual(names(await search(ctx.api, { ...base, filter: "tags.team != 'a'" })), ['beta']);
    assert.deepEqual(names(await search(ctx.api, { ...base, filter: `model_id IN ('${ids.alpha}')` })), ['alpha']);
    assert.deepEqual(names(await search(ctx.api, { ...base, filter: 'metrics.acc > 0.85' })).sort(), ['beta', 'gamma']);
    assert.deepEqual(names(await search(ctx.api, { ...base, filter: 'creation_timestamp > 0' })).length, 3);
  });

  void it('scopes metric filters to the requested datasets', async () => {
    const { experimentId } = await seed(ctx.api);
    const base = { experiment_ids: [experimentId], filter: 'metrics.acc > 0.85' };
    assert.deepEqual(names(await search(ctx.api, { ...base, datasets: [{ dataset_name: 'test' }] })), ['beta']);
    assert.deepEqual(
      names(await search(ctx.api, { ...base, datasets: [{ dataset_name: 'eval', dataset_digest: 'eval-d' }] })),
      ['gamma'],
    );
    assert.deepEqual(
      names(await search(ctx.api, { ...base, datasets: [{ dataset_name: 'eval', dataset_digest: 'other' }] })),
      [],
    );
  });

  void it('orders by attributes, params and dataset-scoped metrics; models without the key last', async () => {
    const { experimentId } = await seed(ctx.api);
    const base = { experiment_ids: [experimentId] };
    const order = (order_by: unknown[]) => search(ctx.api, { ...base, order_by }).then(names);
    assert.deepEqual(await order([{ field_name: 'name' }]), ['alpha', 'beta', 'gamma']);
    assert.deepEqual(await order([{ field_name: 'params.lr', ascending: false }]), ['gamma', 'beta', 'alpha']);
    assert.deepEqual(await order([{ field_name: 'metrics.acc', ascending: false, dataset_name: 'test' }]), [
      'beta',
      'gamma',
      'alpha',
    ]);
    assert.deepEqual(
      await order([{ field_name: 'metrics.acc', ascending: true, dataset_name: 'eval', dataset_digest: 'eval-d' }]),
      ['beta', 'alpha', 'gamma'],
    );
    assert.deepEqual(await order([{ field_name: 'metrics.missing' }, { field_name: 'name' }]), [
      'alpha',
      'beta',
      'gamma',
    ]);
  });

  void it('pages with max_results and tokens, and leaves out deleted models', async () => {
    const { experimentId, ids } = await seed(ctx.api);
    const base = { experiment_ids: [experimentId], order_by: [{ field_name: 'name' }], max_results: 2 };
    const first = await search(ctx.api, base);
    assert.deepEqual(names(first), ['alpha', 'beta']);
    assert.ok(first.next_page_token);
    const second = await search(ctx.api, { ...base, page_token: first.next_page_token });
    assert.deepEqual(names(second), ['gamma']);
    assert.equal(second.next_page_token, undefined);
    assertOk(await ctx.api.raw({ method: 'DELETE', url: `/api/2.0/mlflow/logged-models/${ids.beta}` }));
    assert.deepEqual(names(await search(ctx.api, { ...base, max_results: 10 })), ['alpha', 'gamma']);
  });

  void it('refuses bad filters, order_by entries, max_results and page tokens with 400', async () => {
    const experimentId = await anExperiment(ctx.api);
    const bad = async (body: Record<string, unknown>) =>
      assertError(
        await ctx.api.post('logged-models/search', { experiment_ids: [experimentId], ...body }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
    await bad({ filter: 'nonsense = 1' });
    await bad({ filter: "metrics.acc > 'x'" });
    await bad({ filter: "params.lr > '1'" });
    await bad({ filter: "datasets.name = 'x'" });
    await bad({ filter: 'name = ' });
    await bad({ order_by: [{ field_name: 'bogus' }] });
    await bad({ order_by: [{ ascending: true }] });
    await bad({ order_by: [{ field_name: 'name', dataset_name: 'test' }] });
    await bad({ order_by: [{ field_name: 'metrics.acc', dataset_digest: 'd' }] });
    await bad({ datasets: [{ dataset_digest: 'd' }] });
    await bad({ max_results: 0 });
    await bad({ max_results: 100000 });
    await bad({ page_token: 'not a token' });
  });
});
