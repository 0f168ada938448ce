/** registered-models/create, get, update, rename, delete, set-tag, delete-tag and get-latest-versions, through app.inject(). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AJAX, assertError, assertOk, missingParameter, uniqueName, useApi } from '../fixtures/builders.ts';
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

void describe('registered models API', () => {
  const ctx = useApi();

  void describe('registered-models/create', () => {
    void it('creates a model with its tags and description, at revision 1', async () => {
      const name = uniqueName('model');
      const reply = await ctx.api.post('registered-models/create', {
        name,
        tags: [{ key: 'team', value: 'a' }],
        description: 'first',
      });
      assertOk(reply);
      const model = bodyOf(reply).registered_model!;
      assert.deepEqual(Object.keys(model).sort(), [
        'creation_timestamp',
        'description',
        'last_updated_timestamp',
        'name',
        'tags',
      ]);
      assert.equal(model.name, name);
      assert.equal(model.description, 'first');
      assert.equal(model.creation_timestamp, model.last_updated_timestamp);
      assert.deepEqual(model.tags, [{ key: 'team', value: 'a' }]);
      assert.equal(etagOf(reply), 1);
    });

    void it('omits the description and tags when there are none, as MLflow does', async () => {
      const reply = await ctx.api.post('registered-models/create', { name: uniqueName('model') });
      assertOk(reply);
      assert.deepEqual(Object.keys(bodyOf(reply).registered_model!).sort(), [
        'creation_timestamp',
        'last_updated_timestamp',
        'name',
      ]);
    });

    void it('keeps the last value of a tag key given twice', async () => {
      const name = await aRegisteredModel(ctx.api, uniqueName('model'), {
        tags: [
          { key: 'k', value: '1' },
          { key: 'k', value: '2' },
        ],
      });
      assert.deepEqual((await getModel(ctx.api, name)).tags, [{ key: 'k', value: '2' }]);
    });

    void it('rejects a duplicate name with 400 RESOURCE_ALREADY_EXISTS', async () => {
      const name = await aRegisteredModel(ctx.api);
      const reply = await ctx.api.post('registered-models/create', { name });
      assertError(reply, 400, 'RESOURCE_ALREADY_EXISTS', `Registered Model (name=${name}) already exists.`);
    });

    void it('refuses a name that differs from an existing one only by percent-encoding, either way round', async () => {
      const base = uniqueName('my model');
      await aRegisteredModel(ctx.api, base);
      const encoded = base.replace(' ', '%20');
      assertError(await ctx.api.post('registered-models/create', { name: encoded }), 400, 'RESOURCE_ALREADY_EXISTS');
      const doubly = base.replace(' ', '%2520');
      assertError(await ctx.api.post('registered-models/create', { name: doubly }), 400, 'RESOURCE_ALREADY_EXISTS');

      const other = uniqueName('x%41y');
      await aRegisteredModel(ctx.api, other);
      const decoded = other.replace('%41', 'A');
      assertError(
        await ctx.api.post('registered-models/create', { name: decoded }),
        400,
        'RESOURCE_ALREADY_EXISTS',
        other,
      );
    });

    void it('requires a name', async () => {
      assertError(
        await ctx.api.post('registered-models/create', {}),
        400,
        'INVALID_PARAMETER_VALUE',
        missingParameter('name'),
      );
      assertError(await ctx.api.post('registered-models/create', { name: '' }), 400, 'INVALID_PARAMETER_VALUE');
    });

    void it('rejects names longer than 256 characters, bad tag keys and long tag values', async () => {
      assertError(
        await ctx.api.post('registered-models/create', { name: 'm'.repeat(257) }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      const name = uniqueName('model');
      const badKey = await ctx.api.post('registered-models/create', { name, tags: [{ key: 'a/../b', value: 'v' }] });
      assertError(badKey, 400, 'INVALID_PARAMETER_VALUE', 'Invalid tag name');
      const longValue = await ctx.api.post('registered-models/create', {
        name,
        tags: [{ key: 'k', value: 'v'.repeat(5001) }],
      });
      assertError(longValue, 400, 'INVALID_PARAMETER_VALUE', 'length limit of 5000');
      const noKey = await ctx.api.post('registered-models/create', { name, tags: [{ value: 'v' }] });
      assertError(noKey, 400, 'INVALID_PARAMETER_VALUE', missingParameter('tags[0].key'));
      assertError(await ctx.api.get('registered-models/get', { name }), 404, 'RESOURCE_DOES_NOT_EXIST');
    });

    void it('is served under /ajax-api too', async () => {
      const reply = await ctx.api.withPrefix(AJAX).post('registered-models/create', { name: uniqueName('model') });
      assertOk(reply);
    });
  });

  void describe('registered-models/get', () => {
    void it('answers 404 with MLflow message for an unknown model', async () => {
      const reply = await ctx.api.get('registered-models/get', { name: 'no-such-model' });
      assertError(reply, 404, 'RESOURCE_DOES_NOT_EXIST', 'Registered Model with name=no-such-model not found');
    });

    void it('requires a name', async () => {
      assertError(await ctx.api.get('registered-models/get'), 400, 'INVALID_PARAMETER_VALUE', missingParameter('name'));
    });

    void it('carries the revision as ETag', async () => {
      const name = await aRegisteredModel(ctx.api);
      assert.equal(etagOf(await ctx.api.get('registered-models/get', { name })), 1);
    });
  });

  void describe('registered-models/update', () => {
    void it('sets the description and the last update time', async () => {
      const name = await aRegisteredModel(ctx.api);
      const before = await getModel(ctx.api, name);
      const reply = await call(ctx.api, 'PATCH', 'registered-models/update', { name, description: 'second' });
      assertOk(reply);
      const model = bodyOf(reply).registered_model!;
      assert.equal(model.description, 'second');
      assert.ok(model.last_updated_timestamp! >= before.last_updated_timestamp!);
      assert.equal(etagOf(reply), 2);
    });

    void it('clears the description when none is sent, as MLflow does', async () => {
      const name = await aRegisteredModel(ctx.api, uniqueName('model'), { description: 'x' });
      assertOk(await call(ctx.api, 'PATCH', 'registered-models/update', { name }));
      assert.equal((await getModel(ctx.api, name)).description, undefined);
    });

    void it('answers 404 for an unknown model and 405 to POST', async () => {
      assertError(
        await call(ctx.api, 'PATCH', 'registered-models/update', { name: 'nope-x' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      assertError(await ctx.api.post('registered-models/update', { name: 'nope-x' }), 405, 'METHOD_NOT_ALLOWED');
    });
  });

  void describe('registered-models/rename', () => {
    void it('renames the model; versions, tags and aliases follow, and the versions count as updated', async () => {
      const name = await aRegisteredModel(ctx.api, uniqueName('model'), { tags: [{ key: 't', value: '1' }] });
      const v1 = await aModelVersion(ctx.api, name);
      assertOk(await ctx.api.post('registered-models/alias', { name, alias: 'champion', version: '1' }));
      const newName = uniqueName('renamed');
      const reply = await ctx.api.post('registered-models/rename', { name, new_name: newName });
      assertOk(reply);
      const model = bodyOf(reply).registered_model!;
      assert.equal(model.name, newName);
      assert.equal(model.latest_versions?.[0]?.name, newName);
      assert.deepEqual(model.aliases, [{ alias: 'champion', version: '1' }]);
      assert.deepEqual(model.tags, [{ key: 't', value: '1' }]);
      const version = await getVersion(ctx.api, newName, 1);
      assert.ok(version.last_updated_timestamp >= v1.last_updated_timestamp);
      assertError(await ctx.api.get('registered-models/get', { name }), 404, 'RESOURCE_DOES_NOT_EXIST');
      assertError(await ctx.api.get('model-versions/get', { name, version: '1' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    });

    void it('refuses a taken name, or one taken once percent-decoded, but allows re-encoding its own name', async () => {
      const taken = await aRegisteredModel(ctx.api, uniqueName('taken name'));
      const name = await aRegisteredModel(ctx.api, uniqueName('mine name'));
      const rename = (newName: string) => ctx.api.post('registered-models/rename', { name, new_name: newName });
      assertError(await rename(taken), 400, 'RESOURCE_ALREADY_EXISTS');
      assertError(await rename(taken.replace(' ', '%20')), 400, 'RESOURCE_ALREADY_EXISTS');
      assertOk(await rename(name.replace(' ', '%20')));
    });

    void it('requires new_name and an existing model', async () => {
      const name = await aRegisteredModel(ctx.api);
      const reply = await ctx.api.post('registered-models/rename', { name });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', missingParameter('new_name'));
      const missing = await ctx.api.post('registered-models/rename', { name: 'nope-y', new_name: 'z' });
      assertError(missing, 404, 'RESOURCE_DOES_NOT_EXIST');
    });
  });

  void describe('registered-models/delete', () => {
    void it('deletes the model with its versions; a new model of that name starts again at version 1', async () => {
      const name = await aRegisteredModel(ctx.api);
      await aModelVersion(ctx.api, name);
      await aModelVersion(ctx.api, name);
      const reply = await call(ctx.api, 'DELETE', 'registered-models/delete', { name });
      assertOk(reply);
      assert.deepEqual(reply.body, {});
      assertError(await ctx.api.get('registered-models/get', { name }), 404, 'RESOURCE_DOES_NOT_EXIST');
      assertError(await ctx.api.get('model-versions/get', { name, version: '1' }), 404, 'RESOURCE_DOES_NOT_EXIST');
      await aRegisteredModel(ctx.api, name);
      assert.equal((await aModelVersion(ctx.api, name)).version, '1');
    });

    void it('answers 404 for an unknown model', async () => {
      assertError(
        await call(ctx.api, 'DELETE', 'registered-models/delete', { name: 'nope-z' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });
  });

  void describe('registered-models/set-tag and delete-tag', () => {
    void it('sets, overwrites and deletes a tag; deleting a missing tag is a no-op', async () => {
      const name = await aRegisteredModel(ctx.api);
      assertOk(await ctx.api.post('registered-models/set-tag', { name, key: 'k', value: 'v1' }));
      assertOk(await ctx.api.post('registered-models/set-tag', { name, key: 'k', value: 'v2' }));
      assertOk(await ctx.api.post('registered-models/set-tag', { name, key: 'empty' }));
      assert.deepEqual((await getModel(ctx.api, name)).tags, [
        { key: 'empty', value: '' },
        { key: 'k', value: 'v2' },
      ]);
      assertOk(await call(ctx.api, 'DELETE', 'registered-models/delete-tag', { name, key: 'k' }));
      assertOk(await call(ctx.api, 'DELETE', 'registered-models/delete-tag', { name, key: 'never-set' }));
      assert.deepEqual((await getModel(ctx.api, name)).tags, [{ key: 'empty', value: '' }]);
    });

    void it('answers 404 for an unknown model and 400 for a bad or missing key', async () => {
      assertError(
        await ctx.api.post('registered-models/set-tag', { name: 'nope-t', key: 'k', value: 'v' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      assertError(
        await call(ctx.api, 'DELETE', 'registered-models/delete-tag', { name: 'nope-t', key: 'k' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      const name = await aRegisteredModel(ctx.api);
      assertError(
        await ctx.api.post('registered-models/set-tag', { name, key: '../x', value: 'v' }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      assertError(
        await ctx.api.post('registered-models/set-tag', { name, value: 'v' }),
        400,
        'INVALID_PARAMETER_VALUE',
        missingParameter('key'),
      );
      const long = await ctx.api.post('registered-models/set-tag', { name, key: 'k'.repeat(251), value: 'v' });
      assertError(long, 400, 'INVALID_PARAMETER_VALUE');
    });
  });

  void describe('registered-models/get-latest-versions', () => {
    void it('returns the latest version of each stage, in MLflow order, with their aliases', async () => {
      const name = await aRegisteredModel(ctx.api);
      for (let i = 0; i < 4; i++) await aModelVersion(ctx.api, name);
      await transition(ctx.api, name, 1, 'Staging');
      await transition(ctx.api, name, 3, 'Production');
      assertOk(await ctx.api.post('registered-models/alias', { name, alias: 'best', version: '3' }));
      const all = await ctx.api.post('registered-models/get-latest-versions', { name });
      assertOk(all);
      const versions = bodyOf(all).model_versions!;
      assert.deepEqual(
        versions.map((v) => [v.version, v.current_stage]),
        [
          ['1', 'Staging'],
          ['4', 'None'],
          ['3', 'Production'],
        ],
      );
      assert.deepEqual(versions[2]!.aliases, ['best']);
      const production = await ctx.api.get('registered-models/get-latest-versions', { name, stages: ['production'] });
      assert.deepEqual(
        bodyOf(production).model_versions!.map((v) => v.version),
        ['3'],
      );
      const model = await getModel(ctx.api, name);
      assert.equal(model.latest_versions?.[2]?.aliases, undefined, 'latest versions inside a model carry no aliases');
    });

    void it('answers {} when no version is in the stage, 400 for a bad stage and 404 for an unknown model', async () => {
      const name = await aRegisteredModel(ctx.api);
      const none = await ctx.api.post('registered-models/get-latest-versions', { name, stages: ['Archived'] });
      assertOk(none);
      assert.deepEqual(none.body, {});
      const bad = await ctx.api.post('registered-models/get-latest-versions', { name, stages: ['Bogus'] });
      assertError(bad, 400, 'INVALID_PARAMETER_VALUE', 'Invalid Model Version stage: Bogus');
      const unknown = await ctx.api.post('registered-models/get-latest-versions', { name: 'nope-l' });
      assertError(unknown, 404, 'RESOURCE_DOES_NOT_EXIST');
    });
  });
});
