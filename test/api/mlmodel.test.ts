/** Plumb's parsed-MLmodel endpoints: what the UI and registry pages show, read by `plumb models`' own parser. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { aRunInNewExperiment, assertOk, uniqueName, useApi } from '../fixtures/builders.ts';
import { FIXTURE_ARTIFACTS } from '../transfer/mlflow-fixture.ts';

/** An MLmodel the official client wrote (sklearn + pyfunc, a column signature, a tensor output, an input example). */
const SKLEARN_MLMODEL = readFileSync(
  join(FIXTURE_ARTIFACTS, '2/models/m-5b1776c95793418b89970c7bfce3f628/artifacts/MLmodel'),
  'utf8',
);

void describe('plumb MLmodel endpoints', () => {
  const ctx = useApi();

  async function runWithModel(text: string): Promise<{ runId: string; artifactUri: string }> {
    const run = await aRunInNewExperiment(ctx.api);
    const root = `${run.info.experiment_id}/${run.info.run_id}/artifacts`;
    assertOk(
      await ctx.api.raw({
        method: 'PUT',
        url: `/api/2.0/mlflow-artifacts/artifacts/${root}/model/MLmodel`,
        payload: text,
      }),
    );
    return { runId: run.info.run_id, artifactUri: run.info.artifact_uri };
  }

  void it("parses a run's model: flavors, signature, input example and provenance, under both prefixes", async () => {
    const { runId } = await runWithModel(SKLEARN_MLMODEL);
    for (const prefix of ['/api/2.0/plumb', '/ajax-api/2.0/plumb']) {
      for (const path of ['model', 'model/', 'model/MLmodel']) {
        const reply = await ctx.api.raw({ method: 'GET', url: `${prefix}/runs/mlmodel?run_id=${runId}&path=${path}` });
        assertOk(reply);
        const { mlmodel } = JSON.parse(reply.text);
        assert.deepEqual(Object.keys(mlmodel.flavors).sort(), ['python_function', 'sklearn']);
        assert.equal(mlmodel.flavors.sklearn.sklearn_version, '1.9.1');
        assert.deepEqual(mlmodel.signature.inputs, [
          { type: 'double', name: 'x1', required: true },
          { type: 'double', name: 'x2', required: true },
          { type: 'double', name: 'x3', required: true },
        ]);
        assert.deepEqual(mlmodel.signature.outputs, [
          { type: 'tensor', 'tensor-spec': { dtype: 'float64', shape: [-1] } },
        ]);
        assert.deepEqual(mlmodel.saved_input_example_info, {
          artifact_path: 'input_example.json',
          type: 'dataframe',
          pandas_orient: 'split',
          serving_input_path: 'serving_input_example.json',
        });
        assert.equal(mlmodel.mlflow_version, '3.11.2.dev0');
        assert.equal(mlmodel.model_size_bytes, 1183);
      }
    }
  });

  void it("parses a registered version's model from where the version is stored", async () => {
    const { runId, artifactUri } = await runWithModel(SKLEARN_MLMODEL);
    const name = uniqueName('model');
    assertOk(await ctx.api.post('registered-models/create', { name }));
    assertOk(await ctx.api.post('model-versions/create', { name, source: `${artifactUri}/model`, run_id: runId }));
    const reply = await ctx.api.raw({
      method: 'GET',
      url: `/api/2.0/plumb/model-versions/mlmodel?name=${name}&version=1`,
    });
    assertOk(reply);
    assert.equal(JSON.parse(reply.text).mlmodel.run_id, '4312fd1d2220438b8a2d3dd531820878');
  });

  void it("answers a malformed file with 400 naming the field, and missing things with MLflow's 4xx", async () => {
    const { runId } = await runWithModel('flavors:\n  sklearn: 3\n');
    const malformed = await ctx.api.raw({
      method: 'GET',
      url: `/api/2.0/plumb/runs/mlmodel?run_id=${runId}&path=model`,
    });
    assert.equal(malformed.status, 400);
    assert.equal(JSON.parse(malformed.text).error_code, 'INVALID_PARAMETER_VALUE');
    assert.match(JSON.parse(malformed.text).message, /^MLmodel: flavor 'sklearn' must be a mapping/);
    const status = async (url: string) => (await ctx.api.raw({ method: 'GET', url })).status;
    assert.equal(await status(`/api/2.0/plumb/runs/mlmodel?run_id=${runId}&path=elsewhere`), 404);
    assert.equal(await status(`/api/2.0/plumb/runs/mlmodel?run_id=${runId}&path=../../x`), 400);
    assert.equal(await status(`/api/2.0/plumb/runs/mlmodel?run_id=${runId}`), 400);
    assert.equal(await status(`/api/2.0/plumb/model-versions/mlmodel?name=${uniqueName('absent')}&version=1`), 404);
  });
});
