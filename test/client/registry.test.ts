/** The registry API through the client against a live server: models, versions, tags, aliases, search, deletes. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MlflowApiError, PlumbClient } from '../../src/client/index.ts';
import { startTestServer } from '../helpers/test-server.ts';

void describe('client registry API against a live server', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let client: PlumbClient;
  before(async () => {
    server = await startTestServer();
    client = new PlumbClient({ trackingUri: server.baseUrl, env: {} });
  });
  after(() => server.close());

  void it('registers a model with versions from a run, tags, aliases and finds them', async () => {
    const run = await client.startRun({ runName: 'train' });
    const model = await client.registry.createRegisteredModel({ name: 'churn', description: 'first' });
    assert.equal(model.name, 'churn');
    const source = `${run.info.artifact_uri}/model`;
    const v1 = await client.registry.createModelVersion({ name: 'churn', source, run_id: run.id });
    const v2 = await client.registry.createModelVersion({ name: 'churn', source, run_id: run.id });
    assert.deepEqual([v1.version, v2.version], ['1', '2']);

    await client.registry.setAlias('churn', 'champion', '2');
    await client.registry.setAlias('churn', 'champion', '2');
    assert.equal((await client.registry.getModelVersionByAlias('churn', 'champion')).version, '2');
    await client.registry.setModelVersionTag('churn', '1', 'validated', 'yes');
    assert.deepEqual((await client.registry.getModelVersion('churn', '1')).tags, [{ key: 'validated', value: 'yes' }]);
    await client.registry.setRegisteredModelTag('churn', 'team', 'growth');
    await client.registry.updateRegisteredModel('churn', 'second');
    const fetched = await client.registry.getRegisteredModel('churn');
    assert.equal(fetched.description, 'second');
    assert.deepEqual(fetched.tags, [{ key: 'team', value: 'growth' }]);
    assert.deepEqual(fetched.aliases, [{ alias: 'champion', version: '2' }]);
    assert.equal(await client.registry.getModelVersionDownloadUri('churn', '1'), source);

    const versions = await client.registry.searchModelVersions({ filter: `run_id = '${run.id}'` });
    assert.deepEqual(versions.model_versions.map((v) => v.version).sort(), ['1', '2']);
    const models = await client.registry.searchRegisteredModels({ filter: "name LIKE 'chu%'" });
    assert.deepEqual(
      models.registered_models.map((m) => m.name),
      ['churn'],
    );
  });

  void it('renames and deletes, and reports a duplicate name with MLflow code and status', async () => {
    await client.registry.createRegisteredModel({ name: 'old-name' });
    const duplicate = await client.registry.createRegisteredModel({ name: 'old-name' }).catch((e: unknown) => e);
    assert.ok(duplicate instanceof MlflowApiError);
    assert.equal(duplicate.errorCode, 'RESOURCE_ALREADY_EXISTS');
    assert.equal(duplicate.status, 400);

    assert.equal((await client.registry.renameRegisteredModel('old-name', 'new-name')).name, 'new-name');
    await client.registry.deleteRegisteredModel('new-name');
    const gone = await client.registry.getRegisteredModel('new-name').catch((e: unknown) => e);
    assert.ok(gone instanceof MlflowApiError);
    assert.equal(gone.errorCode, 'RESOURCE_DOES_NOT_EXIST');
    assert.equal(gone.status, 404);
  });
});
