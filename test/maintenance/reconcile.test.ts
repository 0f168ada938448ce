/**
 * `plumb reconcile` in process: runs whose rows the database lost come back from their snapshots,
 * identical through the API; nothing is duplicated or overwritten; a second pass does nothing.
 */
import assert from 'node:assert/strict';
import { readdirSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { ReconcileService } from '../../src/transfer/reconcile.service.ts';
import { Api, anExperiment, assertOk, getExperiment, getRun, uniqueName } from '../fixtures/builders.ts';
import { createMysqlTestDatabase } from '../helpers/mysql-databases.ts';
import { createTestDatabase } from '../helpers/postgres-databases.ts';
import { createTestApp, type TestApp } from '../helpers/test-server.ts';
import { assertSameRuns, captureRuns, localArtifacts, searchRunIds, seedRuns } from './fixtures.ts';

async function reconciler(test: TestApp): Promise<ReconcileService> {
  return new ReconcileService({
    tracking: test.app.store.tracking,
    recovery: test.app.store.maintenance.recovery,
    artifacts: await localArtifacts(test),
  });
}

/** The rows of these runs vanish, as after restoring a backup taken before they were created. */
async function loseRuns(test: TestApp, runIds: readonly string[]): Promise<void> {
  for (const runId of runIds) await test.app.store.maintenance.purge.purgeRun(runId);
}

async function recreatesLostRuns(count: number, open: () => Promise<TestApp>): Promise<void> {
  const test = await open();
  try {
    const api = new Api(test);
    const seeded = await seedRuns(api, count);
    const before = await captureRuns(api, seeded.runIds);
    const lostExperiment = await getExperiment(api, seeded.experimentIds[1]!);
    await loseRuns(test, seeded.runIds);
    await test.app.store.maintenance.purge.purgeExperiment(seeded.experimentIds[1]!);
    const service = await reconciler(test);

    const plan = await service.reconcile({ dryRun: true });
    assert.equal(plan.runs.length, count);
    assert.ok(plan.runs.every((r) => r.action === 'recreate'));
    assert.deepEqual(plan.experiments, [
      { experimentId: seeded.experimentIds[1], name: lostExperiment.name, originalName: undefined },
    ]);
    assert.equal((await api.get('runs/get', { run_id: seeded.runIds[0]! })).status, 404, 'a dry run wrote');

    const report = await service.reconcile();
    assert.deepEqual(report.problems, []);
    assert.equal(report.snapshots, count);
    assert.equal(report.runs.filter((r) => r.action === 'recreate').length, count);
    assert.equal(report.runs[0]!.metricPoints, 6);
    assertSameRuns(await captureRuns(api, seeded.runIds), before);
    const restored = await getExperiment(api, seeded.experimentIds[1]!);
    assert.equal(restored.name, lostExperiment.name);
    assert.equal(restored.artifact_location, lostExperiment.artifact_location);
    const found = await searchRunIds(api, seeded.experimentIds);
    assert.equal(found.length, count);
    assert.equal(new Set(found).size, count);

    const again = await service.reconcile();
    assert.deepEqual(again.runs, []);
    assert.deepEqual(again.experiments, []);
    assert.equal(again.upToDate, count);
    assertSameRuns(await captureRuns(api, seeded.runIds), before);
    // New experiments still get fresh ids after the explicit ones.
    const next = await anExperiment(api);
    assert.ok(Number(next) > Number(seeded.experimentIds[1]), next);
  } finally {
    await test.close();
  }
}

void describe('reconcile', () => {
  void it('recreates 50 lost runs and their experiment with identical data; a second pass does nothing', () =>
    recreatesLostRuns(50, () => createTestApp()));

  for (const [engine, create] of [
    ['PostgreSQL', createTestDatabase],
    ['MariaDB', createMysqlTestDatabase],
  ] as const) {
    void it(`recreates lost runs and their experiment on ${engine}`, () =>
      recreatesLostRuns(10, async () => {
        const database = await create();
        const test = await createTestApp({ env: { MLFLOW_BACKEND_STORE_URI: database.uri } });
        return { ...test, close: () => test.close().finally(() => database.drop()) };
      }));
  }

  void it('adds only the params, points and inputs an existing run lacks, and keeps its newer tags', async () => {
    const test = await createTestApp();
    try {
      const api = new Api(test);
      const { runIds } = await seedRuns(api, 1, 1);
      const runId = runIds[0]!;
      const complete = await captureRuns(api, runIds);
      assertOk(await api.post('runs/set-tag', { run_id: runId, key: 'owner', value: 'changed-later' }));
      const db = new BetterSqlite3(join(test.dir, 'mlruns.db'));
      try {
        db.prepare(`delete from params where run_uuid = ? and key = 'batch'`).run(runId);
        db.prepare(`delete from metrics where run_uuid = ? and key = 'loss' and step > 0`).run(runId);
        db.prepare(`delete from input_tags`).run();
        db.prepare(`delete from inputs where destination_id = ?`).run(runId);
      } finally {
        db.close();
      }
      const report = await (await reconciler(test)).reconcile();
      assert.deepEqual(report.problems, []);
      assert.deepEqual(report.runs, [
        {
          runId,
          experimentId: complete.get(runId)!.run.info.experiment_id,
          action: 'complete',
          params: 1,
          tags: 0,
          metricPoints: 2,
          inputs: 1,
        },
      ]);
      const after = (await captureRuns(api, runIds)).get(runId)!;
      assert.deepEqual(after.history, complete.get(runId)!.history);
      assert.deepEqual(
        after.run.data.params?.map((p) => p.key).sort(),
        complete
          .get(runId)!
          .run.data.params?.map((p) => p.key)
          .sort(),
      );
      assert.deepEqual(after.run.inputs, complete.get(runId)!.run.inputs);
      assert.equal(after.run.data.tags?.find((t) => t.key === 'owner')?.value, 'changed-later');
      const again = await (await reconciler(test)).reconcile();
      assert.deepEqual(again.runs, []);
      assert.equal(again.upToDate, 1);
    } finally {
      await test.close();
    }
  });

  void it('names a recreated experiment apart when its name was taken, and reports a damaged snapshot', async () => {
    const test = await createTestApp();
    try {
      const api = new Api(test);
      const seeded = await seedRuns(api, 2, 1);
      const [experimentId] = seeded.experimentIds;
      const name = (await getExperiment(api, experimentId!)).name;
      await loseRuns(test, seeded.runIds);
      await test.app.store.maintenance.purge.purgeExperiment(experimentId!);
      await anExperiment(api, name);
      const damaged = seeded.runIds[1]!;
      const dir = join(test.dir, 'mlartifacts', experimentId!, damaged, 'plumb-snapshot');
      assert.ok(readdirSync(dir).includes('metric-history.jsonl.gz'));
      truncateSync(join(dir, 'metric-history.jsonl.gz'), 10);

      const report = await (await reconciler(test)).reconcile();
      assert.deepEqual(report.experiments, [
        { experimentId, name: `${name} (recovered ${experimentId})`, originalName: name },
      ]);
      assert.deepEqual(
        report.runs.map((r) => r.runId),
        [seeded.runIds[0]],
      );
      assert.equal(report.problems.length, 1);
      assert.match(report.problems[0]!.snapshot, new RegExp(damaged));
      assert.match(report.problems[0]!.message, /metric-history\.jsonl\.gz/);
      assert.equal((await getRun(api, seeded.runIds[0]!)).info.experiment_id, experimentId);
      assert.equal((await api.get('runs/get', { run_id: damaged })).status, 404);
    } finally {
      await test.close();
    }
  });

  void it('finds nothing to do in a store without snapshots', async () => {
    const test = await createTestApp();
    try {
      await anExperiment(new Api(test), uniqueName());
      const report = await (await reconciler(test)).reconcile();
      assert.deepEqual(report, { dryRun: false, snapshots: 0, upToDate: 0, runs: [], experiments: [], problems: [] });
    } finally {
      await test.close();
    }
  });
});
