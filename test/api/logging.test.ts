/** runs/log-metric, log-parameter, set-tag, delete-tag and log-model, through app.inject(). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  aMetric,
  aRunInNewExperiment,
  assertError,
  assertOk,
  getRun,
  history,
  metricOf,
  missingParameter,
  paramOf,
  T0,
  tagOf,
  useApi,
} from '../fixtures/builders.ts';

const UNKNOWN_RUN = '00000000000000000000000000000000';
const MAX_DOUBLE = 1.7976931348623157e308;

void describe('logging API', () => {
  const ctx = useApi();
  const newRunId = async () => (await aRunInNewExperiment(ctx.api)).info.run_id;

  void describe('runs/log-metric', () => {
    void it('logs a metric that runs/get reports as the latest value', async () => {
      const id = await newRunId();
      const reply = await ctx.api.post('runs/log-metric', {
        run_id: id,
        key: 'm1',
        value: 0.75,
        timestamp: T0,
        step: 3,
      });
      assertOk(reply);
      assert.deepEqual(reply.body, {});
      assert.deepEqual(metricOf(await getRun(ctx.api, id), 'm1'), { key: 'm1', value: 0.75, timestamp: T0, step: 3 });
    });

    void it('defaults the step to 0', async () => {
      const id = await newRunId();
      assertOk(await ctx.api.post('runs/log-metric', { run_id: id, key: 'm', value: 1, timestamp: T0 }));
      assert.equal(metricOf(await getRun(ctx.api, id), 'm')?.step, 0);
    });

    void it('accepts "NaN" and answers it as the string "NaN"', async () => {
      const id = await newRunId();
      assertOk(await ctx.api.post('runs/log-metric', { run_id: id, key: 'm_nan', value: 'NaN', timestamp: T0 }));
      assert.equal(metricOf(await getRun(ctx.api, id), 'm_nan')?.value, 'NaN');
      assert.equal((await history(ctx.api, id, 'm_nan'))[0]?.value, 'NaN');
    });

    void it('accepts "Infinity" and "-Infinity", stored as ±max double as MLflow does', async () => {
      const id = await newRunId();
      assertOk(await ctx.api.post('runs/log-metric', { run_id: id, key: 'pos', value: 'Infinity', timestamp: T0 }));
      assertOk(await ctx.api.post('runs/log-metric', { run_id: id, key: 'neg', value: '-Infinity', timestamp: T0 }));
      const run = await getRun(ctx.api, id);
      assert.equal(metricOf(run, 'pos')?.value, MAX_DOUBLE);
      assert.equal(metricOf(run, 'neg')?.value, -MAX_DOUBLE);
    });

    void it('accepts a numeric value sent as a string, as protobuf JSON does', async () => {
      const id = await newRunId();
      assertOk(await ctx.api.post('runs/log-metric', { run_id: id, key: 'm', value: '0.5', timestamp: String(T0) }));
      assert.deepEqual(metricOf(await getRun(ctx.api, id), 'm'), { key: 'm', value: 0.5, timestamp: T0, step: 0 });
    });

    void it('rejects a value that is not a number', async () => {
      const id = await newRunId();
      const reply = await ctx.api.post('runs/log-metric', { run_id: id, key: 'k', value: 'abc', timestamp: T0 });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', `Invalid value "abc" for parameter 'value' supplied`);
    });

    void it('rejects a metric without value, timestamp, key or run_id', async () => {
      const id = await newRunId();
      const cases: [object, string][] = [
        [{ run_id: id, key: 'k', timestamp: T0 }, 'value'],
        [{ run_id: id, key: 'k', value: 1 }, 'timestamp'],
        [{ run_id: id, value: 1, timestamp: T0 }, 'key'],
        [{ key: 'k', value: 1, timestamp: T0 }, 'run_id'],
      ];
      for (const [body, field] of cases) {
        assertError(
          await ctx.api.post('runs/log-metric', body),
          400,
          'INVALID_PARAMETER_VALUE',
          missingParameter(field),
        );
      }
      assert.equal('metrics' in (await getRun(ctx.api, id)).data, false);
    });

    void it('rejects an invalid metric name and a name that is not a normalized path', async () => {
      const id = await newRunId();
      const bad = await ctx.api.post('runs/log-metric', { run_id: id, key: 'bad!key', value: 1, timestamp: T0 });
      assertError(bad, 400, 'INVALID_PARAMETER_VALUE', "Invalid metric name: 'bad!key'");
      const path = await ctx.api.post('runs/log-metric', { run_id: id, key: 'a/../b', value: 1, timestamp: T0 });
      assertError(path, 400, 'INVALID_PARAMETER_VALUE', "Invalid metric name: 'a/../b'");
    });

    void it('rejects a negative timestamp', async () => {
      const id = await newRunId();
      const reply = await ctx.api.post('runs/log-metric', { run_id: id, key: 'm', value: 1, timestamp: -1 });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'Timestamp must be a nonnegative long');
    });

    void it('answers 404 for an unknown run', async () => {
      const reply = await ctx.api.post('runs/log-metric', { run_id: UNKNOWN_RUN, key: 'm', value: 1, timestamp: T0 });
      assertError(reply, 404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${UNKNOWN_RUN} not found`);
    });

    void it('accepts the legacy run_uuid', async () => {
      const id = await newRunId();
      assertOk(await ctx.api.post('runs/log-metric', { run_uuid: id, key: 'm', value: 2, timestamp: T0 }));
      assert.equal(metricOf(await getRun(ctx.api, id), 'm')?.value, 2);
    });

    void it('keeps one history point when the same point is logged twice', async () => {
      const id = await newRunId();
      const point = { run_id: id, ...aMetric('m', 1, 4) };
      assertOk(await ctx.api.post('runs/log-metric', point));
      assertOk(await ctx.api.post('runs/log-metric', point));
      assert.equal((await history(ctx.api, id, 'm')).length, 1);
    });
  });

  void describe('runs/log-parameter', () => {
    void it('logs a param, and logging the same value again is a no-op', async () => {
      const id = await newRunId();
      for (let i = 0; i < 2; i++) {
        const reply = await ctx.api.post('runs/log-parameter', { run_id: id, run_uuid: id, key: 'p1', value: 'a' });
        assertOk(reply);
        assert.deepEqual(reply.body, {});
      }
      assert.deepEqual((await getRun(ctx.api, id)).data.params, [{ key: 'p1', value: 'a' }]);
    });

    void it('refuses to change a logged param value', async () => {
      const id = await newRunId();
      assertOk(await ctx.api.post('runs/log-parameter', { run_id: id, key: 'p1', value: 'a' }));
      const reply = await ctx.api.post('runs/log-parameter', { run_id: id, key: 'p1', value: 'b' });
      assertError(
        reply,
        400,
        'INVALID_PARAMETER_VALUE',
        `Changing param values is not allowed. Param with key='p1' was already logged with value='a' for run ID='${id}'. Attempted logging new value 'b'.`,
      );
      assert.equal(paramOf(await getRun(ctx.api, id), 'p1'), 'a');
    });

    void it('truncates a value over 6000 characters to 6000, as MLflow 3.11 does', async () => {
      const id = await newRunId();
      assertOk(await ctx.api.post('runs/log-parameter', { run_id: id, key: 'long', value: 'x'.repeat(6001) }));
      assert.equal(paramOf(await getRun(ctx.api, id), 'long'), 'x'.repeat(6000));
    });

    void it('rejects a param key over 250 characters', async () => {
      const id = await newRunId();
      const reply = await ctx.api.post('runs/log-parameter', { run_id: id, key: 'k'.repeat(251), value: 'v' });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'had length 251, which exceeded length limit of 250');
    });

    void it('rejects an invalid param name and a missing key', async () => {
      const id = await newRunId();
      const bad = await ctx.api.post('runs/log-parameter', { run_id: id, key: 'p?', value: 'v' });
      assertError(bad, 400, 'INVALID_PARAMETER_VALUE', "Invalid parameter name: 'p?'");
      const missing = await ctx.api.post('runs/log-parameter', { run_id: id, value: 'v' });
      assertError(missing, 400, 'INVALID_PARAMETER_VALUE', missingParameter('key'));
    });

    void it('answers 404 for an unknown run', async () => {
      const reply = await ctx.api.post('runs/log-parameter', { run_id: UNKNOWN_RUN, key: 'p', value: 'v' });
      assertError(reply, 404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${UNKNOWN_RUN} not found`);
    });
  });

  void describe('runs/set-tag and delete-tag', () => {
    void it('sets a tag and overwrites it', async () => {
      const id = await newRunId();
      const reply = await ctx.api.post('runs/set-tag', { run_id: id, run_uuid: id, key: 'owner', value: 'wire' });
      assertOk(reply);
      assert.deepEqual(reply.body, {});
      assertOk(await ctx.api.post('runs/set-tag', { run_id: id, key: 'owner', value: 'other' }));
      assert.equal(tagOf(await getRun(ctx.api, id), 'owner'), 'other');
    });

    void it('truncates a tag value over 8000 characters to 8000', async () => {
      const id = await newRunId();
      assertOk(await ctx.api.post('runs/set-tag', { run_id: id, key: 'long', value: 't'.repeat(8001) }));
      assert.equal(tagOf(await getRun(ctx.api, id), 'long'), 't'.repeat(8000));
    });

    void it('rejects an invalid tag name, a missing key and an unknown run', async () => {
      const id = await newRunId();
      const bad = await ctx.api.post('runs/set-tag', { run_id: id, key: '/abs', value: 'v' });
      assertError(bad, 400, 'INVALID_PARAMETER_VALUE', "Invalid tag name: '/abs'");
      const missing = await ctx.api.post('runs/set-tag', { run_id: id, value: 'v' });
      assertError(missing, 400, 'INVALID_PARAMETER_VALUE', missingParameter('key'));
      const unknown = await ctx.api.post('runs/set-tag', { run_id: UNKNOWN_RUN, key: 'k', value: 'v' });
      assertError(unknown, 404, 'RESOURCE_DOES_NOT_EXIST');
    });

    void it('deletes a tag', async () => {
      const id = await newRunId();
      assertOk(await ctx.api.post('runs/set-tag', { run_id: id, key: 'owner', value: 'wire' }));
      const reply = await ctx.api.post('runs/delete-tag', { run_id: id, key: 'owner' });
      assertOk(reply);
      assert.deepEqual(reply.body, {});
      assert.equal(tagOf(await getRun(ctx.api, id), 'owner'), undefined);
    });

    void it('answers 404 when deleting a tag that is not set', async () => {
      const id = await newRunId();
      const reply = await ctx.api.post('runs/delete-tag', { run_id: id, key: 'never-set' });
      assertError(reply, 404, 'RESOURCE_DOES_NOT_EXIST', `No tag with name: never-set in run with id ${id}`);
    });

    void it('rejects delete-tag without key and answers 404 for an unknown run', async () => {
      const id = await newRunId();
      const missing = await ctx.api.post('runs/delete-tag', { run_id: id });
      assertError(missing, 400, 'INVALID_PARAMETER_VALUE', missingParameter('key'));
      const unknown = await ctx.api.post('runs/delete-tag', { run_id: UNKNOWN_RUN, key: 'k' });
      assertError(unknown, 404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${UNKNOWN_RUN} not found`);
    });
  });

  void describe('runs/log-model', () => {
    const model = (runId: string, artifactPath: string) =>
      JSON.stringify({
        run_id: runId,
        artifact_path: artifactPath,
        utc_time_created: '2024-01-01 00:00:00.000000',
        flavors: { python_function: { loader_module: 'mlflow.sklearn' } },
      });

    void it('appends each logged model to the mlflow.log-model.history tag', async () => {
      const id = await newRunId();
      const first = await ctx.api.post('runs/log-model', { run_id: id, model_json: model(id, 'model') });
      assertOk(first);
      assert.deepEqual(first.body, {});
      assertOk(await ctx.api.post('runs/log-model', { run_id: id, model_json: model(id, 'model2') }));
      const historyTag = tagOf(await getRun(ctx.api, id), 'mlflow.log-model.history');
      assert.ok(historyTag);
      const entries = JSON.parse(historyTag) as { artifact_path: string; run_id: string }[];
      assert.deepEqual(
        entries.map((e) => [e.artifact_path, e.run_id]),
        [
          ['model', id],
          ['model2', id],
        ],
      );
    });

    void it('rejects model_json that is not JSON', async () => {
      const id = await newRunId();
      const reply = await ctx.api.post('runs/log-model', { run_id: id, model_json: '{not json' });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'Malformed model info');
      assert.equal(tagOf(await getRun(ctx.api, id), 'mlflow.log-model.history'), undefined);
    });

    void it('rejects model_json without its mandatory fields', async () => {
      const id = await newRunId();
      const reply = await ctx.api.post('runs/log-model', { run_id: id, model_json: JSON.stringify({ run_id: id }) });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'Model json is missing mandatory fields');
      for (const field of ['artifact_path', 'flavors', 'utc_time_created'])
        assert.ok(reply.body.message?.includes(field));
    });

    void it('rejects a request without model_json or run_id', async () => {
      const id = await newRunId();
      const noModel = await ctx.api.post('runs/log-model', { run_id: id });
      assertError(noModel, 400, 'INVALID_PARAMETER_VALUE', missingParameter('model_json'));
      const noRun = await ctx.api.post('runs/log-model', { model_json: model(id, 'm') });
      assertError(noRun, 400, 'INVALID_PARAMETER_VALUE', missingParameter('run_id'));
    });

    void it('answers 404 for an unknown run', async () => {
      const reply = await ctx.api.post('runs/log-model', { run_id: UNKNOWN_RUN, model_json: model(UNKNOWN_RUN, 'm') });
      assertError(reply, 404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${UNKNOWN_RUN} not found`);
    });
  });
});
