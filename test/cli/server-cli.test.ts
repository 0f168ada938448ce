/**
 * `plumb server` start-up failures an operator meets, as real processes: each ends the process
 * with a non-zero exit code and a one-line reason, never a stack trace.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runPlumb } from '../helpers/plumb-process.ts';

void describe('plumb server start-up failures (real processes)', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'plumb-server-cli-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const server = (...args: string[]) =>
    runPlumb(['server', '--backend-store-uri', `sqlite:///${join(dir, 'mlruns.db')}`, '--host', '127.0.0.1', ...args], {
      cwd: dir,
      timeoutMs: 30_000,
    });

  void it('exits 1 with one line when the port is taken', async () => {
    const squatter = createServer().listen(0, '127.0.0.1');
    await once(squatter, 'listening');
    try {
      const { port } = squatter.address() as { port: number };
      const result = await server('--port', String(port));
      assert.equal(result.timedOut, false, 'the server did not exit');
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`^Cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`, 'm'));
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'a stack trace was printed');
    } finally {
      squatter.close();
    }
  });

  void it('exits 2 and lists every bad setting when the configuration is invalid', async () => {
    const result = await runPlumb(['server', '--port', 'http', '--backend-store-uri', 'mssql://sa:pw@db/x'], {
      cwd: dir,
      timeoutMs: 30_000,
      env: { MLFLOW_SERVE_ARTIFACTS: 'perhaps' },
    });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^Invalid configuration:$/m);
    assert.match(result.stderr, /^ {2}- --port: .*"http"/m);
    assert.match(result.stderr, /^ {2}- --backend-store-uri: .*mssql:\/\/sa:\*\*\*@db\/x/m);
    assert.match(result.stderr, /^ {2}- MLFLOW_SERVE_ARTIFACTS: .*"perhaps"/m);
    assert.doesNotMatch(result.stderr, /sa:pw/);
  });
});
