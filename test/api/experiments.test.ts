/** experiments/create, get, get-by-name, update, delete, restore and experiment tags, through app.inject(). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AJAX,
  aRun,
  anExperiment,
  assertError,
  assertOk,
  getExperiment,
  getRun,
  missingParameter,
  uniqueName,
  useApi,
} from '../fixtures/builders.ts';

void describe('experiments API', () => {
  const ctx = useApi();

  void describe('experiments/create', () => {
    void it('creates an experiment and returns its id as a string', async () => {
      const reply = await ctx.api.post('experiments/create', { name: uniqueName() });
      assertOk(reply);
      assert.equal(typeof reply.body.experiment_id, 'string');
      assert.match(reply.body.experiment_id!, /^\d+$/);
      assert.deepEqual(Object.keys(reply.body), ['experiment_id']);
    });

    void it('stores the tags given at creation', async () => {
      const id = await anExperiment(ctx.api, uniqueName(), { tags: [{ key: 'team', value: 'a' }] });
      assert.deepEqual((await getExperiment(ctx.api, id)).tags, [{ key: 'team', value: 'a' }]);
    });

    void it('derives the artifact location from the default root and the experiment id', async () => {
      const id = await anExperiment(ctx.api);
      assert.equal((await getExperiment(ctx.api, id)).artifact_location, `mlflow-artifacts:/${id}`);
    });

    void it('keeps an explicit artifact location and roots its runs under it', async () => {
      const id = await anExperiment(ctx.api, uniqueName(), { artifact_location: 's3://bucket/some/where' });
      assert.equal((await getExperiment(ctx.api, id)).artifact_location, 's3://bucket/some/where');
      const run = await aRun(ctx.api, { experiment_id: id });
      assert.equal(run.info.artifact_uri, `s3://bucket/some/where/${run.info.run_id}/artifacts`);
    });

    void it('rejects a duplicate name with 400 RESOURCE_ALREADY_EXISTS', async () => {
      const name = uniqueName();
      await anExperiment(ctx.api, name);
      const reply = await ctx.api.post('experiments/create', { name });
      assertError(reply, 400, 'RESOURCE_ALREADY_EXISTS', 'already exists');
    });

    void it('keeps the name of a deleted experiment reserved', async () => {
      const name = uniqueName();
      const id = await anExperiment(ctx.api, name);
      assertOk(await ctx.api.post('experiments/delete', { experiment_id: id }));
      assertError(await ctx.api.post('experiments/create', { name }), 400, 'RESOURCE_ALREADY_EXISTS', 'already exists');
    });

    void it('rejects a request without a name', async () => {
      assertError(
        await ctx.api.post('experiments/create', {}),
        400,
        'INVALID_PARAMETER_VALUE',
        missingParameter('name'),
      );
    });

    void it('treats an empty name as missing', async () => {
      const reply = await ctx.api.post('experiments/create', { name: '' });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', missingParameter('name'));
    });

    void it('rejects a name longer than 500 characters', async () => {
      const reply = await ctx.api.post('experiments/create', { name: 'n'.repeat(501) });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'Experiment name exceeds the maximum length of 500');
    });

    void it('rejects an artifact location with a URL fragment', async () => {
      const reply = await ctx.api.post('experiments/create', {
        name: uniqueName(),
        artifact_location: 's3://bucket/path#frag',
      });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'fragment');
    });

    void it('rejects a runs:/ URI as artifact location', async () => {
      const reply = await ctx.api.post('experiments/create', {
        name: uniqueName(),
        artifact_location: 'runs:/0123456789abcdef/model',
      });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'runs:');
    });

    void it('rejects an invalid experiment tag key', async () => {
      const reply = await ctx.api.post('experiments/create', {
        name: uniqueName(),
        tags: [{ key: 'bad!', value: 'x' }],
      });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', "Invalid tag name: 'bad!'");
    });
  });

  void describe('experiments/get and get-by-name', () => {
    void it('returns every field of the experiment, timestamps as numbers', async () => {
      const name = uniqueName();
      const id = await anExperiment(ctx.api, name);
      const experiment = await getExperiment(ctx.api, id);
      assert.equal(experiment.experiment_id, id);
      assert.equal(experiment.name, name);
      assert.equal(experiment.lifecycle_stage, 'active');
      assert.equal(typeof experiment.creation_time, 'number');
      assert.equal(typeof experiment.last_update_time, 'number');
      assert.equal('tags' in experiment, false, 'an experiment without tags has no tags field');
    });

    void it('has the default experiment "0" named Default', async () => {
      const experiment = await getExperiment(ctx.api, '0');
      assert.equal(experiment.name, 'Default');
      assert.equal(experiment.lifecycle_stage, 'active');
    });

    void it('answers 404 RESOURCE_DOES_NOT_EXIST for an unknown id', async () => {
      const reply = await ctx.api.get('experiments/get', { experiment_id: '999999' });
      assertError(reply, 404, 'RESOURCE_DOES_NOT_EXIST', 'No Experiment with id=999999 exists');
    });

    void it('rejects an id that is not an integer', async () => {
      const reply = await ctx.api.get('experiments/get', { experiment_id: 'not-a-number' });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', "Invalid experiment ID 'not-a-number'");
    });

    void it('rejects a get without experiment_id', async () => {
      const reply = await ctx.api.get('experiments/get');
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', missingParameter('experiment_id'));
    });

    void it('finds an experiment by name, under /ajax-api too', async () => {
      const name = uniqueName();
      const id = await anExperiment(ctx.api, name, { tags: [{ key: 'k', value: 'v' }] });
      for (const api of [ctx.api, ctx.api.withPrefix(AJAX)]) {
        const reply = await api.get('experiments/get-by-name', { experiment_name: name });
        assertOk(reply);
        assert.equal(reply.body.experiment?.experiment_id, id);
        assert.deepEqual(reply.body.experiment?.tags, [{ key: 'k', value: 'v' }]);
      }
    });

    void it('answers 404 for an unknown name', async () => {
      const reply = await ctx.api.get('experiments/get-by-name', { experiment_name: 'no-such-exp' });
      assertError(reply, 404, 'RESOURCE_DOES_NOT_EXIST', "Could not find experiment with name 'no-such-exp'");
    });

    void it('finds a deleted experiment by name, marked deleted', async () => {
      const name = uniqueName();
      const id = await anExperiment(ctx.api, name);
      assertOk(await ctx.api.post('experiments/delete', { experiment_id: id }));
      const reply = await ctx.api.get('experiments/get-by-name', { experiment_name: name });
      assertOk(reply);
      assert.equal(reply.body.experiment?.lifecycle_stage, 'deleted');
    });

    void it('rejects get-by-name without experiment_name', async () => {
      const reply = await ctx.api.get('experiments/get-by-name');
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', missingParameter('experiment_name'));
    });
  });

  void describe('experiments/update', () => {
    void it('renames an experiment: the new name resolves, the old one no longer does', async () => {
      const [oldName, newName] = [uniqueName(), uniqueName()];
      const id = await anExperiment(ctx.api, oldName);
      const reply = await ctx.api.post('experiments/update', { experiment_id: id, new_name: newName });
      assertOk(reply);
      assert.deepEqual(reply.body, {});
      assert.equal((await getExperiment(ctx.api, id)).name, newName);
      assertError(
        await ctx.api.get('experiments/get-by-name', { experiment_name: oldName }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });

    void it('rejects a rename without new_name', async () => {
      const id = await anExperiment(ctx.api);
      const reply = await ctx.api.post('experiments/update', { experiment_id: id });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', missingParameter('new_name'));
    });

    void it('answers 404 when renaming an unknown experiment', async () => {
      const reply = await ctx.api.post('experiments/update', { experiment_id: '424242', new_name: uniqueName() });
      assertError(reply, 404, 'RESOURCE_DOES_NOT_EXIST', 'No Experiment with id=424242 exists');
    });

    // MLflow answers INVALID_STATE, which it maps to HTTP 500; a client mistake is a 4xx here.
    void it('refuses to rename a deleted experiment with a 400', async () => {
      const name = uniqueName();
      const id = await anExperiment(ctx.api, name);
      assertOk(await ctx.api.post('experiments/delete', { experiment_id: id }));
      const reply = await ctx.api.post('experiments/update', { experiment_id: id, new_name: uniqueName() });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'Cannot rename a non-active experiment.');
      assert.equal((await getExperiment(ctx.api, id)).name, name);
    });

    void it('refuses to rename to a name another experiment holds', async () => {
      const taken = uniqueName();
      const other = await anExperiment(ctx.api, taken);
      const id = await anExperiment(ctx.api);
      const reply = await ctx.api.post('experiments/update', { experiment_id: id, new_name: taken });
      assert.equal(reply.status, 400, reply.text);
      assert.ok(['RESOURCE_ALREADY_EXISTS', 'BAD_REQUEST'].includes(reply.body.error_code ?? ''), reply.text);
      const byName = await ctx.api.get('experiments/get-by-name', { experiment_name: taken });
      assert.equal(byName.body.experiment?.experiment_id, other);
    });
  });

  void describe('experiments/delete and restore', () => {
    void it('soft-deletes an experiment together with its runs', async () => {
      const id = await anExperiment(ctx.api);
      const run = await aRun(ctx.api, { experiment_id: id });
      const reply = await ctx.api.post('experiments/delete', { experiment_id: id });
      assertOk(reply);
      assert.deepEqual(reply.body, {});
      assert.equal((await getExperiment(ctx.api, id)).lifecycle_stage, 'deleted');
      assert.equal((await getRun(ctx.api, run.info.run_id)).info.lifecycle_stage, 'deleted');
    });

    void it('restores an experiment together with its runs', async () => {
      const id = await anExperiment(ctx.api);
      const run = await aRun(ctx.api, { experiment_id: id });
      assertOk(await ctx.api.post('experiments/delete', { experiment_id: id }));
      const reply = await ctx.api.post('experiments/restore', { experiment_id: id });
      assertOk(reply);
      assert.deepEqual(reply.body, {});
      assert.equal((await getExperiment(ctx.api, id)).lifecycle_stage, 'active');
      assert.equal((await getRun(ctx.api, run.info.run_id)).info.lifecycle_stage, 'active');
    });

    void it('answers 404 when deleting or restoring an unknown experiment', async () => {
      for (const path of ['experiments/delete', 'experiments/restore']) {
        const reply = await ctx.api.post(path, { experiment_id: '424242' });
        assertError(reply, 404, 'RESOURCE_DOES_NOT_EXIST', 'No Experiment with id=424242 exists');
      }
    });

    void it('answers 404 when deleting an experiment that is already deleted, as MLflow does', async () => {
      const id = await anExperiment(ctx.api);
      assertOk(await ctx.api.post('experiments/delete', { experiment_id: id }));
      const reply = await ctx.api.post('experiments/delete', { experiment_id: id });
      assertError(reply, 404, 'RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${id} exists`);
    });

    void it('answers 404 when restoring an experiment that is active, as MLflow does', async () => {
      const id = await anExperiment(ctx.api);
      const reply = await ctx.api.post('experiments/restore', { experiment_id: id });
      assertError(reply, 404, 'RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${id} exists`);
    });

    void it('rejects delete and restore without experiment_id', async () => {
      for (const path of ['experiments/delete', 'experiments/restore']) {
        assertError(await ctx.api.post(path, {}), 400, 'INVALID_PARAMETER_VALUE', missingParameter('experiment_id'));
      }
    });
  });

  void describe('experiment tags', () => {
    void it('sets a tag and overwrites it on a second set', async () => {
      const id = await anExperiment(ctx.api);
      const first = await ctx.api.post('experiments/set-experiment-tag', { experiment_id: id, key: 'k', value: '1' });
      assertOk(first);
      assert.deepEqual(first.body, {});
      assertOk(await ctx.api.post('experiments/set-experiment-tag', { experiment_id: id, key: 'k', value: '2' }));
      assert.deepEqual((await getExperiment(ctx.api, id)).tags, [{ key: 'k', value: '2' }]);
    });

    void it('deletes a tag', async () => {
      const id = await anExperiment(ctx.api, uniqueName(), { tags: [{ key: 'purpose', value: 'wire' }] });
      const reply = await ctx.api.post('experiments/delete-experiment-tag', { experiment_id: id, key: 'purpose' });
      assertOk(reply);
      assert.deepEqual(reply.body, {});
      assert.equal('tags' in (await getExperiment(ctx.api, id)), false);
    });

    void it('answers 404 when deleting a tag that is not set', async () => {
      const id = await anExperiment(ctx.api);
      const reply = await ctx.api.post('experiments/delete-experiment-tag', { experiment_id: id, key: 'never-set' });
      assertError(reply, 404, 'RESOURCE_DOES_NOT_EXIST', 'No tag with name: never-set');
    });

    void it('answers 404 for tags of an unknown experiment', async () => {
      const set = await ctx.api.post('experiments/set-experiment-tag', {
        experiment_id: '424242',
        key: 'k',
        value: 'v',
      });
      assertError(set, 404, 'RESOURCE_DOES_NOT_EXIST', 'No Experiment with id=424242 exists');
      const del = await ctx.api.post('experiments/delete-experiment-tag', { experiment_id: '424242', key: 'k' });
      assertError(del, 404, 'RESOURCE_DOES_NOT_EXIST', 'No Experiment with id=424242 exists');
    });

    void it('refuses to tag a deleted experiment', async () => {
      const id = await anExperiment(ctx.api);
      assertOk(await ctx.api.post('experiments/delete', { experiment_id: id }));
      const reply = await ctx.api.post('experiments/set-experiment-tag', { experiment_id: id, key: 'k', value: 'v' });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', `The experiment ${id} must be in the 'active' state`);
    });

    void it('rejects a tag without key, and an invalid key name', async () => {
      const id = await anExperiment(ctx.api);
      const noKey = await ctx.api.post('experiments/set-experiment-tag', { experiment_id: id, value: 'v' });
      assertError(noKey, 400, 'INVALID_PARAMETER_VALUE', missingParameter('key'));
      const badKey = await ctx.api.post('experiments/set-experiment-tag', {
        experiment_id: id,
        key: '../x',
        value: 'v',
      });
      assertError(badKey, 400, 'INVALID_PARAMETER_VALUE', "Invalid tag name: '../x'");
    });

    void it('rejects an experiment tag value over 5000 characters instead of truncating it', async () => {
      const id = await anExperiment(ctx.api);
      const reply = await ctx.api.post('experiments/set-experiment-tag', {
        experiment_id: id,
        key: 'long',
        value: 'v'.repeat(5001),
      });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'had length 5001, which exceeded length limit of 5000');
      assert.equal('tags' in (await getExperiment(ctx.api, id)), false);
    });
  });
});
