/** registered-models/alias (POST, GET, DELETE), through app.inject(). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertError, assertOk, missingParameter, useApi } from '../fixtures/builders.ts';
import { aModelVersion, aRegisteredModel, bodyOf, call, getModel, getVersion } from '../fixtures/registry-builders.ts';

void describe('aliases API', () => {
  const ctx = useApi();
  const setAlias = (name: string, alias: string, version: string) =>
    ctx.api.post('registered-models/alias', { name, alias, version });

  void it('points an alias at a version, moves it, and shows it on the model and the version', async () => {
    const name = await aRegisteredModel(ctx.api);
    await aModelVersion(ctx.api, name);
    await aModelVersion(ctx.api, name);
    const set = await setAlias(name, 'champion', '1');
    assertOk(set);
    assert.deepEqual(set.body, {});
    const got = await ctx.api.get('registered-models/alias', { name, alias: 'champion' });
    assertOk(got);
    assert.equal(bodyOf(got).model_version!.version, '1');
    assert.deepEqual(bodyOf(got).model_version!.aliases, ['champion']);

    assertOk(await setAlias(name, 'champion', '2'));
    assertOk(await setAlias(name, 'Champion-2_x', '2'));
    assert.deepEqual((await getModel(ctx.api, name)).aliases, [
      { alias: 'Champion-2_x', version: '2' },
      { alias: 'champion', version: '2' },
    ]);
    assert.equal((await getVersion(ctx.api, name, 1)).aliases, undefined);
    assert.deepEqual((await getVersion(ctx.api, name, 2)).aliases, ['Champion-2_x', 'champion']);
  });

  void it('deletes an alias; deleting a missing one is a no-op; a missing alias reads as 400', async () => {
    const name = await aRegisteredModel(ctx.api);
    await aModelVersion(ctx.api, name);
    assertOk(await setAlias(name, 'a', '1'));
    assertOk(await call(ctx.api, 'DELETE', 'registered-models/alias', { name, alias: 'a' }));
    assertOk(await call(ctx.api, 'DELETE', 'registered-models/alias', { name, alias: 'a' }));
    const missing = await ctx.api.get('registered-models/alias', { name, alias: 'a' });
    assertError(missing, 400, 'INVALID_PARAMETER_VALUE', 'Registered model alias a not found.');
    const unknownModel = await ctx.api.get('registered-models/alias', { name: 'nope-al', alias: 'a' });
    assertError(unknownModel, 400, 'INVALID_PARAMETER_VALUE');
    const deleteUnknown = await call(ctx.api, 'DELETE', 'registered-models/alias', { name: 'nope-al', alias: 'a' });
    assertError(deleteUnknown, 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  void it('refuses reserved, malformed and over-long alias names', async () => {
    const name = await aRegisteredModel(ctx.api);
    await aModelVersion(ctx.api, name);
    for (const [alias, message] of [
      ['latest', "'latest' alias name (case insensitive) is reserved."],
      ['LaTeSt', 'is reserved'],
      ['v1', "Version alias name 'v1' is reserved."],
      ['V42', 'is reserved'],
      ['has space', 'Invalid alias name'],
      ['dot.ted', 'Invalid alias name'],
      ['a'.repeat(256), 'length limit of 255'],
    ] as const) {
      assertError(await setAlias(name, alias, '1'), 400, 'INVALID_PARAMETER_VALUE', message);
    }
    assertOk(await setAlias(name, 'v1x', '1'));
    assertOk(await setAlias(name, 'é_模型', '1'));
  });

  void it('needs an existing version, a positive integer version and all fields', async () => {
    const name = await aRegisteredModel(ctx.api);
    await aModelVersion(ctx.api, name);
    assertError(
      await setAlias(name, 'a', '2'),
      404,
      'RESOURCE_DOES_NOT_EXIST',
      `Model Version (name=${name}, version=2) not found`,
    );
    assertError(await setAlias('nope-av', 'a', '1'), 404, 'RESOURCE_DOES_NOT_EXIST');
    assertError(await setAlias(name, 'a', 'one'), 400, 'INVALID_PARAMETER_VALUE');
    const noVersion = await ctx.api.post('registered-models/alias', { name, alias: 'a' });
    assertError(noVersion, 400, 'INVALID_PARAMETER_VALUE', missingParameter('version'));
    const noAlias = await ctx.api.post('registered-models/alias', { name, version: '1' });
    assertError(noAlias, 400, 'INVALID_PARAMETER_VALUE', missingParameter('alias'));
  });
});
