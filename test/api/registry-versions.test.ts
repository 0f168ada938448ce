/** model-versions/create, get, update, transition-stage, delete, get-download-uri and tags, through app.inject(). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  aRun,
  anExperiment,
  assertError,
  assertOk,
  missingParameter,
  range,
  uniqueName,
  useApi,
} from '../fixtures/builders.ts';
import {
  aModelVersion,
  aRegisteredModel,
  bodyOf,
  call,
  etagOf,
  getModel,
  getVersion,
  transition,
} from '../fixtures/registry-builders.ts';

void describe('model versions API', () => {
  const ctx = useApi();

  void describe('model-versions/create', () => {
    void it('numbers versions 1, 2, 3 and returns MLflow fields, "" for absent strings', async () => {
      const name = await aRegisteredModel(ctx.api);
      const reply = await ctx.api.post('model-versions/create', { name, source: 's3://bucket/m' });
      assertOk(reply);
      const mv = bodyOf(reply).model_version!;
      assert.deepEqual(Object.keys(mv).sort(), [
        'creation_timestamp',
        'current_stage',
        'description',
        'last_updated_timestamp',
        'name',
        'run_id',
        'run_link',
        'source',
        'status',
        'version',
      ]);
      assert.deepEqual(
        [mv.version, mv.current_stage, mv.status, mv.description, mv.run_id, mv.run_link],
        ['1', 'None', 'READY', '', '', ''],
      );
      assert.equal(etagOf(reply), 2);
      assert.equal((await aModelVersion(ctx.api, name)).version, '2');
      assert.equal((await aModelVersion(ctx.api, name)).version, '3');
    });

    void it('stores run_id, run_link, description, tags and model_id, and moves the model’s last update time', async () => {
      const name = await aRegisteredModel(ctx.api);
      const run = await aRun(ctx.api);
      const logged = await ctx.api.post('logged-models', { experiment_id: run.info.experiment_id });
      const modelId = (logged.body as { model: { info: { model_id: string } } }).model.info.model_id;
      const mv = await aModelVersion(ctx.api, name, {
        source: `runs:/${run.info.run_id}/model`,
        run_id: run.info.run_id,
        run_link: 'http://elsewhere/run',
        description: 'v1',
        tags: [{ key: 't', value: '1' }],
        model_id: modelId,
      });
      assert.equal(mv.run_id, run.info.run_id);
      assert.equal((mv as { model_id?: string }).model_id, modelId);
      assert.equal(mv.run_link, 'http://elsewhere/run');
      assert.equal(mv.description, 'v1');
      assert.deepEqual(mv.tags, [{ key: 't', value: '1' }]);
      const model = await getModel(ctx.api, name);
      assert.equal(model.last_updated_timestamp, mv.creation_timestamp);
      assert.equal(model.latest_versions?.[0]?.version, '1');
    });

    void it('gives concurrent creations distinct, gapless numbers', async () => {
      const name = await aRegisteredModel(ctx.api);
      const created = await Promise.all(range(12).map(() => aModelVersion(ctx.api, name)));
      assert.deepEqual(
        created.map((v) => Number(v.version)).sort((a, b) => a - b),
        range(12).map((i) => i + 1),
      );
    });

    void it('requires name and source, and an existing model', async () => {
      assertError(
        await ctx.api.post('model-versions/create', { source: 's3://b/m' }),
        400,
        'INVALID_PARAMETER_VALUE',
        missingParameter('name'),
      );
      const name = await aRegisteredModel(ctx.api);
      assertError(
        await ctx.api.post('model-versions/create', { name }),
        400,
        'INVALID_PARAMETER_VALUE',
        missingParameter('source'),
      );
      const unknown = await ctx.api.post('model-versions/create', { name: 'nope-mv', source: 's3://b/m' });
      assertError(unknown, 404, 'RESOURCE_DOES_NOT_EXIST', 'Registered Model with name=nope-mv not found');
    });

    void it('refuses sources with relative path parts, even percent-encoded, and URIs without an absolute path', async () => {
      const name = await aRegisteredModel(ctx.api);
      for (const source of [
        's3://bucket/a/../b',
        'mlflow-artifacts:/1/x/%2e%2e/%2e%2e/y',
        'mlflow-artifacts:/1/x/%252e%252e/y',
        'http://host/api/2.0/mlflow-artifacts/artifacts/../../etc',
        's3://bucket',
        'runs:relative/model',
        'gs://bucket/a/./b',
      ]) {
        const reply = await ctx.api.post('model-versions/create', { name, source });
        assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'Invalid model version source');
      }
      assertOk(
        await ctx.api.post('model-versions/create', { name, source: 'mlflow-artifacts:/1/abc/artifacts/model' }),
      );
    });

    void it('accepts a local source only inside the local artifact directory of the given run', async () => {
      const name = await aRegisteredModel(ctx.api);
      const root = `${ctx.api.test.dir}/local-artifacts`;
      const run = await aRun(ctx.api, {
        experiment_id: await anExperiment(ctx.api, uniqueName(), { artifact_location: root }),
      });
      const inside = `${run.info.artifact_uri}/model`;
      const create = (source: string, runId?: string) =>
        ctx.api.post('model-versions/create', { name, source, ...(runId ? { run_id: runId } : {}) });
      assertOk(await create(inside, run.info.run_id));
      assertOk(await create(`file://${inside}`, run.info.run_id));
      assertError(await create(inside), 400, 'INVALID_PARAMETER_VALUE', 'run_id request parameter');
      assertError(await create(`${root}/elsewhere`, run.info.run_id), 400, 'INVALID_PARAMETER_VALUE');
      assertError(await create(`${run.info.artifact_uri}/../../x`, run.info.run_id), 400, 'INVALID_PARAMETER_VALUE');
      assertError(await create('/etc/passwd', run.info.run_id), 400, 'INVALID_PARAMETER_VALUE');
      assertError(await create('file://other-host/x', run.info.run_id), 400, 'INVALID_PARAMETER_VALUE');
      assertError(await create(inside, 'f'.repeat(32)), 404, 'RESOURCE_DOES_NOT_EXIST');
      const proxied = await aRun(ctx.api);
      assertError(await create('/tmp/model', proxied.info.run_id), 400, 'INVALID_PARAMETER_VALUE');
    });

    void it('does not check the source of a prompt version (its text lives in tags)', async () => {
      const name = await aRegisteredModel(ctx.api);
      const tags = [{ key: 'mlflow.prompt.is_prompt', value: 'true' }];
      assertOk(await ctx.api.post('model-versions/create', { name, source: 'dummy-source', tags }));
    });

    void it('copies the location a models:/ source points to, once, at creation', async () => {
      const name = await aRegisteredModel(ctx.api);
      await aModelVersion(ctx.api, name, { source: 's3://bucket/first' });
      assertOk(await ctx.api.post('registered-models/alias', { name, alias: 'champ', version: '1' }));
      const byVersion = await aModelVersion(ctx.api, name, { source: `models:/${name}/1` });
      const byAlias = await aModelVersion(ctx.api, name, { source: `models:/${name}@champ` });
      const latest = await aModelVersion(ctx.api, name, { source: `models:/${name}/latest` });
      assert.equal(byVersion.source, `models:/${name}/1`);
      for (const mv of [byVersion, byAlias, latest]) {
        const reply = await ctx.api.get('model-versions/get-download-uri', { name, version: mv.version });
        assert.equal(bodyOf(reply).artifact_uri, 's3://bucket/first');
      }
      for (const source of [
        `models:/${name}/99`,
        `models:/${name}@nobody`,
        'models:/m-0123456789',
        `models:/${name}/Production`,
      ]) {
        const reply = await ctx.api.post('model-versions/create', { name, source });
        assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'Unable to fetch model');
      }
    });
  });

  void describe('model-versions/get', () => {
    void it('returns the version with its tags and aliases, and the model revision as ETag', async () => {
      const name = await aRegisteredModel(ctx.api);
      await aModelVersion(ctx.api, name, { tags: [{ key: 'a', value: '1' }] });
      assertOk(await ctx.api.post('registered-models/alias', { name, alias: 'x', version: '1' }));
      const reply = await ctx.api.get('model-versions/get', { name, version: '1' });
      assertOk(reply);
      assert.deepEqual(bodyOf(reply).model_version!.aliases, ['x']);
      assert.deepEqual(bodyOf(reply).model_version!.tags, [{ key: 'a', value: '1' }]);
      assert.equal(etagOf(reply), 3);
    });

    void it('answers 404 for an unknown version or model and 400 for a version that is no positive integer', async () => {
      const name = await aRegisteredModel(ctx.api);
      const unknown = await ctx.api.get('model-versions/get', { name, version: '99' });
      assertError(unknown, 404, 'RESOURCE_DOES_NOT_EXIST', `Model Version (name=${name}, version=99) not found`);
      assertError(
        await ctx.api.get('model-versions/get', { name: 'nope-g', version: '1' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      for (const version of ['abc', '0', '-1', '1.5']) {
        assertError(await ctx.api.get('model-versions/get', { name, version }), 400, 'INVALID_PARAMETER_VALUE');
      }
      assertError(
        await ctx.api.get('model-versions/get', { name }),
        400,
        'INVALID_PARAMETER_VALUE',
        missingParameter('version'),
      );
    });
  });

  void describe('model-versions/update', () => {
    void it('sets the description; an absent description clears it (MLflow sends none back then)', async () => {
      const name = await aRegisteredModel(ctx.api);
      await aModelVersion(ctx.api, name);
      const reply = await call(ctx.api, 'PATCH', 'model-versions/update', { name, version: '1', description: 'new' });
      assertOk(reply);
      assert.equal(bodyOf(reply).model_version!.description, 'new');
      assertOk(await call(ctx.api, 'PATCH', 'model-versions/update', { name, version: '1' }));
      assert.equal((await getVersion(ctx.api, name, 1)).description, undefined);
      assertError(
        await call(ctx.api, 'PATCH', 'model-versions/update', { name, version: '5' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });
  });

  void describe('model-versions/transition-stage', () => {
    void it('moves a version to a stage given in any letter case', async () => {
      const name = await aRegisteredModel(ctx.api);
      await aModelVersion(ctx.api, name);
      const mv = await transition(ctx.api, name, 1, 'staging');
      assert.equal(mv.current_stage, 'Staging');
      assert.equal((await getModel(ctx.api, name)).last_updated_timestamp, mv.last_updated_timestamp);
    });

    void it('archives the other versions of the target stage only when asked', async () => {
      const name = await aRegisteredModel(ctx.api);
      for (let i = 0; i < 4; i++) await aModelVersion(ctx.api, name);
      await transition(ctx.api, name, 1, 'Production');
      await transition(ctx.api, name, 2, 'Production');
      await transition(ctx.api, name, 3, 'Staging');
      await transition(ctx.api, name, 4, 'Production', true);
      const stages = await Promise.all(
        [1, 2, 3, 4].map(async (v) => (await getVersion(ctx.api, name, v)).current_stage),
      );
      assert.deepEqual(stages, ['Archived', 'Archived', 'Staging', 'Production']);
    });

    void it('rejects unknown stages, archiving into a non-active stage, and missing fields', async () => {
      const name = await aRegisteredModel(ctx.api);
      await aModelVersion(ctx.api, name);
      const send = (body: Record<string, unknown>) =>
        ctx.api.post('model-versions/transition-stage', { name, version: '1', ...body });
      assertError(
        await send({ stage: 'Bogus', archive_existing_versions: false }),
        400,
        'INVALID_PARAMETER_VALUE',
        'Invalid Model Version stage: Bogus. Value must be one of None, Staging, Production, Archived.',
      );
      assertError(
        await send({ stage: 'Archived', archive_existing_versions: true }),
        400,
        'INVALID_PARAMETER_VALUE',
        'not an Active stage',
      );
      assertError(await send({}), 400, 'INVALID_PARAMETER_VALUE', missingParameter('stage'));
      assertError(await send({ stage: 'None', archive_existing_versions: 'yes' }), 400, 'INVALID_PARAMETER_VALUE');
      const unknown = await ctx.api.post('model-versions/transition-stage', { name, version: '7', stage: 'Staging' });
      assertError(unknown, 404, 'RESOURCE_DOES_NOT_EXIST');
    });
  });

  void describe('model-versions/delete', () => {
    void it('deletes the version and the aliases pointing at it; its number is not reused', async () => {
      const name = await aRegisteredModel(ctx.api);
      await aModelVersion(ctx.api, name);
      await aModelVersion(ctx.api, name);
      assertOk(await ctx.api.post('registered-models/alias', { name, alias: 'a', version: '2' }));
      assertOk(await call(ctx.api, 'DELETE', 'model-versions/delete', { name, version: '2' }));
      assertError(await ctx.api.get('model-versions/get', { name, version: '2' }), 404, 'RESOURCE_DOES_NOT_EXIST');
      assert.equal((await getModel(ctx.api, name)).aliases, undefined);
      assert.equal((await aModelVersion(ctx.api, name)).version, '3');
      assertError(
        await call(ctx.api, 'DELETE', 'model-versions/delete', { name, version: '2' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });
  });

  void describe('model-versions/get-download-uri', () => {
    void it('returns the stored source, and 404 for an unknown version', async () => {
      const name = await aRegisteredModel(ctx.api);
      await aModelVersion(ctx.api, name, { source: 's3://bucket/where' });
      const reply = await ctx.api.get('model-versions/get-download-uri', { name, version: '1' });
      assertOk(reply);
      assert.deepEqual(reply.body, { artifact_uri: 's3://bucket/where' });
      assertError(
        await ctx.api.get('model-versions/get-download-uri', { name, version: '2' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });
  });

  void describe('model-versions/set-tag and delete-tag', () => {
    void it('sets, overwrites and deletes version tags; deleting a missing tag is a no-op', async () => {
      const name = await aRegisteredModel(ctx.api);
      await aModelVersion(ctx.api, name);
      assertOk(await ctx.api.post('model-versions/set-tag', { name, version: '1', key: 'k', value: 'a' }));
      assertOk(await ctx.api.post('model-versions/set-tag', { name, version: '1', key: 'k', value: 'b' }));
      assert.deepEqual((await getVersion(ctx.api, name, 1)).tags, [{ key: 'k', value: 'b' }]);
      assertOk(await call(ctx.api, 'DELETE', 'model-versions/delete-tag', { name, version: '1', key: 'k' }));
      assertOk(await call(ctx.api, 'DELETE', 'model-versions/delete-tag', { name, version: '1', key: 'k' }));
      assert.equal((await getVersion(ctx.api, name, 1)).tags, undefined);
    });

    void it('answers 404 for an unknown version and 400 for bad keys or versions', async () => {
      const name = await aRegisteredModel(ctx.api);
      await aModelVersion(ctx.api, name);
      const set = (body: Record<string, unknown>) => ctx.api.post('model-versions/set-tag', { name, ...body });
      assertError(await set({ version: '2', key: 'k', value: 'v' }), 404, 'RESOURCE_DOES_NOT_EXIST');
      assertError(await set({ version: 'x', key: 'k', value: 'v' }), 400, 'INVALID_PARAMETER_VALUE');
      assertError(await set({ version: '1', key: '/abs', value: 'v' }), 400, 'INVALID_PARAMETER_VALUE');
      assertError(await set({ version: '1', key: 'k', value: 'v'.repeat(5001) }), 400, 'INVALID_PARAMETER_VALUE');
      assertError(await set({ version: '1', value: 'v' }), 400, 'INVALID_PARAMETER_VALUE', missingParameter('key'));
      const del = await call(ctx.api, 'DELETE', 'model-versions/delete-tag', { name, version: '3', key: 'k' });
      assertError(del, 404, 'RESOURCE_DOES_NOT_EXIST');
    });
  });
});
