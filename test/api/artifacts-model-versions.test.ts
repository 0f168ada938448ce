import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aRunInNewExperiment, assertOk, uniqueName, useApi } from '../fixtures/builders.ts';

void describe('model-versions/get-artifact', () => {
  const ctx = useApi();

  void it('serves a file of a registered version from where the version is stored, under both prefixes', async () => {
    const run = await aRunInNewExperiment(ctx.api);
    const root = `${run.info.experiment_id}/${run.info.run_id}/artifacts`;
    const put = await ctx.api.raw({
      method: 'PUT',
      url: `/api/2.0/mlflow-artifacts/artifacts/${root}/model/MLmodel`,
      payload: 'artifact_path: model\nflavors: {}\n',
    });
    assertOk(put);
    const name = uniqueName('model');
    assertOk(await ctx.api.post('registered-models/create', { name }));
    const created = await ctx.api.post('model-versions/create', {
      name,
      source: `${run.info.artifact_uri}/model`,
      run_id: run.info.run_id,
    });
    assertOk(created);
    for (const prefix of ['', '/ajax-api/2.0/mlflow']) {
      const reply = await ctx.api.raw({
        method: 'GET',
        url: `${prefix}/model-versions/get-artifact?name=${name}&version=1&path=MLmodel`,
      });
      assertOk(reply);
      assert.equal(reply.text, 'artifact_path: model\nflavors: {}\n');
      assert.match(String(reply.headers['content-disposition']), /^inline; filename="MLmodel"$/);
    }
  });

  void it('refuses traversal, unknown versions and missing files with 4xx', async () => {
    const name = uniqueName('model');
    assertOk(await ctx.api.post('registered-models/create', { name }));
    const run = await aRunInNewExperiment(ctx.api);
    assertOk(await ctx.api.post('model-versions/create', { name, source: `${run.info.artifact_uri}/m` }));
    const url = (version: string, path: string) =>
      `/model-versions/get-artifact?name=${name}&version=${version}&path=${encodeURIComponent(path)}`;
    assert.equal((await ctx.api.raw({ method: 'GET', url: url('1', '../../other/x') })).status, 400);
    assert.equal((await ctx.api.raw({ method: 'GET', url: url('1', '%2e%2e/x') })).status, 400);
    assert.equal((await ctx.api.raw({ method: 'GET', url: url('7', 'MLmodel') })).status, 404);
    assert.equal((await ctx.api.raw({ method: 'GET', url: url('1', 'MLmodel') })).status, 404);
  });
});
