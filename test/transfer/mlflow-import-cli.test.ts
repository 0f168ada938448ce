/**
 * `plumb import mlflow` as a real process: --help, a JSON report with exit code 0, and a refusal
 * (exit code 1, nothing written) when Plumb already holds different data under the same ids.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { createTestApp } from '../helpers/test-server.ts';
import { runPlumb } from '../helpers/plumb-process.ts';
import { copyFixtureDb, FIXTURE_ARTIFACTS, runImport, scopeOf, withPlumbStore } from './mlflow-fixture.ts';

void describe('plumb import mlflow (command)', () => {
  let dir = '';
  let source = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'plumb-import-cli-'));
    source = copyFixtureDb(dir).uri;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const plumb = (...args: string[]) =>
    runPlumb(['import', 'mlflow', '--from', source, ...args], { cwd: dir, timeoutMs: 60_000 });

  void it('--help explains the options, resumability and the exit codes', async () => {
    const result = await runPlumb(['import', 'mlflow', '--help'], { cwd: dir });
    assert.equal(result.code, 0);
    for (const word of [
      '--from',
      '--artifacts-from',
      '--backend-store-uri',
      '--artifacts-destination',
      '--json',
      '--dry-run',
    ]) {
      assert.ok(result.stdout.includes(word), word);
    }
    assert.match(result.stdout, /skips what is already there/);
    assert.match(result.stdout, /Exit codes/);
  });

  void it('imports with --json: a report on stdout, no progress on stderr, exit code 0', async () => {
    const target = `sqlite:///${join(dir, 'json.db')}`;
    const result = await plumb(
      '--artifacts-from',
      FIXTURE_ARTIFACTS,
      '--backend-store-uri',
      target,
      '--artifacts-destination',
      join(dir, 'json-artifacts'),
      '--json',
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      verification: { table: string; source: number; plumb: number }[];
    };
    assert.equal(report.ok, true);
    assert.ok(report.verification.length > 20);
    assert.ok(report.verification.every((r) => r.source === r.plumb));
  });

  void it('refuses a Plumb database whose experiment 1 is another experiment, writing nothing', async () => {
    const target = `sqlite:///${join(dir, 'taken.db')}`;
    const app = await createTestApp({ env: { MLFLOW_BACKEND_STORE_URI: target } });
    try {
      const reply = await app.app.http.inject({
        method: 'POST',
        url: '/api/2.0/mlflow/experiments/create',
        payload: { name: 'someone-else' },
      });
      assert.equal(reply.json<{ experiment_id: string }>().experiment_id, '1');
    } finally {
      await app.close();
    }
    const result = await plumb('--backend-store-uri', target);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /experiment id 1 is 'fixture-classification' in MLflow, but 'someone-else' in Plumb/);
    assert.match(result.stdout, /Nothing was written/);
    const counts = await withPlumbStore(target, async (store) => store.imports.countImported(await scopeOf(source)));
    assert.deepEqual(
      [counts.experiments, counts.runs, counts.registered_models],
      [2, 0, 0],
      'only Default and someone-else',
    );
  });

  void it('names a Plumb database given as the source, and an unreachable one, in one line with exit code 1', async () => {
    const plumbDb = `sqlite:///${join(dir, 'a-plumb.db')}`;
    await (await createTestApp({ env: { MLFLOW_BACKEND_STORE_URI: plumbDb } })).close();
    const target = ['--backend-store-uri', `sqlite:///${join(dir, 'never.db')}`];
    const fromPlumb = await runPlumb(['import', 'mlflow', '--from', plumbDb, ...target], { cwd: dir });
    assert.equal(fromPlumb.code, 1);
    assert.match(fromPlumb.stderr, /^error: .* is a Plumb database, not an MLflow one: move it with plumb export/m);
    const unreachable = await runPlumb(
      ['import', 'mlflow', '--from', 'postgresql://postgres@127.0.0.1:1/mlflow', ...target],
      { cwd: dir, timeoutMs: 60_000 },
    );
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /^error: .*ECONNREFUSED/m);
    assert.doesNotMatch(unreachable.stderr, /\n\s+at /, 'a stack trace was printed');
  });

  void it('refuses a source with several workspaces (Plumb has none, names could clash)', async () => {
    const copy = copyFixtureDb(mkdtempSync(join(dir, 'ws-')));
    const db = new BetterSqlite3(copy.path);
    db.prepare("update experiments set workspace = 'team-b' where experiment_id = 3").run();
    db.close();
    const report = await runImport({ from: copy.uri, target: `sqlite:///${join(dir, 'ws.db')}` });
    assert.equal(report.ok, false);
    assert.match(report.conflicts[0] ?? '', /several workspaces \(default, team-b\)/);
  });
});
