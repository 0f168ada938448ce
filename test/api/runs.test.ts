/** runs/create, get, update, delete and restore, through app.inject(). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AJAX,
  aRun,
  aRunInNewExperiment,
  anExperiment,
  assertError,
  assertOk,
  deleteRun,
  getRun,
  inactiveRun,
  missingParameter,
  T0,
  tagOf,
  useApi,
} from '../fixtures/builders.ts';

const RUN_NAME_TAG = 'mlflow.runName';
const UNKNOWN_RUN = '00000000000000000000000000000000';

void describe('runs API', () => {
  const ctx = useApi();

  void describe('runs/create', () => {
    void it('creates a RUNNING run with MLflow-shaped info', async () => {
      const experimentId = await anExperiment(ctx.api);
      const reply = await ctx.api.post('runs/create', {
        experiment_id: experimentId,
        user_id: 'alice',
        run_name: 'run-one',
        start_time: T0,
        tags: [{ key: 'stage', value: 'wire' }],
      });
      assertOk(reply);
      const { info, data } = reply.body.run!;
      assert.match(info.run_id, /^[0-9a-f]{32}$/);
      assert.equal(info.run_uuid, info.run_id);
      assert.deepEqual(
        { ...info, run_id: '', run_uuid: '' },
        {
          run_id: '',
          run_uuid: '',
          experiment_id: experimentId,
          run_name: 'run-one',
          user_id: 'alice',
          status: 'RUNNING',
          start_time: T0,
          artifact_uri: `mlflow-artifacts:/${experimentId}/${info.run_id}/artifacts`,
          lifecycle_stage: 'active',
        },
      );
      assert.deepEqual(data, {
        tags: [
          { key: 'stage', value: 'wire' },
          { key: RUN_NAME_TAG, value: 'run-one' },
        ],
      });
    });

    void it('answers with an empty inputs object and no metrics, params, end_time or outputs', async () => {
      const reply = await ctx.api.post('runs/create', { experiment_id: await anExperiment(ctx.api) });
      assertOk(reply);
      const run = reply.body.run!;
      assert.deepEqual(run.inputs, {});
      assert.equal('outputs' in run, false);
      assert.equal('end_time' in run.info, false);
      assert.equal('metrics' in run.data, false);
      assert.equal('params' in run.data, false);
    });

    void it('generates an adjective-animal-NNN name, mirrored in the mlflow.runName tag', async () => {
      const run = await aRunInNewExperiment(ctx.api);
      assert.match(run.info.run_name, /^[a-z]+-[a-z]+-\d{1,4}$/);
      assert.equal(tagOf(run, RUN_NAME_TAG), run.info.run_name);
    });

    void it('takes the run name from an mlflow.runName tag when run_name is absent', async () => {
      const run = await aRunInNewExperiment(ctx.api, { tags: [{ key: RUN_NAME_TAG, value: 'from-tag' }] });
      assert.equal(run.info.run_name, 'from-tag');
      assert.equal(run.data.tags?.filter((t) => t.key === RUN_NAME_TAG).length, 1);
    });

    void it('accepts run_name and an mlflow.runName tag that agree', async () => {
      const run = await aRunInNewExperiment(ctx.api, {
        run_name: 'same',
        tags: [{ key: RUN_NAME_TAG, value: 'same' }],
      });
      assert.equal(run.info.run_name, 'same');
      assert.deepEqual(run.data.tags, [{ key: RUN_NAME_TAG, value: 'same' }]);
    });

    void it('rejects run_name and an mlflow.runName tag that disagree', async () => {
      const reply = await ctx.api.post('runs/create', {
        experiment_id: await anExperiment(ctx.api),
        run_name: 'one',
        tags: [{ key: RUN_NAME_TAG, value: 'other' }],
      });
      assertError(
        reply,
        400,
        'INVALID_PARAMETER_VALUE',
        "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values",
      );
    });

    void it('creates the run in the default experiment "0" when none is given', async () => {
      const run = await aRun(ctx.api, {});
      assert.equal(run.info.experiment_id, '0');
      assert.equal(run.info.artifact_uri, `mlflow-artifacts:/0/${run.info.run_id}/artifacts`);
    });

    void it('accepts an integer experiment_id', async () => {
      const experimentId = await anExperiment(ctx.api);
      const reply = await ctx.api.post('runs/create', { experiment_id: Number(experimentId) });
      assertOk(reply);
      assert.equal(reply.body.run?.info.experiment_id, experimentId);
    });

    void it('answers 404 for a nonexistent experiment', async () => {
      const reply = await ctx.api.post('runs/create', { experiment_id: '424242', start_time: T0 });
      assertError(reply, 404, 'RESOURCE_DOES_NOT_EXIST', 'No Experiment with id=424242 exists');
    });

    void it('refuses to create a run in a deleted experiment', async () => {
      const experimentId = await anExperiment(ctx.api);
      assertOk(await ctx.api.post('experiments/delete', { experiment_id: experimentId }));
      const reply = await ctx.api.post('runs/create', { experiment_id: experimentId });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'active');
    });

    void it('rejects an invalid tag key', async () => {
      const reply = await ctx.api.post('runs/create', { tags: [{ key: 'a//b', value: 'x' }] });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', "Invalid tag name: 'a//b'");
    });
  });

  void describe('runs/get', () => {
    void it('returns the run by run_id, with empty inputs and outputs objects', async () => {
      const created = await aRunInNewExperiment(ctx.api, { run_name: 'got' });
      const run = await getRun(ctx.api, created.info.run_id);
      assert.deepEqual(run.info, created.info);
      assert.deepEqual(run.inputs, {});
      assert.deepEqual(run.outputs, {});
    });

    void it('accepts the legacy run_uuid alone', async () => {
      const created = await aRunInNewExperiment(ctx.api);
      const reply = await ctx.api.get('runs/get', { run_uuid: created.info.run_id });
      assertOk(reply);
      assert.equal(reply.body.run?.info.run_id, created.info.run_id);
    });

    void it('accepts run_uuid and run_id together, as the Python client sends them, under /ajax-api too', async () => {
      const created = await aRunInNewExperiment(ctx.api);
      const id = created.info.run_id;
      for (const api of [ctx.api, ctx.api.withPrefix(AJAX)]) {
        const reply = await api.get('runs/get', { run_uuid: id, run_id: id });
        assertOk(reply);
        assert.equal(reply.body.run?.info.run_uuid, id);
      }
    });

    void it('answers 404 for an unknown run', async () => {
      const reply = await ctx.api.get('runs/get', { run_id: UNKNOWN_RUN });
      assertError(reply, 404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${UNKNOWN_RUN} not found`);
    });

    void it('rejects a get without run_id', async () => {
      assertError(await ctx.api.get('runs/get'), 400, 'INVALID_PARAMETER_VALUE', missingParameter('run_id'));
    });
  });

  void describe('runs/update', () => {
    void it('terminates a run with status and end_time', async () => {
      const run = await aRunInNewExperiment(ctx.api, { run_name: 'term', start_time: T0 });
      const reply = await ctx.api.post('runs/update', {
        run_id: run.info.run_id,
        status: 'FINISHED',
        end_time: T0 + 60_000,
      });
      assertOk(reply);
      assert.deepEqual(reply.body.run_info, { ...run.info, status: 'FINISHED', end_time: T0 + 60_000 });
      assert.equal((await getRun(ctx.api, run.info.run_id)).info.status, 'FINISHED');
    });

    void it('renames a run and updates its mlflow.runName tag', async () => {
      const run = await aRunInNewExperiment(ctx.api, { run_name: 'before' });
      const reply = await ctx.api.post('runs/update', { run_id: run.info.run_id, run_name: 'after' });
      assertOk(reply);
      assert.equal(reply.body.run_info?.run_name, 'after');
      const fetched = await getRun(ctx.api, run.info.run_id);
      assert.equal(fetched.info.run_name, 'after');
      assert.equal(tagOf(fetched, RUN_NAME_TAG), 'after');
    });

    void it('leaves the name alone when only the status changes', async () => {
      const run = await aRunInNewExperiment(ctx.api, { run_name: 'keep' });
      const reply = await ctx.api.post('runs/update', { run_uuid: run.info.run_id, status: 'KILLED' });
      assertOk(reply);
      assert.equal(reply.body.run_info?.run_name, 'keep');
      assert.equal(reply.body.run_info?.status, 'KILLED');
    });

    void it('renames the run when its mlflow.runName tag is set', async () => {
      const run = await aRunInNewExperiment(ctx.api, { run_name: 'old' });
      assertOk(await ctx.api.post('runs/set-tag', { run_id: run.info.run_id, key: RUN_NAME_TAG, value: 'new' }));
      assert.equal((await getRun(ctx.api, run.info.run_id)).info.run_name, 'new');
    });

    void it('renames the run when log-batch sets its mlflow.runName tag', async () => {
      const run = await aRunInNewExperiment(ctx.api, { run_name: 'old' });
      const tags = [{ key: RUN_NAME_TAG, value: 'batched' }];
      assertOk(await ctx.api.post('runs/log-batch', { run_id: run.info.run_id, tags }));
      const fetched = await getRun(ctx.api, run.info.run_id);
      assert.equal(fetched.info.run_name, 'batched');
      assert.equal(tagOf(fetched, RUN_NAME_TAG), 'batched');
    });

    void it('rejects an unknown status', async () => {
      const run = await aRunInNewExperiment(ctx.api);
      const reply = await ctx.api.post('runs/update', { run_id: run.info.run_id, status: 'DONE' });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'status');
    });

    void it('answers 404 for an unknown run and 400 without run_id', async () => {
      const unknown = await ctx.api.post('runs/update', { run_id: UNKNOWN_RUN, status: 'FINISHED' });
      assertError(unknown, 404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${UNKNOWN_RUN} not found`);
      const missing = await ctx.api.post('runs/update', { status: 'FINISHED' });
      assertError(missing, 400, 'INVALID_PARAMETER_VALUE', missingParameter('run_id'));
    });
  });

  void describe('runs/delete and restore', () => {
    void it('soft-deletes a run and restores it', async () => {
      const run = await aRunInNewExperiment(ctx.api);
      const deleted = await ctx.api.post('runs/delete', { run_id: run.info.run_id });
      assertOk(deleted);
      assert.deepEqual(deleted.body, {});
      assert.equal((await getRun(ctx.api, run.info.run_id)).info.lifecycle_stage, 'deleted');
      const restored = await ctx.api.post('runs/restore', { run_id: run.info.run_id });
      assertOk(restored);
      assert.deepEqual(restored.body, {});
      assert.equal((await getRun(ctx.api, run.info.run_id)).info.lifecycle_stage, 'active');
    });

    void it('hides a deleted run from the default search and shows it for DELETED_ONLY', async () => {
      const run = await aRunInNewExperiment(ctx.api);
      await deleteRun(ctx.api, run.info.run_id);
      const query = { experiment_ids: [run.info.experiment_id] };
      assert.deepEqual((await ctx.api.post('runs/search', query)).body, {});
      const deleted = await ctx.api.post('runs/search', { ...query, run_view_type: 'DELETED_ONLY' });
      assert.deepEqual(
        deleted.body.runs?.map((r) => r.info.run_id),
        [run.info.run_id],
      );
    });

    void it('answers 404 when deleting or restoring an unknown run', async () => {
      for (const path of ['runs/delete', 'runs/restore']) {
        const reply = await ctx.api.post(path, { run_id: UNKNOWN_RUN });
        assertError(reply, 404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${UNKNOWN_RUN} not found`);
      }
    });

    void it('rejects delete and restore without run_id', async () => {
      for (const path of ['runs/delete', 'runs/restore']) {
        assertError(await ctx.api.post(path, {}), 400, 'INVALID_PARAMETER_VALUE', missingParameter('run_id'));
      }
    });

    void it('rejects every write to a deleted run with MLflow message', async () => {
      const run = await aRunInNewExperiment(ctx.api);
      const id = run.info.run_id;
      await deleteRun(ctx.api, id);
      const writes: [string, object][] = [
        ['runs/log-metric', { run_id: id, key: 'm', value: 1, timestamp: T0 }],
        ['runs/log-parameter', { run_id: id, key: 'p', value: 'v' }],
        ['runs/set-tag', { run_id: id, key: 't', value: 'v' }],
        ['runs/delete-tag', { run_id: id, key: 'mlflow.runName' }],
        ['runs/log-batch', { run_id: id, metrics: [{ key: 'm', value: 1, timestamp: T0 }] }],
        ['runs/update', { run_id: id, status: 'FINISHED' }],
        ['runs/log-inputs', { run_id: id, models: [{ model_id: 'm-1' }] }],
        ['runs/outputs', { run_id: id, models: [{ model_id: 'm-1', step: 0 }] }],
      ];
      for (const [path, body] of writes) {
        assertError(await ctx.api.post(path, body), 400, 'INVALID_PARAMETER_VALUE', inactiveRun(id));
      }
      const after = await getRun(ctx.api, id);
      assert.equal(after.info.status, 'RUNNING');
      assert.equal('metrics' in after.data, false);
      assert.equal('params' in after.data, false);
    });

    void it('accepts writes again once the run is restored', async () => {
      const run = await aRunInNewExperiment(ctx.api);
      await deleteRun(ctx.api, run.info.run_id);
      assertOk(await ctx.api.post('runs/restore', { run_id: run.info.run_id }));
      assertOk(await ctx.api.post('runs/log-parameter', { run_id: run.info.run_id, key: 'p', value: 'v' }));
    });

    void it('rejects writes to a run whose experiment was deleted', async () => {
      const run = await aRunInNewExperiment(ctx.api);
      assertOk(await ctx.api.post('experiments/delete', { experiment_id: run.info.experiment_id }));
      const reply = await ctx.api.post('runs/set-tag', { run_id: run.info.run_id, key: 't', value: 'v' });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', inactiveRun(run.info.run_id));
    });
  });
});
