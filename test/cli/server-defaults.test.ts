/**
 * The README's first command runs `npm start`, i.e. `node --max-semi-space-size=4 bin/plumb.js server` with no flags: it must serve the API on 127.0.0.1 with ./mlruns.db in the working directory. The port
 * comes from MLFLOW_PORT here only so that the test never collides with a real server on 5000.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { childEnv, freePort, REPO_ROOT, SERVER_NODE_FLAGS, sleep } from '../helpers/plumb-process.ts';

void describe('npm start with no flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plumb-defaults-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  void it('serves the API on 127.0.0.1 with ./mlruns.db in the working directory', async () => {
    const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    assert.equal(packageJson.scripts.start, `node ${SERVER_NODE_FLAGS.join(' ')} bin/plumb.js server`);
    const port = await freePort();
    // npm runs the script from the repository; here the working directory is elsewhere.
    const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, join(REPO_ROOT, 'bin/plumb.js'), 'server'], {
      cwd: dir,
      env: childEnv({ MLFLOW_PORT: String(port), PLUMB_LOG_LEVEL: 'info' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      let healthy = false;
      for (let attempt = 0; attempt < 300 && !healthy; attempt++) {
        healthy = await fetch(`http://127.0.0.1:${port}/health`).then(
          (r) => r.ok,
          () => false,
        );
        if (!healthy) await sleep(50);
      }
      assert.ok(healthy, `the server did not come up:\n${output}`);
      const created = await fetch(`http://127.0.0.1:${port}/api/2.0/mlflow/experiments/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      const body = (await created.json()) as { experiments: { name: string; artifact_location: string }[] };
      assert.deepEqual(
        body.experiments.map((e) => [e.name, e.artifact_location]),
        [['Default', 'mlflow-artifacts:/0']],
      );
      assert.ok(existsSync(join(dir, 'mlruns.db')), 'mlruns.db was not created in the working directory');
      assert.match(output, /"host":"127\.0\.0\.1"/);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
