/**
 * The ONNX path end to end: a linear ONNX model built in the test, logged to a run and registered
 * through the API, served from models:/…@champion with files checked against the artifact
 * manifest, and switched without a failed request when the alias moves (--follow-alias).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ArtifactIntegrityError, PlumbClient } from '../../src/client/index.ts';
import { MlflowError } from '../../src/core/errors.ts';
import { loadModel, serveModel } from '../../src/models/model-serving.ts';
import { createOnnxFlavor } from '../../src/models/onnx-flavor.ts';
import { startTestServer } from '../helpers/test-server.ts';
import { linearOnnxModel } from './onnx-builder.ts';
import { logOnnxVersion, ONNX_MLMODEL as MLMODEL } from './onnx-model-version.ts';

const W1 = [
  [1, 2],
  [3, 4],
  [5, 6],
];
const W2 = [
  [-1, 0],
  [0, -1],
  [1, 1],
];

void describe('serving an ONNX model from the registry', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let client: PlumbClient;
  let cache: string;
  before(async () => {
    server = await startTestServer();
    client = new PlumbClient({ trackingUri: server.baseUrl, env: {} });
    cache = mkdtempSync(join(tmpdir(), 'plumb-serve-'));
  });
  after(async () => {
    await server.close();
    rmSync(cache, { recursive: true, force: true });
  });

  void it('serves models:/name@champion and predicts with the logged weights', async () => {
    const version = await logOnnxVersion(client, 'pricing', W1, [0.5, -1]);
    await client.registry.setAlias('pricing', 'champion', version);
    const logs: string[] = [];
    const served = await serveModel({
      uri: 'models:/pricing@champion',
      port: 0,
      cacheDir: cache,
      client,
      log: (l) => logs.push(l),
    });
    try {
      assert.equal(served.version(), version);
      assert.ok(
        logs.some((l) => /2 file\(s\) verified against the artifact manifest$/.test(l)),
        logs.join('\n'),
      );
      const response = await fetch(`${served.url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          inputs: [
            [1, 1, 1],
            [2, 0, 0],
          ],
        }),
      });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), {
        predictions: {
          y: [
            [9.5, 11],
            [2.5, 3],
          ],
        },
      });

      const frame = await fetch(`${served.url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ dataframe_split: { columns: ['a', 'b', 'c'], data: [[1, 1, 1]] } }),
      });
      // Under a tensor signature a frame becomes the tensor of its rows, as MLflow's enforcement does.
      assert.deepEqual(await frame.json(), { predictions: { y: [[9.5, 11]] } });

      const wrong = await fetch(`${served.url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: [[1, 1]] }),
      });
      assert.equal(wrong.status, 400);
      const error = (await wrong.json()) as { error_code: string; message: string };
      assert.equal(error.error_code, 'INVALID_PARAMETER_VALUE');
      assert.match(
        error.message,
        /with schema '\[Tensor\('float32', \(-1, 3\)\)\]'\. Error: Shape of input \(1, 2\) does not match expected shape \(-1, 3\)\.$/,
      );
    } finally {
      await served.close();
    }
  });

  void it('serves models:/name/version, models:/name/latest and runs:/ URIs', async () => {
    const version = await logOnnxVersion(client, 'ranker', W2, [0, 0]);
    const mv = await client.registry.getModelVersion('ranker', version);
    for (const uri of [`models:/ranker/${version}`, 'models:/ranker/latest', `runs:/${mv.run_id}/model`]) {
      const served = await serveModel({ uri, port: 0, cacheDir: cache, client });
      try {
        const response = await fetch(`${served.url}/invocations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ instances: [[1, 2, 3]] }),
        });
        assert.deepEqual(await response.json(), { predictions: { y: [[2, 1]] } }, uri);
      } finally {
        await served.close();
      }
    }
  });

  void it('refuses a model file whose bytes differ from the artifact manifest', async () => {
    const version = await logOnnxVersion(client, 'tampered', W1, [0, 0]);
    const runId = (await client.registry.getModelVersion('tampered', version)).run_id!;
    const stored = findFile(join(server.dir, 'mlartifacts'), 'model.onnx').find((p) => p.includes(runId));
    assert.ok(stored);
    writeFileSync(stored, linearOnnxModel(W2, [0, 0]));
    await assert.rejects(
      serveModel({ uri: `models:/tampered/${version}`, port: 0, cacheDir: cache, client }),
      (e: unknown) =>
        e instanceof ArtifactIntegrityError ||
        (e instanceof MlflowError && e.code === 'DATA_LOSS' && /no current sha256 for model\.onnx/.test(e.message)),
    );
  });

  void it('switches to the new version when the alias moves, with no failed request', async () => {
    const v1 = await logOnnxVersion(client, 'follow', W1, [0, 0]);
    const v2 = await logOnnxVersion(client, 'follow', W2, [0, 0]);
    await client.registry.setAlias('follow', 'champion', v1);
    const served = await serveModel({
      uri: 'models:/follow@champion',
      port: 0,
      cacheDir: cache,
      client,
      followAlias: true,
      pollMs: 50,
    });
    const seen = new Set<string>();
    let failures = 0;
    let requests = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        const response = await fetch(`${served.url}/invocations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"inputs": [[1, 2, 3]]}',
        }).catch(() => undefined);
        requests++;
        if (response?.status !== 200) {
          failures++;
          continue;
        }
        seen.add(JSON.stringify(await response.json()));
      }
    };
    try {
      const workers = Array.from({ length: 4 }, worker);
      await new Promise((r) => setTimeout(r, 200));
      await client.registry.setAlias('follow', 'champion', v2);
      const deadline = Date.now() + 10_000;
      while (served.version() !== v2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 200));
      stop = true;
      await Promise.all(workers);
      assert.equal(served.version(), v2);
      assert.equal(failures, 0, `${failures} of ${requests} requests failed during the switch`);
      // v1: [1,2,3]·W1 = [22, 28]; v2: [1,2,3]·W2 = [2, 1]
      assert.deepEqual([...seen].sort(), ['{"predictions":{"y":[[2,1]]}}', '{"predictions":{"y":[[22,28]]}}']);
    } finally {
      stop = true;
      await served.close();
    }
  });

  void it('without onnxruntime-node, says how to install it', async () => {
    const flavor = createOnnxFlavor(() => import('onnxruntime-node-missing' as string));
    const dir = mkdtempSync(join(tmpdir(), 'plumb-onnx-'));
    try {
      writeFileSync(join(dir, 'MLmodel'), MLMODEL);
      writeFileSync(join(dir, 'model.onnx'), linearOnnxModel(W1, [0, 0]));
      await assert.rejects(
        loadModel(dir, [flavor], 'x'),
        (e: unknown) => e instanceof MlflowError && /npm install onnxruntime-node@1\.30\.0/.test(e.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function findFile(dir: string, name: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findFile(path, name));
    else if (entry.name === name) found.push(path);
  }
  return found;
}
