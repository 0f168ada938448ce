/**
 * The maintenance commands as an operator runs them: real `plumb` processes on a SQLite file and
 * an artifact folder, judged by exit code, JSON on stdout and the data through the API after.
 * Each process costs seconds of CPU, so the logic is tested in process elsewhere; these check the wiring.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Api, assertOk } from '../fixtures/builders.ts';
import { runPlumb } from '../helpers/plumb-process.ts';
import { createTestApp } from '../helpers/test-server.ts';
import { assertSameRuns, captureRuns, seedRuns } from './fixtures.ts';

/** `plumb <args>` on the test app's database (or `db`), with its artifact store for the commands that take one. */
function plumb(dir: string, args: readonly string[], db = join(dir, 'mlruns.db')) {
  const artifacts = ['reconcile', 'gc'].includes(args[0]!) ? ['--artifacts-destination', join(dir, 'mlartifacts')] : [];
  return runPlumb([...args, '--backend-store-uri', `sqlite:///${db}`, ...artifacts], { cwd: dir, timeoutMs: 60_000 });
}

void describe('maintenance commands (real processes)', () => {
  void it('plumb reconcile --json recreates lost runs and exits 0', async () => {
    const test = await createTestApp();
    try {
      const api = new Api(test);
      const seeded = await seedRuns(api, 3, 1);
      const before = await captureRuns(api, seeded.runIds);
      for (const runId of seeded.runIds) await test.app.store.maintenance.purge.purgeRun(runId);

      const result = await plumb(test.dir, ['reconcile', '--json']);
      assert.equal(result.code, 0, result.stderr);
      const report = JSON.parse(result.stdout) as { runs: { action: string }[]; problems: unknown[] };
      assert.equal(report.runs.length, 3);
      assert.deepEqual(report.problems, []);
      assertSameRuns(await captureRuns(api, seeded.runIds), before);
    } finally {
      await test.close();
    }
  });

  void it('plumb backup and plumb restore --json round-trip a database; restore over data without --force exits 1', async () => {
    const test = await createTestApp();
    try {
      const api = new Api(test);
      const seeded = await seedRuns(api, 2, 1);
      const before = await captureRuns(api, seeded.runIds);
      const backupDir = join(test.dir, 'backup');
      const backup = await plumb(test.dir, ['backup', backupDir, '--json']);
      assert.equal(backup.code, 0, backup.stderr);
      const manifest = JSON.parse(backup.stdout) as { method: string; tool: string; rowCounts: Record<string, number> };
      assert.deepEqual(
        [manifest.method, manifest.tool, manifest.rowCounts.runs],
        ['native', 'sqlite-online-backup', 2],
      );

      const refused = await plumb(test.dir, ['restore', backupDir]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /holds data.*--force/);

      const copy = join(test.dir, 'copy.db');
      const restore = await plumb(test.dir, ['restore', backupDir, '--json'], copy);
      assert.equal(restore.code, 0, restore.stderr);
      assert.deepEqual((JSON.parse(restore.stdout) as { countMismatches: unknown[] }).countMismatches, []);
      const restored = await createTestApp({
        env: { MLFLOW_BACKEND_STORE_URI: `sqlite:///${copy}` },
        artifactsDestination: join(test.dir, 'mlartifacts'),
      });
      try {
        assertSameRuns(await captureRuns(new Api(restored), seeded.runIds), before);
      } finally {
        await restored.close();
      }
    } finally {
      await test.close();
    }
  });

  void it('plumb export and plumb import dump --json move a database to a new one', async () => {
    const test = await createTestApp();
    try {
      const api = new Api(test);
      const seeded = await seedRuns(api, 2, 1);
      const before = await captureRuns(api, seeded.runIds);
      const file = join(test.dir, 'dump.jsonl.gz');
      const exported = await plumb(test.dir, ['export', file]);
      assert.equal(exported.code, 0, exported.stderr);
      assert.match(exported.stdout, /^Exported to .*dump\.jsonl\.gz: \d+ rows in \d+ tables, schema version \d+/);
      const copy = join(test.dir, 'copy.db');
      const imported = await plumb(test.dir, ['import', 'dump', file, '--json'], copy);
      assert.equal(imported.code, 0, imported.stderr);
      assert.equal((JSON.parse(imported.stdout) as { tables: Record<string, number> }).tables.runs, 2);
      const restored = await createTestApp({
        env: { MLFLOW_BACKEND_STORE_URI: `sqlite:///${copy}` },
        artifactsDestination: join(test.dir, 'mlartifacts'),
      });
      try {
        assertSameRuns(await captureRuns(new Api(restored), seeded.runIds), before);
      } finally {
        await restored.close();
      }
    } finally {
      await test.close();
    }
  });

  void it('plumb gc --json deletes a deleted run for good and exits 0', async () => {
    const test = await createTestApp();
    try {
      const api = new Api(test);
      const { runIds } = await seedRuns(api, 2, 1);
      assertOk(await api.post('runs/delete', { run_id: runIds[0] }));
      const result = await plumb(test.dir, ['gc', '--older-than', '0s', '--json']);
      assert.equal(result.code, 0, result.stderr);
      const report = JSON.parse(result.stdout) as { runs: { id: string }[]; problems: unknown[] };
      assert.deepEqual(
        report.runs.map((r) => r.id),
        [runIds[0]],
      );
      assert.equal((await api.get('runs/get', { run_id: runIds[0]! })).status, 404);
      assertOk(await api.get('runs/get', { run_id: runIds[1]! }));
    } finally {
      await test.close();
    }
  });
});
