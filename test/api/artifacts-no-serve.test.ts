/** `--no-serve-artifacts` (PLUMB_SERVE_ARTIFACTS=false): every mlflow-artifacts route answers 503, as MLflow's do. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { assertOk } from '../fixtures/builders.ts';
import { inject, PROXY, useArtifactApp } from '../helpers/artifact-client.ts';

const PATH = '0/0123456789abcdef0123456789abcdef/artifacts/model.bin';

void describe('artifact proxy with PLUMB_SERVE_ARTIFACTS=false', () => {
  const ctx = useArtifactApp({ env: { PLUMB_SERVE_ARTIFACTS: 'false' } });

  void it('answers 503 on every mlflow-artifacts route and stores nothing', async () => {
    const json = { 'content-type': 'application/json' };
    const requests = [
      { method: 'PUT', url: `${PROXY}/artifacts/${PATH}`, payload: 'bytes', headers: { 'content-type': 'text/plain' } },
      { method: 'GET', url: `${PROXY}/artifacts/${PATH}` },
      { method: 'GET', url: `${PROXY}/artifacts/${PATH}?verify=true` },
      { method: 'DELETE', url: `${PROXY}/artifacts/${PATH}` },
      { method: 'GET', url: `${PROXY}/artifacts?path=0` },
      { method: 'GET', url: `${PROXY}/artifacts` },
      { method: 'POST', url: `${PROXY}/mpu/create/${PATH}`, payload: { path: PATH, num_parts: 2 }, headers: json },
      {
        method: 'POST',
        url: `${PROXY}/mpu/complete/${PATH}`,
        payload: { path: PATH, upload_id: 'u', parts: [{ part_number: 1, etag: 'e' }] },
        headers: json,
      },
      { method: 'POST', url: `${PROXY}/mpu/abort/${PATH}`, payload: { path: PATH, upload_id: 'u' }, headers: json },
      { method: 'PUT', url: `${PROXY}/mpu/parts/${PATH}?upload_id=u&part_number=1`, payload: 'part' },
    ] as const;
    for (const request of requests) {
      const reply = await inject(ctx.api, request);
      assert.equal(reply.status, 503, `${request.method} ${request.url}: ${reply.status} ${reply.text}`);
      assert.match(reply.text, /serve-artifacts/, `${request.method} ${request.url}: ${reply.text}`);
      if (reply.json.error_code !== undefined) assert.equal(reply.json.error_code, 'TEMPORARILY_UNAVAILABLE');
    }
    assert.deepEqual(existsSync(ctx.root) ? readdirSync(ctx.root) : [], [], 'something was written to the store');
  });

  void it('the tracking API keeps working', async () => {
    assertOk(await ctx.api.post('runs/create', { experiment_id: '0' }));
    assertOk(await ctx.api.get('experiments/get', { experiment_id: '0' }));
  });
});
