/**
 * The client against a live in-process server: typed tracking calls, the fluent helpers, batching
 * of more values than one log-batch takes, and withRun ending runs FINISHED or FAILED.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type LogItem, MlflowApiError, PlumbClient } from '../../src/client/index.ts';
import { startTestServer } from '../helpers/test-server.ts';

void describe('client tracking API against a live server', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let client: PlumbClient;
  before(async () => {
    server = await startTestServer();
    client = new PlumbClient({ trackingUri: server.baseUrl, env: {} });
  });
  after(() => server.close());

  void it('creates, finds, tags and searches experiments and runs', async () => {
    const experimentId = await client.tracking.createExperiment({
      name: 'client-exp',
      tags: [{ key: 'team', value: 'a' }],
    });
    const byName = await client.tracking.getExperimentByName('client-exp');
    assert.equal(byName.experiment_id, experimentId);
    assert.deepEqual(byName.tags, [{ key: 'team', value: 'a' }]);
    await client.tracking.setExperimentTag(experimentId, 'stage', 'dev');
    assert.equal(
      (await client.tracking.getExperiment(experimentId)).tags?.find((t) => t.key === 'stage')?.value,
      'dev',
    );

    const run = await client.tracking.createRun({ experiment_id: experimentId, run_name: 'typed' });
    assert.equal(run.info.status, 'RUNNING');
    await client.tracking.logParam(run.info.run_id, 'lr', '0.1');
    await client.tracking.logMetric(run.info.run_id, { key: 'nan', value: Number.NaN, timestamp: 1, step: 0 });
    await client.tracking.logMetric(run.info.run_id, { key: 'inf', value: Number.NEGATIVE_INFINITY, timestamp: 1 });
    const found = await client.tracking.searchRuns({ experiment_ids: [experimentId], filter: "params.lr = '0.1'" });
    assert.deepEqual(
      found.runs.map((r) => r.info.run_id),
      [run.info.run_id],
    );
    const [nan] = (await client.tracking.getMetricHistoryPage(run.info.run_id, 'nan')).metrics;
    assert.ok(Number.isNaN(nan?.value), 'NaN travels as "NaN" and comes back as NaN');
    const latest = (await client.tracking.getRun(run.info.run_id)).data.metrics?.find((m) => m.key === 'nan');
    assert.ok(Number.isNaN(latest?.value), "a run's latest NaN is decoded too");
    const [inf] = (await client.tracking.getMetricHistoryPage(run.info.run_id, 'inf')).metrics;
    // Sent as "-Infinity"; stored, as MLflow stores it, as the most negative double.
    assert.equal(inf?.value, -Number.MAX_VALUE);
    const experiments = await client.tracking.searchExperiments({ filter: "name = 'client-exp'" });
    assert.deepEqual(
      experiments.experiments.map((e) => e.experiment_id),
      [experimentId],
    );
  });

  void it('throws MlflowApiError with the server error_code for a missing run and a changed param', async () => {
    const missing = await client.tracking.getRun('0123456789abcdef0123456789abcdef').catch((e: unknown) => e);
    assert.ok(missing instanceof MlflowApiError);
    assert.equal(missing.errorCode, 'RESOURCE_DOES_NOT_EXIST');
    assert.equal(missing.status, 404);

    const run = await client.startRun();
    await run.logParams({ lr: 0.1 });
    const changed = await run.logParams({ lr: 0.2 }).catch((e: unknown) => e);
    assert.ok(changed instanceof MlflowApiError);
    assert.equal(changed.errorCode, 'INVALID_PARAMETER_VALUE');
    assert.equal(changed.status, 400);
  });

  void it('splits 2500 metrics, 250 params and 150 tags into log-batch requests the server accepts', async () => {
    const run = await client.startRun({ experimentName: 'client-batching', runName: 'many' });
    const items: LogItem[] = [];
    for (let i = 0; i < 250; i++) items.push({ kind: 'param', key: `p${i}`, value: 'v'.repeat(6000) });
    for (let i = 0; i < 150; i++) items.push({ kind: 'tag', key: `t${i}`, value: 'w'.repeat(8000) });
    for (let step = 0; step < 2500; step++)
      items.push({ kind: 'metric', key: 'loss', value: 1 / (step + 1), timestamp: 5, step });
    await client.logBatch(run.id, items);
    const stored = await client.tracking.getRun(run.id);
    assert.equal(stored.data.params?.length, 250);
    assert.equal(stored.data.tags?.filter((t) => t.key.startsWith('t')).length, 150);
    const history = [];
    for await (const point of client.tracking.metricHistory(run.id, 'loss', 1000)) history.push(point);
    assert.equal(history.length, 2500);
    assert.deepEqual(
      history.map((p) => p.step),
      Array.from({ length: 2500 }, (_, i) => i),
    );
  });

  void it('fluent helpers log into a run and end it FINISHED', async () => {
    const run = await client.startRun({ experimentName: 'client-fluent', runName: 'fluent', tags: { owner: 'me' } });
    await run.logMetric('acc', 0.5, { step: 1 });
    await run.logMetrics({ acc: 0.75, loss: 0.25 }, { step: 2 });
    await run.setTags({ note: 'hello' });
    const info = await run.end();
    assert.equal(info.status, 'FINISHED');
    const stored = await client.tracking.getRun(run.id);
    assert.equal(stored.info.run_name, 'fluent');
    const latest = Object.fromEntries((stored.data.metrics ?? []).map((m) => [m.key, m.value]));
    assert.deepEqual(latest, { acc: 0.75, loss: 0.25 });
    const tags = Object.fromEntries((stored.data.tags ?? []).map((t) => [t.key, t.value]));
    assert.equal(tags.owner, 'me');
    assert.equal(tags.note, 'hello');
    assert.equal((await client.tracking.getExperimentByName('client-fluent')).experiment_id, stored.info.experiment_id);
  });

  void it('logs inputs, model metrics and outputs of MLflow 3 logged models, and reads bulk intervals', async () => {
    const experimentId = await client.tracking.createExperiment({ name: 'client-models' });
    await client.tracking.setExperimentTag(experimentId, 'temp', 'x');
    await client.tracking.deleteExperimentTag(experimentId, 'temp');
    assert.equal((await client.tracking.getExperiment(experimentId)).tags, undefined);
    const run = await client.startRun({ experimentId });
    const model = await client.loggedModels.create({ experiment_id: experimentId, name: 'clf', source_run_id: run.id });
    assert.equal(model.info.status, 'LOGGED_MODEL_PENDING');
    await client.logBatch(run.id, [
      { kind: 'metric', key: 'auc', value: 0.91, timestamp: 10, step: 3, modelId: model.info.model_id },
    ]);
    await client.tracking.logInputs(run.id, {
      datasets: [
        {
          dataset: { name: 'train', digest: 'abc123', source_type: 'local', source: '{"uri": "/data/train.csv"}' },
          tags: [{ key: 'mlflow.data.context', value: 'training' }],
        },
      ],
    });
    await client.tracking.logOutputs(run.id, [{ model_id: model.info.model_id, step: 3 }]);
    await client.loggedModels.setTags(model.info.model_id, [{ key: 'framework', value: 'xgb' }]);
    const ready = await client.loggedModels.finalize(model.info.model_id, 'READY');
    assert.equal(ready.info.status, 'LOGGED_MODEL_READY');
    const fetched = await client.loggedModels.get(model.info.model_id);
    assert.deepEqual(
      fetched.data.metrics?.map((m) => [m.key, m.value, m.step]),
      [['auc', 0.91, 3]],
    );
    assert.deepEqual(fetched.info.tags, [{ key: 'framework', value: 'xgb' }]);
    const found = await client.loggedModels.search({ experiment_ids: [experimentId], filter: 'metrics.auc > 0.9' });
    assert.deepEqual(
      found.models.map((m) => m.info.model_id),
      [model.info.model_id],
    );
    const stored = await client.tracking.getRun(run.id);
    const datasets = (stored.inputs as { dataset_inputs?: { dataset: { name: string } }[] }).dataset_inputs ?? [];
    assert.deepEqual(
      datasets.map((d) => d.dataset.name),
      ['train'],
    );

    await client.logBatch(
      run.id,
      Array.from({ length: 100 }, (_, step) => ({
        kind: 'metric' as const,
        key: 'loss',
        value: step,
        timestamp: 1,
        step,
      })),
    );
    const sampled = await client.tracking.getMetricHistoryBulkInterval({
      run_ids: [run.id],
      metric_key: 'loss',
      max_results: 10,
    });
    assert.ok(sampled.length >= 10 && sampled.length <= 12, `${sampled.length} points`);
    assert.ok(sampled.every((m) => m.run_id === run.id));
    assert.deepEqual([sampled[0]?.step, sampled.at(-1)?.step], [0, 99]);
  });

  void it('starts runs in MLFLOW_EXPERIMENT_ID or MLFLOW_EXPERIMENT_NAME when the call names no experiment', async () => {
    const named = new PlumbClient({ trackingUri: server.baseUrl, env: { MLFLOW_EXPERIMENT_NAME: 'from-env' } });
    const first = await named.startRun();
    const experimentId = (await client.tracking.getExperimentByName('from-env')).experiment_id;
    assert.equal(first.info.experiment_id, experimentId);
    const byId = new PlumbClient({ trackingUri: server.baseUrl, env: { MLFLOW_EXPERIMENT_ID: experimentId } });
    assert.equal((await byId.startRun()).info.experiment_id, experimentId);
    assert.equal((await byId.startRun({ experimentId: '0' })).info.experiment_id, '0');
  });

  void it('withRun ends the run FINISHED with the body result, or FAILED and rethrows', async () => {
    let finishedId = '';
    const result = await client.withRun({ runName: 'ok' }, async (run) => {
      finishedId = run.id;
      await run.logMetric('x', 1);
      return 42;
    });
    assert.equal(result, 42);
    assert.equal((await client.tracking.getRun(finishedId)).info.status, 'FINISHED');

    let failedId = '';
    const boom = new Error('training diverged');
    await assert.rejects(
      client.withRun({ runName: 'bad' }, async (run) => {
        failedId = run.id;
        await run.logMetric('x', 1);
        throw boom;
      }),
      (error) => error === boom,
    );
    const failed = await client.tracking.getRun(failedId);
    assert.equal(failed.info.status, 'FAILED');
    assert.ok((failed.info.end_time ?? 0) > 0);
  });
});
