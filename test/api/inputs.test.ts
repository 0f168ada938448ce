/** runs/log-inputs, runs/outputs and experiments/search-datasets, through app.inject(). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  aRun,
  aRunInNewExperiment,
  anExperiment,
  assertError,
  assertOk,
  getRun,
  missingParameter,
  range,
  useApi,
} from '../fixtures/builders.ts';

const UNKNOWN_RUN = '00000000000000000000000000000000';

const aDataset = (name = 'train', digest = 'abc123') => ({
  name,
  digest,
  source_type: 'local',
  source: '{"uri": "/data/train.csv"}',
  schema: '{"mlflow_colspec": []}',
  profile: '{"num_rows": 10}',
});

const trainingInput = (name = 'train', digest = 'abc123') => ({
  tags: [{ key: 'mlflow.data.context', value: 'training' }],
  dataset: aDataset(name, digest),
});

void describe('inputs and outputs API', () => {
  const ctx = useApi();

  void describe('runs/log-inputs', () => {
    void it('logs a dataset with its input tags, reported by runs/get in inputs.dataset_inputs', async () => {
      const run = await aRunInNewExperiment(ctx.api);
      const reply = await ctx.api.post('runs/log-inputs', { run_id: run.info.run_id, datasets: [trainingInput()] });
      assertOk(reply);
      assert.deepEqual(reply.body, {});
      const { inputs } = await getRun(ctx.api, run.info.run_id);
      assert.deepEqual(inputs?.dataset_inputs, [trainingInput()]);
    });

    void it('omits schema and profile when the dataset has none', async () => {
      const run = await aRunInNewExperiment(ctx.api);
      const { name, digest, source_type, source } = aDataset('bare', 'd1');
      const bare = { name, digest, source_type, source };
      assertOk(await ctx.api.post('runs/log-inputs', { run_id: run.info.run_id, datasets: [{ dataset: bare }] }));
      const { inputs } = await getRun(ctx.api, run.info.run_id);
      assert.deepEqual(inputs?.dataset_inputs, [{ dataset: bare }]);
    });

    void it('logs model inputs, reported in inputs.model_inputs', async () => {
      const run = await aRunInNewExperiment(ctx.api);
      assertOk(await ctx.api.post('runs/log-inputs', { run_id: run.info.run_id, models: [{ model_id: 'm-abc' }] }));
      const { inputs } = await getRun(ctx.api, run.info.run_id);
      assert.deepEqual(inputs?.model_inputs, [{ model_id: 'm-abc' }]);
    });

    void it('records a dataset logged twice to the same run once', async () => {
      const run = await aRunInNewExperiment(ctx.api);
      for (let i = 0; i < 2; i++) {
        assertOk(await ctx.api.post('runs/log-inputs', { run_id: run.info.run_id, datasets: [trainingInput()] }));
      }
      assert.equal((await getRun(ctx.api, run.info.run_id)).inputs?.dataset_inputs?.length, 1);
    });

    void it('rejects a dataset name over 500 characters and a digest over 36', async () => {
      const run = await aRunInNewExperiment(ctx.api);
      const longName = await ctx.api.post('runs/log-inputs', {
        run_id: run.info.run_id,
        datasets: [{ dataset: aDataset('n'.repeat(501)) }],
      });
      assertError(longName, 400, 'INVALID_PARAMETER_VALUE', 'Dataset name');
      const longDigest = await ctx.api.post('runs/log-inputs', {
        run_id: run.info.run_id,
        datasets: [{ dataset: aDataset('ok', 'd'.repeat(37)) }],
      });
      assertError(longDigest, 400, 'INVALID_PARAMETER_VALUE', 'Dataset digest');
      assert.deepEqual((await getRun(ctx.api, run.info.run_id)).inputs, {});
    });

    void it('rejects an input tag value over 500 characters', async () => {
      const run = await aRunInNewExperiment(ctx.api);
      const reply = await ctx.api.post('runs/log-inputs', {
        run_id: run.info.run_id,
        datasets: [{ tags: [{ key: 'note', value: 'v'.repeat(501) }], dataset: aDataset() }],
      });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'exceeded length limit of 500');
    });

    void it('rejects log-inputs without run_id and answers 404 for an unknown run', async () => {
      const missing = await ctx.api.post('runs/log-inputs', { datasets: [trainingInput()] });
      assertError(missing, 400, 'INVALID_PARAMETER_VALUE', missingParameter('run_id'));
      const unknown = await ctx.api.post('runs/log-inputs', { run_id: UNKNOWN_RUN, datasets: [trainingInput()] });
      assertError(unknown, 404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${UNKNOWN_RUN} not found`);
    });
  });

  void describe('runs/outputs', () => {
    void it('logs model outputs with their step, reported in outputs.model_outputs', async () => {
      const run = await aRunInNewExperiment(ctx.api);
      const reply = await ctx.api.post('runs/outputs', {
        run_id: run.info.run_id,
        models: [
          { model_id: 'm-1', step: 3 },
          { model_id: 'm-2', step: 7 },
        ],
      });
      assertOk(reply);
      assert.deepEqual(reply.body, {});
      const { outputs } = await getRun(ctx.api, run.info.run_id);
      assert.deepEqual(
        [...(outputs?.model_outputs ?? [])].sort((a, b) => a.step - b.step),
        [
          { model_id: 'm-1', step: 3 },
          { model_id: 'm-2', step: 7 },
        ],
      );
    });

    void it('requires models, as MLflow does', async () => {
      const run = await aRunInNewExperiment(ctx.api);
      const reply = await ctx.api.post('runs/outputs', { run_id: run.info.run_id });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', missingParameter('models'));
    });

    void it('rejects outputs without run_id and answers 404 for an unknown run', async () => {
      const models = [{ model_id: 'm-1', step: 0 }];
      const missing = await ctx.api.post('runs/outputs', { models });
      assertError(missing, 400, 'INVALID_PARAMETER_VALUE', missingParameter('run_id'));
      const unknown = await ctx.api.post('runs/outputs', { run_id: UNKNOWN_RUN, models });
      assertError(unknown, 404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${UNKNOWN_RUN} not found`);
    });
  });

  void describe('experiments/search-datasets', () => {
    void it('summarises the datasets of the given experiments with their context', async () => {
      const experimentId = await anExperiment(ctx.api);
      const run = await aRun(ctx.api, { experiment_id: experimentId });
      assertOk(
        await ctx.api.post('runs/log-inputs', {
          run_id: run.info.run_id,
          datasets: [trainingInput('train', 'd-train'), { dataset: aDataset('eval', 'd-eval') }],
        }),
      );
      const reply = await ctx.api.post('experiments/search-datasets', { experiment_ids: [experimentId] });
      assertOk(reply);
      const summaries = [...(reply.body.dataset_summaries ?? [])].sort((a, b) => a.name.localeCompare(b.name));
      assert.deepEqual(summaries, [
        { experiment_id: experimentId, name: 'eval', digest: 'd-eval' },
        { experiment_id: experimentId, name: 'train', digest: 'd-train', context: 'training' },
      ]);
    });

    void it('answers {} for experiments without datasets', async () => {
      const reply = await ctx.api.post('experiments/search-datasets', {
        experiment_ids: [await anExperiment(ctx.api)],
      });
      assertOk(reply);
      assert.deepEqual(reply.body, {});
    });

    void it('requires at least one experiment id', async () => {
      const reply = await ctx.api.post('experiments/search-datasets', { experiment_ids: [] });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'must specify at least one experiment_id');
    });

    void it('accepts 20 experiment ids and rejects 21', async () => {
      const ids = range(21).map((i) => String(1000 + i));
      assertOk(await ctx.api.post('experiments/search-datasets', { experiment_ids: ids.slice(0, 20) }));
      const reply = await ctx.api.post('experiments/search-datasets', { experiment_ids: ids });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'cannot specify more than 20 experiment_ids');
    });
  });
});
