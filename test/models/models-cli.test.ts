/** `plumb models inspect` and `plumb models serve` as processes, against a registered ONNX model. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PlumbClient } from '../../src/client/index.ts';
import { childEnv, PLUMB_BIN, runPlumb } from '../helpers/plumb-process.ts';
import { startTestServer } from '../helpers/test-server.ts';
import { logOnnxVersion } from './onnx-model-version.ts';

void describe('plumb models (CLI)', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let cache: string;
  before(async () => {
    server = await startTestServer();
    cache = mkdtempSync(join(tmpdir(), 'plumb-models-cli-'));
    const client = new PlumbClient({ trackingUri: server.baseUrl, env: {} });
    const version = await logOnnxVersion(
      client,
      'cli-model',
      [
        [1, 0],
        [0, 1],
        [1, 1],
      ],
      [0, 0],
    );
    await client.registry.setAlias('cli-model', 'champion', version);
  });
  after(async () => {
    await server.close();
    rmSync(cache, { recursive: true, force: true });
  });

  void it('inspect prints flavors, signature and files of models:/name@alias', async () => {
    const env = { MLFLOW_TRACKING_URI: server.baseUrl };
    const result = await runPlumb(['models', 'inspect', 'models:/cli-model@champion', '--cache-dir', cache], {
      cwd: cache,
      env,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^flavors:\n {2}onnx: data=model\.onnx, onnx_version=1\.17\.0$/m);
    assert.match(result.stdout, /^ {2}inputs: \[Tensor\('float32', \(-1, 3\)\)\]$/m);
    assert.match(result.stdout, /^ {2}model_uuid: 0f4c2d9e8b7a4c3d9e8f7a6b5c4d3e2f$/m);
    assert.match(result.stdout, /^ {2}model\.onnx {2}\d+ B$/m);
    const json = await runPlumb(['models', 'inspect', 'models:/cli-model/1', '--json', '--cache-dir', cache], {
      cwd: cache,
      env,
    });
    assert.equal((JSON.parse(json.stdout) as { version: string }).version, '1');
    const missing = await runPlumb(['models', 'inspect', 'models:/nope@champion', '--cache-dir', cache], {
      cwd: cache,
      env,
    });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Registered model alias champion not found/);
  });

  void it('serve answers the scoring protocol until stopped', async () => {
    const child = spawn(
      process.execPath,
      [PLUMB_BIN, 'models', 'serve', '-m', 'models:/cli-model@champion', '--port', '0', '--cache-dir', cache],
      { cwd: cache, env: childEnv({ MLFLOW_TRACKING_URI: server.baseUrl }), stdio: ['ignore', 'ignore', 'pipe'] },
    );
    try {
      let stderr = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (c: Buffer) => {
          stderr += c.toString();
          const match = / at (http:\/\/\S+)/.exec(stderr);
          if (match) resolve(match[1]!);
        });
        child.once('exit', () => reject(new Error(stderr)));
      });
      assert.match(stderr, /2 file\(s\) verified against the artifact manifest/);
      assert.equal((await fetch(`${url}/ping`)).status, 200);
      const response = await fetch(`${url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: [[1, 2, 3]] }),
      });
      assert.deepEqual(await response.json(), { predictions: { y: [[4, 5]] } });
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode);
      else child.once('exit', (c) => resolve(c));
    });
    assert.equal(code, 0);
  });
});
