import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AJAX,
  type Api,
  API,
  anExperiment,
  aRun,
  assertError,
  assertOk,
  getExperiment,
  missingParameter,
  T0,
} from '../fixtures/builders.ts';
import { useApi } from '../fixtures/builders.ts';

/** The wire LoggedModel, loosely typed: tests look at the fields they check. */
interface WireModel {
  info: Record<string, unknown> & { model_id: string; name: string; artifact_uri: string; tags?: unknown };
  data: { params?: unknown; metrics?: unknown };
}

export async function aLoggedModel(api: Api, body: Record<string, unknown> = {}): Promise<WireModel> {
  const experimentId = (body.experiment_id as string | undefined) ?? (await anExperiment(api));
  const reply = await api.post('logged-models', { experiment_id: experimentId, ...body });
  assertOk(reply);
  return (reply.body as { model: WireModel }).model;
}

const modelOf = (reply: { body: unknown }) => (reply.body as { model: WireModel }).model;
const req = (api: Api, method: 'GET' | 'PATCH' | 'DELETE' | 'POST', path: string, payload?: unknown) =>
  api.raw({
    method,
    url: `${API}/logged-models${path}`,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

void describe('logged models: create, get, finalize, delete', () => {
  const ctx = useApi();

  void it('creates a PENDING model under the experiment, at <experiment location>/models/<id>/artifacts', async () => {
    const experimentId = await anExperiment(ctx.api);
    const experiment = await getExperiment(ctx.api, experimentId);
    const run = await aRun(ctx.api, { experiment_id: experimentId });
    const model = await aLoggedModel(ctx.api, {
      experiment_id: experimentId,
      name: 'clf',
      model_type: 'Classifier',
      source_run_id: run.info.run_id,
      params: [{ key: 'alpha', value: '0.5' }],
      tags: [{ key: 't', value: 'v' }],
    });
    const { info } = model;
    assert.match(info.model_id, /^m-[0-9a-f]{32}$/);
    assert.equal(info.experiment_id, experimentId);
    assert.equal(info.name, 'clf');
    assert.equal(info.status, 'LOGGED_MODEL_PENDING');
    assert.equal(info.model_type, 'Classifier');
    assert.equal(info.source_run_id, run.info.run_id);
    assert.equal(info.artifact_uri, `${experiment.artifact_location}/models/${info.model_id}/artifacts`);
    assert.equal(info.creation_timestamp_ms, info.last_updated_timestamp_ms);
    assert.deepEqual(info.tags, [{ key: 't', value: 'v' }]);
    assert.deepEqual(model.data, { params: [{ key: 'alpha', value: '0.5' }] });
    assert.equal(info.status_message, undefined);
  });

  void it('names a model when the client does not, and answers under /ajax-api too', async () => {
    const experimentId = await anExperiment(ctx.api);
    const reply = await ctx.api.withPrefix(AJAX).post('logged-models', { experiment_id: experimentId });
    assertOk(reply);
    const model = modelOf(reply);
    assert.ok(model.info.name.length > 0);
    assert.deepEqual(model.data, {});
  });

  void it('refuses a missing or unknown experiment, a deleted one, bad names and duplicate params', async () => {
    assertError(
      await ctx.api.post('logged-models', {}),
      400,
      'INVALID_PARAMETER_VALUE',
      missingParameter('experiment_id'),
    );
    assertError(await ctx.api.post('logged-models', { experiment_id: '987654' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    const deleted = await anExperiment(ctx.api);
    assertOk(await ctx.api.post('experiments/delete', { experiment_id: deleted }));
    assertError(await ctx.api.post('logged-models', { experiment_id: deleted }), 400, 'INVALID_PARAMETER_VALUE');
    const experimentId = await anExperiment(ctx.api);
    for (const name of ['a/b', 'a.b', 'a:b', '']) {
      assertError(
        await ctx.api.post('logged-models', { experiment_id: experimentId, name }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
    }
    const dup = [
      { key: 'p', value: '1' },
      { key: 'p', value: '2' },
    ];
    assertError(
      await ctx.api.post('logged-models', { experiment_id: experimentId, params: dup }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
  });

  void it('gets a model; a deleted one only with allow_deleted; unknown ids are 404', async () => {
    const model = await aLoggedModel(ctx.api);
    const id = model.info.model_id;
    const got = await req(ctx.api, 'GET', `/${id}`);
    assertOk(got);
    assert.deepEqual(modelOf(got), model);
    assertOk(await req(ctx.api, 'DELETE', `/${id}`));
    assertError(
      await req(ctx.api, 'GET', `/${id}`),
      404,
      'RESOURCE_DOES_NOT_EXIST',
      `Logged model with ID '${id}' not found.`,
    );
    const withDeleted = await req(ctx.api, 'GET', `/${id}?allow_deleted=true`);
    assertOk(withDeleted);
    assert.equal(modelOf(withDeleted).info.model_id, id);
    assertError(await req(ctx.api, 'DELETE', `/${id}`), 404, 'RESOURCE_DOES_NOT_EXIST');
    assertError(await req(ctx.api, 'GET', '/m-00000000000000000000000000000000'), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  void it('finalizes to READY or UPLOAD_FAILED by enum name or number; other values are 400', async () => {
    const model = await aLoggedModel(ctx.api);
    const id = model.info.model_id;
    const ready = await req(ctx.api, 'PATCH', `/${id}`, { status: 'LOGGED_MODEL_READY' });
    assertOk(ready);
    assert.equal(modelOf(ready).info.status, 'LOGGED_MODEL_READY');
    const failed = await req(ctx.api, 'PATCH', `/${id}`, { model_id: id, status: 3 });
    assertOk(failed);
    assert.equal(modelOf(failed).info.status, 'LOGGED_MODEL_UPLOAD_FAILED');
    assertError(await req(ctx.api, 'PATCH', `/${id}`, {}), 400, 'INVALID_PARAMETER_VALUE', missingParameter('status'));
    assertError(await req(ctx.api, 'PATCH', `/${id}`, { status: 'DONE' }), 400, 'INVALID_PARAMETER_VALUE');
    assertError(
      await req(ctx.api, 'PATCH', `/m-missing`, { status: 'LOGGED_MODEL_READY' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
  });
});

void describe('logged models: tags, params, linked metrics', () => {
  const ctx = useApi();

  void it('sets tags (last value wins), deletes one, and a missing tag or model is 404', async () => {
    const id = (await aLoggedModel(ctx.api)).info.model_id;
    const tags = [
      { key: 'a', value: '1' },
      { key: 'mlflow.x/y', value: '2' },
      { key: 'a', value: '3' },
    ];
    assertOk(await req(ctx.api, 'PATCH', `/${id}/tags`, { tags }));
    let model = modelOf(await req(ctx.api, 'GET', `/${id}`));
    assert.deepEqual(model.info.tags, [
      { key: 'a', value: '3' },
      { key: 'mlflow.x/y', value: '2' },
    ]);
    assertOk(await req(ctx.api, 'DELETE', `/${id}/tags/mlflow.x/y`));
    model = modelOf(await req(ctx.api, 'GET', `/${id}`));
    assert.deepEqual(model.info.tags, [{ key: 'a', value: '3' }]);
    assertError(await req(ctx.api, 'DELETE', `/${id}/tags/nope`), 404, 'RESOURCE_DOES_NOT_EXIST');
    assertError(await req(ctx.api, 'PATCH', `/m-missing/tags`, { tags }), 404, 'RESOURCE_DOES_NOT_EXIST');
    assertError(await req(ctx.api, 'PATCH', `/${id}/tags`, { tags: [{ value: 'x' }] }), 400, 'INVALID_PARAMETER_VALUE');
  });

  void it('logs params once: the same value again is a no-op, another value a 400', async () => {
    const id = (await aLoggedModel(ctx.api)).info.model_id;
    assertOk(await req(ctx.api, 'POST', `/${id}/params`, { params: [{ key: 'lr', value: '0.1' }] }));
    assertOk(
      await req(ctx.api, 'POST', `/${id}/params`, {
        params: [
          { key: 'lr', value: '0.1' },
          { key: 'b', value: '2' },
        ],
      }),
    );
    assertError(
      await req(ctx.api, 'POST', `/${id}/params`, { params: [{ key: 'lr', value: '0.2' }] }),
      400,
      'INVALID_PARAMETER_VALUE',
      'Changing param values is not allowed',
    );
    assert.deepEqual(modelOf(await req(ctx.api, 'GET', `/${id}`)).data.params, [
      { key: 'b', value: '2' },
      { key: 'lr', value: '0.1' },
    ]);
    assertError(await req(ctx.api, 'POST', `/m-missing/params`, { params: [] }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  void it('links metrics logged with a model_id (log-metric and log-batch) to the model', async () => {
    const experimentId = await anExperiment(ctx.api);
    const run = await aRun(ctx.api, { experiment_id: experimentId });
    const id = (await aLoggedModel(ctx.api, { experiment_id: experimentId })).info.model_id;
    const runId = run.info.run_id;
    assertOk(
      await ctx.api.post('runs/log-metric', {
        run_id: runId,
        key: 'acc',
        value: 0.9,
        timestamp: T0,
        step: 1,
        model_id: id,
      }),
    );
    assertOk(
      await ctx.api.post('runs/log-batch', {
        run_id: runId,
        metrics: [
          { key: 'f1', value: 0.7, timestamp: T0, step: 0, model_id: id, dataset_name: 'eval', dataset_digest: 'd1' },
          { key: 'loss', value: 1.5, timestamp: T0, step: 0 },
          { key: 'other', value: 1, timestamp: T0, step: 0, model_id: 'm-unknown' },
        ],
      }),
    );
    // A retried point is not linked twice.
    assertOk(
      await ctx.api.post('runs/log-metric', {
        run_id: runId,
        key: 'acc',
        value: 0.9,
        timestamp: T0,
        step: 1,
        model_id: id,
      }),
    );
    const metrics = modelOf(await req(ctx.api, 'GET', `/${id}`)).data.metrics;
    assert.deepEqual(metrics, [
      { key: 'acc', value: 0.9, timestamp: T0, step: 1, model_id: id, run_id: runId },
      {
        key: 'f1',
        value: 0.7,
        timestamp: T0,
        step: 0,
        dataset_name: 'eval',
        dataset_digest: 'd1',
        model_id: id,
        run_id: runId,
      },
    ]);
  });
});

void describe('logged models: artifacts', () => {
  const ctx = useApi();

  void it('lists directories and serves files of a model stored by this server; traversal and unknown models are 4xx', async () => {
    const model = await aLoggedModel(ctx.api);
    const id = model.info.model_id;
    const root = (model.info.artifact_uri as string).replace(/^mlflow-artifacts:\//, '');
    for (const [path, body] of [
      ['MLmodel', 'flavors: {}\n'],
      ['data/model.pkl', 'bytes'],
    ] as const) {
      assertOk(
        await ctx.api.raw({ method: 'PUT', url: `/api/2.0/mlflow-artifacts/artifacts/${root}/${path}`, payload: body }),
      );
    }
    const top = await req(ctx.api, 'GET', `/${id}/artifacts/directories`);
    assertOk(top);
    assert.deepEqual(top.body, {
      root_uri: model.info.artifact_uri,
      files: [
        { path: 'MLmodel', is_dir: false, file_size: 12 },
        { path: 'data', is_dir: true },
      ],
    });
    const sub = await req(ctx.api, 'GET', `/${id}/artifacts/directories?artifact_directory_path=data`);
    assert.deepEqual((sub.body as { files: unknown }).files, [{ path: 'data/model.pkl', is_dir: false, file_size: 5 }]);
    const file = await ctx.api.raw({
      method: 'GET',
      url: `${AJAX}/logged-models/${id}/artifacts/files?artifact_file_path=MLmodel`,
    });
    assertOk(file);
    assert.equal(file.text, 'flavors: {}\n');
    assertError(
      await req(ctx.api, 'GET', `/${id}/artifacts/directories?artifact_directory_path=../..`),
      400,
      'INVALID_PARAMETER_VALUE',
    );
    const traversal = await ctx.api.raw({
      method: 'GET',
      url: `${AJAX}/logged-models/${id}/artifacts/files?artifact_file_path=..%2F..%2Fx`,
    });
    assertError(traversal, 400, 'INVALID_PARAMETER_VALUE');
    const missing = await ctx.api.raw({ method: 'GET', url: `${AJAX}/logged-models/${id}/artifacts/files` });
    assertError(missing, 400, 'INVALID_PARAMETER_VALUE', missingParameter('artifact_file_path'));
    assertError(await req(ctx.api, 'GET', '/m-missing/artifacts/directories'), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  void it('refuses to list a model whose location this server does not store', async () => {
    const experimentId = await anExperiment(ctx.api, undefined, { artifact_location: 's3://elsewhere/root' });
    const model = await aLoggedModel(ctx.api, { experiment_id: experimentId });
    assert.equal(model.info.artifact_uri, `s3://elsewhere/root/models/${model.info.model_id}/artifacts`);
    assertError(
      await req(ctx.api, 'GET', `/${model.info.model_id}/artifacts/directories`),
      400,
      'INVALID_PARAMETER_VALUE',
    );
  });
});
