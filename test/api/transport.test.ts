/** Transport conventions of every endpoint: content types, bodies, prefixes, 404/405, health, shapes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PLUMB_VERSION } from '../../src/version.ts';
import {
  AJAX,
  API,
  aMetric,
  aRunInNewExperiment,
  assertError,
  assertOk,
  getRun,
  logMetric,
  missingParameter,
  uniqueName,
  useApi,
} from '../fixtures/builders.ts';

const POST_ENDPOINTS = [
  'experiments/create',
  'experiments/update',
  'experiments/delete',
  'experiments/restore',
  'experiments/set-experiment-tag',
  'experiments/delete-experiment-tag',
  'experiments/search',
  'experiments/search-datasets',
  'runs/create',
  'runs/update',
  'runs/delete',
  'runs/restore',
  'runs/log-metric',
  'runs/log-parameter',
  'runs/set-tag',
  'runs/delete-tag',
  'runs/log-batch',
  'runs/log-model',
  'runs/log-inputs',
  'runs/outputs',
  'runs/search',
];
const GET_ENDPOINTS = [
  'experiments/get',
  'experiments/get-by-name',
  'experiments/search',
  'runs/get',
  'metrics/get-history',
  'metrics/get-history-bulk-interval',
];

void describe('transport', () => {
  const ctx = useApi();
  const postRaw = (path: string, payload: string, contentType?: string) =>
    ctx.api.raw({
      method: 'POST',
      url: `${API}/${path}`,
      payload,
      headers: contentType === undefined ? {} : { 'content-type': contentType },
    });

  void it('serves every tracking endpoint under /api/2.0/mlflow and /ajax-api/2.0/mlflow', async () => {
    for (const prefix of [API, AJAX]) {
      const api = ctx.api.withPrefix(prefix);
      for (const path of POST_ENDPOINTS) {
        const reply = await api.post(path, {});
        assert.ok([200, 400].includes(reply.status), `POST ${prefix}/${path}: ${reply.status} ${reply.text}`);
        if (reply.status === 400)
          assert.equal(reply.body.error_code, 'INVALID_PARAMETER_VALUE', `${path}: ${reply.text}`);
      }
      for (const path of GET_ENDPOINTS) {
        const reply = await api.get(path);
        assert.ok([200, 400].includes(reply.status), `GET ${prefix}/${path}: ${reply.status} ${reply.text}`);
      }
    }
  });

  void it('rejects a POST whose content type is not JSON with 400 INVALID_PARAMETER_VALUE', async () => {
    const name = uniqueName();
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const reply = await postRaw('experiments/create', JSON.stringify({ name }), type);
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'Content-Type');
    }
    const lookup = await ctx.api.get('experiments/get-by-name', { experiment_name: name });
    assertError(lookup, 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  void it('accepts application/json with a charset parameter', async () => {
    const reply = await postRaw(
      'experiments/create',
      JSON.stringify({ name: uniqueName() }),
      'application/json; charset=utf-8',
    );
    assertOk(reply);
    assert.ok(reply.body.experiment_id);
  });

  void it('rejects a malformed JSON body with 400 INVALID_PARAMETER_VALUE', async () => {
    assertError(await postRaw('experiments/create', '{not json', 'application/json'), 400, 'INVALID_PARAMETER_VALUE');
  });

  void it('treats an empty JSON body as {}', async () => {
    const create = await postRaw('experiments/create', '', 'application/json');
    assertError(create, 400, 'INVALID_PARAMETER_VALUE', missingParameter('name'));
    const search = await postRaw('experiments/search', '', 'application/json');
    assertOk(search);
    assert.ok(search.body.experiments?.some((e) => e.experiment_id === '0'));
  });

  void it('tolerates a body that is a JSON string holding the JSON message', async () => {
    const name = uniqueName();
    const reply = await postRaw('experiments/create', JSON.stringify(JSON.stringify({ name })), 'application/json');
    assertOk(reply);
    const got = await ctx.api.get('experiments/get-by-name', { experiment_name: name });
    assert.equal(got.body.experiment?.experiment_id, reply.body.experiment_id);
  });

  void it('ignores unknown fields', async () => {
    const name = uniqueName();
    const reply = await ctx.api.post('experiments/create', { name, colour: 'red', nested: { deep: [1, 2] } });
    assertOk(reply);
    assert.equal((await ctx.api.get('experiments/get-by-name', { experiment_name: name })).status, 200);
  });

  void it('answers an unknown route with a 404 JSON error', async () => {
    for (const url of [`${API}/no/such/endpoint`, `${AJAX}/runs/nope`, '/nothing-here']) {
      const reply = await ctx.api.raw({ method: 'GET', url });
      assert.equal(reply.status, 404, url);
      assert.match(reply.contentType, /application\/json/);
      assert.equal(typeof reply.body.error_code, 'string');
      assert.equal(typeof reply.body.message, 'string');
    }
  });

  void it('answers a known route with the wrong method with a 405 JSON error', async () => {
    const cases: [string, string][] = [
      ['POST', 'experiments/get'],
      ['GET', 'runs/create'],
      ['DELETE', 'runs/log-batch'],
    ];
    for (const [method, path] of cases) {
      const reply = await ctx.api.raw({
        method: method as 'GET',
        url: `${API}/${path}`,
        payload: method === 'GET' ? undefined : '{}',
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(reply.status, 405, `${method} ${path}: ${reply.text}`);
      assert.match(reply.contentType, /application\/json/);
      assert.equal(typeof reply.body.error_code, 'string');
      assert.equal(typeof reply.body.message, 'string');
    }
  });

  void it('answers GET /health with OK', async () => {
    const reply = await ctx.api.raw({ method: 'GET', url: '/health' });
    assert.equal(reply.status, 200);
    assert.equal(reply.text, 'OK');
  });

  void it('answers GET /version with the server version', async () => {
    const reply = await ctx.api.raw({ method: 'GET', url: '/version' });
    assert.equal(reply.status, 200);
    assert.equal(reply.text, PLUMB_VERSION);
  });

  void it('answers errors as exactly {error_code, message}', async () => {
    const reply = await ctx.api.get('experiments/get', { experiment_id: '999999' });
    assert.equal(reply.status, 404);
    assert.deepEqual(Object.keys(reply.body).sort(), ['error_code', 'message']);
  });

  void it('answers JSON with int64 fields as JSON numbers', async () => {
    const run = await aRunInNewExperiment(ctx.api, { start_time: 1_700_000_000_123 });
    await logMetric(ctx.api, run.info.run_id, aMetric('m', 1, 123_456_789, 1_700_000_000_456));
    const reply = await ctx.api.get('runs/get', { run_id: run.info.run_id });
    assert.match(reply.contentType, /application\/json/);
    assert.match(reply.text, /"start_time":1700000000123[,}]/);
    assert.match(reply.text, /"timestamp":1700000000456,"step":123456789/);
    const experiment = await ctx.api.get('experiments/get', { experiment_id: run.info.experiment_id });
    assert.equal(typeof experiment.body.experiment?.creation_time, 'number');
  });

  void it('omits fields that are not set and lists that are empty', async () => {
    const run = await aRunInNewExperiment(ctx.api);
    const fetched = await getRun(ctx.api, run.info.run_id);
    assert.equal('end_time' in fetched.info, false);
    assert.deepEqual(Object.keys(fetched.data), ['tags']);
    assert.deepEqual(fetched.inputs, {});
    assert.deepEqual(fetched.outputs, {});
    const ok = await ctx.api.post('runs/set-tag', { run_id: run.info.run_id, key: 'k', value: 'v' });
    assert.equal(ok.text, '{}');
  });

  void it('reads repeated query keys as a list and accepts int64 query values as strings', async () => {
    const run = await aRunInNewExperiment(ctx.api);
    await logMetric(ctx.api, run.info.run_id, aMetric('m', 1, 0));
    const reply = await ctx.api.raw({
      method: 'GET',
      url: `${API}/metrics/get-history-bulk-interval?run_ids=${run.info.run_id}&run_ids=${run.info.run_id}&metric_key=m&max_results=5`,
    });
    assertOk(reply);
    assert.ok((reply.body.metrics?.length ?? 0) >= 1);
    assert.equal(reply.body.metrics?.[0]?.run_id, run.info.run_id);
  });

  void it('rejects a field of the wrong type with a typed message', async () => {
    const run = await aRunInNewExperiment(ctx.api);
    const reply = await ctx.api.post('runs/log-metric', {
      run_id: run.info.run_id,
      key: 'm',
      value: 1,
      timestamp: 'yesterday',
    });
    assertError(reply, 400, 'INVALID_PARAMETER_VALUE', "for parameter 'timestamp'");
  });
});
