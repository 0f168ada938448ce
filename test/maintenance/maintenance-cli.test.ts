/**
 * The maintenance commands as an operator runs them: real `plumb` processes on a SQLite file and
 * an artifact folder, judged by exit code, JSON on stdout and the data through the API after.
 * Each process costs seconds of CPU, so the logic is tested in process elsewhere; these check the wiring.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Api } from '../fixtures/builders.ts';
import { runPlumb } from '../helpers/plumb-process.ts';
import { createTestApp } from '../helpers/test-server.ts';
import { assertSameRuns, captureRuns, seedRuns } from './fixtures.ts';

function plumb(dir: string, args: readonly string[]) {
  return runPlumb(
    [
      ...args,
      '--backend-store-uri',
      `sqlite:///${join(dir, 'mlruns.db')}`,
      '--artifacts-destination',
      join(dir, 'mlartifacts'),
    ],
    { cwd: dir, timeoutMs: 60_000 },
  );
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
});
