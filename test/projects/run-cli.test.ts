/** `plumb run` as a user runs it: a real process, its exit code, and Ctrl-C ending the run KILLED. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PlumbClient } from '../../src/client/index.ts';
import { childEnv, PLUMB_BIN, runPlumb } from '../helpers/plumb-process.ts';
import { startTestServer } from '../helpers/test-server.ts';

const MLPROJECT = `name: cli
entry_points:
  main:
    parameters:
      code: {type: int, default: 0}
    command: "echo exiting {code}; exit {code}"
  wait:
    command: "echo waiting; sleep 30"
`;

void describe('plumb run (CLI)', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let client: PlumbClient;
  let dir: string;
  before(async () => {
    server = await startTestServer();
    client = new PlumbClient({ trackingUri: server.baseUrl, env: {} });
    dir = mkdtempSync(join(tmpdir(), 'plumb-run-cli-'));
    writeFileSync(join(dir, 'MLproject'), MLPROJECT);
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const runIdOf = (stderr: string) => /run ([0-9a-f]{32}) /.exec(stderr)?.[1];

  void it("exits with the project's code and records FINISHED or FAILED", async () => {
    const env = { MLFLOW_TRACKING_URI: server.baseUrl };
    const ok = await runPlumb(['run', dir, '--experiment-name', 'cli'], { cwd: dir, env });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, 'exiting 0\n');
    assert.equal((await client.tracking.getRun(runIdOf(ok.stderr)!)).info.status, 'FINISHED');

    const failed = await runPlumb(['run', dir, '-P', 'code=4'], { cwd: dir, env });
    assert.equal(failed.code, 4, failed.stderr);
    assert.equal((await client.tracking.getRun(runIdOf(failed.stderr)!)).info.status, 'FAILED');
  });

  void it('refuses bad input with exit code 2 and a clear message', async () => {
    const env = { MLFLOW_TRACKING_URI: server.baseUrl };
    const bad = await runPlumb(['run', dir, '-P', 'code=$(id)'], { cwd: dir, env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Parameter 'code' must be an int, got '\$\(id\)'/);
    const noServer = await runPlumb(['run', dir], { cwd: dir });
    assert.equal(noServer.code, 2);
    assert.match(noServer.stderr, /Set MLFLOW_TRACKING_URI/);
    const entry = await runPlumb(['run', dir, '-e', 'nope'], { cwd: dir, env });
    assert.match(entry.stderr, /Could not find nope among entry points \["main","wait"\]/);
  });

  void it('Ctrl-C stops the project and ends the run KILLED', async () => {
    const child = spawn(process.execPath, [PLUMB_BIN, 'run', dir, '-e', 'wait'], {
      cwd: dir,
      env: childEnv({ MLFLOW_TRACKING_URI: server.baseUrl }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (c: Buffer) => c.toString().includes('waiting') && resolve()),
    );
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    assert.equal(code, 130, stderr);
    assert.equal((await client.tracking.getRun(runIdOf(stderr)!)).info.status, 'KILLED');
  });
});
