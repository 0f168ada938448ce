/**
 * `plumb gc` in process: deleted runs and experiments go for good with their rows, artifacts and
 * snapshots (so reconcile cannot bring them back), names are freed, and nothing else is touched.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createArtifactRepository } from '../../src/app.ts';
import type { ArtifactRepository } from '../../src/artifacts/artifact-repository.ts';
import { parseArtifactPath } from '../../src/core/artifact-path.ts';
import type { Clock } from '../../src/core/clock.ts';
import { GcService } from '../../src/transfer/gc.service.ts';
import { ReconcileService } from '../../src/transfer/reconcile.service.ts';
import { API, Api, anExperiment, assertOk, uniqueName } from '../fixtures/builders.ts';
import { aModelVersion, aRegisteredModel } from '../fixtures/registry-builders.ts';
import { createTestBucket, ensureTestS3, type TestBucket } from '../helpers/s3-service.ts';
import { createTestApp, type TestApp } from '../helpers/test-server.ts';
import { ENGINES } from './engines.ts';
import { localArtifacts, seedRuns } from './fixtures.ts';

const PROXY = '/api/2.0/mlflow-artifacts/artifacts';
const SHIFTED = (ms: number): Clock => ({ now: () => Date.now() + ms });

async function gcService(test: TestApp, options: { clock?: Clock; artifacts?: ArtifactRepository } = {}) {
  return new GcService({
    purge: test.app.store.maintenance.purge,
    manifest: test.app.store.artifactManifest,
    artifacts: options.artifacts ?? (await localArtifacts(test)),
    destinationUri: join(test.dir, 'mlartifacts'),
    clock: options.clock ?? { now: () => Date.now() },
  });
}

/** Uploads a file to each run; returns the runs' directories (`<exp>/<run>`). */
async function withArtifacts(api: Api, experimentId: string, runIds: readonly string[]): Promise<string[]> {
  const dirs: string[] = [];
  for (const runId of runIds) {
    const dir = `${experimentId}/${runId}`;
    assertOk(await api.raw({ method: 'PUT', url: `${PROXY}/${dir}/artifacts/model.bin`, payload: Buffer.from(runId) }));
    dirs.push(dir);
  }
  return dirs;
}

async function rowCounts(test: TestApp): Promise<Record<string, number>> {
  return test.app.store.maintenance.dump.read(async (reader) => {
    const counts: Record<string, number> = {};
    for (const table of reader.tables) counts[table.name] = await reader.count(table.name);
    return counts;
  });
}

void describe('gc', () => {
  for (const engine of ENGINES) {
    void it(`${engine.name}: purges a deleted run with its rows, artifacts and snapshot, and nothing else`, async () => {
      const database = await engine.create();
      const test = await createTestApp({ env: { MLFLOW_BACKEND_STORE_URI: database.uri } });
      try {
        const api = new Api(test);
        const { experimentIds, runIds } = await seedRuns(api, 3, 1);
        const [gone, kept] = await withArtifacts(api, experimentIds[0]!, runIds.slice(0, 2));
        assertOk(await api.post('runs/delete', { run_id: runIds[0] }));
        const before = await rowCounts(test);
        const service = await gcService(test);

        const plan = await service.gc({ dryRun: true });
        assert.deepEqual(
          plan.runs.map((r) => [r.id, r.artifactPaths]),
          [[runIds[0], [gone]]],
        );
        assert.ok(existsSync(join(test.dir, 'mlartifacts', gone!)), 'a dry run deleted artifacts');
        assert.deepEqual(await rowCounts(test), before);

        const report = await service.gc();
        assert.deepEqual(report.problems, []);
        const rows = report.runs[0]!.rows;
        assert.deepEqual(
          [rows.runs, rows.metrics, rows.latest_metrics, rows.params, rows.artifact_manifest, rows.inputs],
          [1, 6, 3, 2, 1, 1],
        );
        assert.equal((await api.get('runs/get', { run_id: runIds[0]! })).status, 404);
        assert.equal(existsSync(join(test.dir, 'mlartifacts', gone!)), false);
        assert.deepEqual(await test.app.store.artifactManifest.listUnder(parseArtifactPath(gone!)), []);
        assert.ok(existsSync(join(test.dir, 'mlartifacts', kept!, 'plumb-snapshot', 'run.json')));
        assertOk(await api.get('runs/get', { run_id: runIds[1]! }));
        const after = await rowCounts(test);
        for (const [table, n] of Object.entries(before)) {
          assert.equal(after[table], n - (rows[table] ?? 0), table);
        }

        const reconcile = new ReconcileService({
          tracking: test.app.store.tracking,
          recovery: test.app.store.maintenance.recovery,
          artifacts: await localArtifacts(test),
        });
        const reconciled = await reconcile.reconcile();
        assert.deepEqual([reconciled.snapshots, reconciled.runs.length], [2, 0]);
        assert.deepEqual((await service.gc()).runs, []);
      } finally {
        await test.close();
        await database.drop();
      }
    });
  }

  void it('purges a deleted experiment with all its runs and frees its name', async () => {
    const test = await createTestApp();
    try {
      const api = new Api(test);
      const { experimentIds, runIds } = await seedRuns(api, 2, 1);
      const experimentId = experimentIds[0]!;
      await withArtifacts(api, experimentId, runIds);
      const name = (await api.get('experiments/get', { experiment_id: experimentId })).body.experiment!.name;
      const other = await anExperiment(api, uniqueName('other'));
      assertOk(await api.post('experiments/delete', { experiment_id: experimentId }));

      const report = await (await gcService(test)).gc();
      assert.deepEqual(report.problems, []);
      assert.deepEqual(report.runs.map((r) => r.id).sort(), [...runIds].sort());
      assert.deepEqual(
        report.experiments.map((e) => [e.id, e.name, e.artifactPaths]),
        [[experimentId, name, [experimentId]]],
      );
      assert.equal((await api.get('experiments/get', { experiment_id: experimentId })).status, 404);
      assert.equal(existsSync(join(test.dir, 'mlartifacts', experimentId)), false);
      assertOk(await api.get('experiments/get', { experiment_id: other }));
      assert.ok(Number(await anExperiment(api, name)) > Number(experimentId));
    } finally {
      await test.close();
    }
  });

  void it('--older-than keeps what was deleted recently', async () => {
    const test = await createTestApp();
    try {
      const api = new Api(test);
      const { runIds } = await seedRuns(api, 1, 1);
      assertOk(await api.post('runs/delete', { run_id: runIds[0] }));
      const hour = 3_600_000;
      assert.deepEqual((await (await gcService(test)).gc({ olderThanMs: hour })).runs, []);
      const later = await (await gcService(test, { clock: SHIFTED(2 * hour) })).gc({ olderThanMs: hour });
      assert.deepEqual(
        later.runs.map((r) => r.id),
        runIds,
      );
    } finally {
      await test.close();
    }
  });

  void it('--run-ids and --experiment-ids refuse ids that are not deleted, and then delete nothing', async () => {
    const test = await createTestApp();
    try {
      const api = new Api(test);
      const { experimentIds, runIds } = await seedRuns(api, 2, 1);
      assertOk(await api.post('runs/delete', { run_id: runIds[0] }));
      const report = await (await gcService(test)).gc({
        runIds: [runIds[0]!, runIds[1]!, 'f'.repeat(32)],
        experimentIds: experimentIds,
      });
      assert.deepEqual(report.runs, []);
      assert.deepEqual(
        report.problems.map((p) => p.message),
        [
          `Run ${runIds[1]} is not in the deleted state; delete it first`,
          `Run ${'f'.repeat(32)} does not exist`,
          `Experiment ${experimentIds[0]} is not in the deleted state; delete it first`,
        ],
      );
      const stillDeleted = await api.get('runs/get', { run_id: runIds[0]! });
      assert.equal(stillDeleted.body.run?.info.lifecycle_stage, 'deleted');
      const only = await (await gcService(test)).gc({ runIds: [runIds[0]!] });
      assert.deepEqual(
        only.runs.map((r) => r.id),
        [runIds[0]],
      );
    } finally {
      await test.close();
    }
  });

  void it('keeps a deleted run that a registered model version comes from, until the version is deleted', async () => {
    const test = await createTestApp();
    try {
      const api = new Api(test);
      const { experimentIds, runIds } = await seedRuns(api, 1, 1);
      const name = await aRegisteredModel(api);
      await aModelVersion(api, name, { run_id: runIds[0] });
      assertOk(await api.post('experiments/delete', { experiment_id: experimentIds[0] }));
      const kept = await (await gcService(test)).gc();
      assert.deepEqual([kept.runs, kept.experiments, kept.problems], [[], [], []]);
      assert.deepEqual(kept.skipped, [
        { id: runIds[0], reason: `model versions ${name}/1 come from it; delete those versions first` },
        { id: experimentIds[0], reason: 'some of its runs are kept for model versions' },
      ]);
      assertOk(
        await api.raw({ method: 'DELETE', url: `${API}/model-versions/delete`, payload: { name, version: '1' } }),
      );
      const purged = await (await gcService(test)).gc();
      assert.deepEqual(
        [purged.runs.map((r) => r.id), purged.experiments.map((e) => e.id), purged.skipped],
        [runIds, experimentIds, []],
      );
    } finally {
      await test.close();
    }
  });

  void describe('on S3', () => {
    let bucket: TestBucket;
    let test: TestApp;
    let endpoint = '';
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    before(async () => {
      const s3 = await ensureTestS3();
      bucket = await createTestBucket(s3, 'gc');
      process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
      endpoint = s3.endpoint;
      test = await createTestApp({
        env: { MLFLOW_S3_ENDPOINT_URL: endpoint },
        artifactsDestination: `s3://${bucket.name}/plumb`,
      });
    });
    after(async () => {
      await test?.close();
      await bucket?.close();
      for (const [key, value] of [
        ['AWS_ACCESS_KEY_ID', saved.id],
        ['AWS_SECRET_ACCESS_KEY', saved.secret],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    });

    void it('removes the run artifacts and snapshot objects from the bucket, so reconcile finds only the kept run', async () => {
      const api = new Api(test);
      const { experimentIds, runIds } = await seedRuns(api, 2, 1);
      const [gone, kept] = await withArtifacts(api, experimentIds[0]!, runIds);
      assertOk(await api.post('runs/delete', { run_id: runIds[0] }));
      const artifacts = await createArtifactRepository({
        kind: 's3',
        uri: `s3://${bucket.name}/plumb`,
        bucket: bucket.name,
        prefix: 'plumb',
        endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
      });
      const listed = async (dir: string) => (await artifacts.list(parseArtifactPath(dir))).files.map((f) => f.path);
      assert.deepEqual(await listed(gone!), [`${gone}/artifacts`, `${gone}/plumb-snapshot`]);
      const report = await (await gcService(test, { artifacts })).gc({ runIds: [runIds[0]!] });
      assert.deepEqual(report.problems, []);
      assert.deepEqual(report.runs[0]?.artifactPaths, [gone]);
      assert.deepEqual(await listed(gone!), []);
      assert.deepEqual(await listed(kept!), [`${kept}/artifacts`, `${kept}/plumb-snapshot`]);
      // Reconcile walks the bucket the same way: the kept run's snapshot, nothing of the purged one.
      const reconciled = await new ReconcileService({
        tracking: test.app.store.tracking,
        recovery: test.app.store.maintenance.recovery,
        artifacts,
      }).reconcile();
      assert.deepEqual([reconciled.snapshots, reconciled.upToDate, reconciled.runs], [1, 1, []]);
    });
  });
});
