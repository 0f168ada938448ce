/**
 * The API tests again, on another metadata store: a child test run with PLUMB_TEST_STORE set, so
 * that createTestApp gives every app a fresh database of its own (see test/helpers/test-server.ts).
 * A child process, because the switch must hold for every file it imports, and the API tests
 * must also keep running on SQLite in this process.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/plumb-process.ts';

const CHILD_TIMEOUT_MS = 10 * 60_000;

/** Our environment without NODE_TEST_CONTEXT: with it, the child would report to us and run nothing. */
function childTestEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

/** Runs the API tests in a child process on `store`; resolves to its exit code and output. */
function runChild(store: 'postgres' | 'mysql'): Promise<{ code: number | null; output: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-reporter=dot', join('test', 'all.test.ts')],
    {
      cwd: REPO_ROOT,
      env: { ...childTestEnv(), PLUMB_TEST_STORE: store, PLUMB_TEST_FILTER: 'test/api/' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: CHILD_TIMEOUT_MS,
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return once(child, 'exit').then(([code]) => ({ code: code as number | null, output }));
}

/**
 * Declares the test; each store's `api-on-<store>.test.ts` calls it once. The child starts when
 * the file is imported, not when its turn comes: the two children and the rest of the suite then
 * run side by side (the children mostly wait on their database server), which takes minutes off
 * the suite on two cores.
 */
export function apiTestsOn(store: 'postgres' | 'mysql', label: string): void {
  // The child run sets PLUMB_TEST_STORE itself: this file must not start a run of its own there.
  const inChild = process.env.PLUMB_TEST_STORE !== undefined;
  const result = inChild ? undefined : runChild(store);
  void describe(`API tests on ${label}`, { skip: inChild }, () => {
    void it(`every test under test/api/ passes with a ${label} metadata store`, async () => {
      const { code, output } = await result!;
      assert.equal(code, 0, output.slice(-20_000));
    });
  });
}
