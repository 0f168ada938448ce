/**
 * An import that stopped part-way completes when run again, without duplicates: one that saw only
 * part of the source, and one that crashed inside a run's transaction (which leaves no trace of
 * that run). A dry run writes nothing.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ImportedRun, ImportStore, ImportWrites } from '../../src/store/import-store.ts';
import { createTestApp } from '../helpers/test-server.ts';
import {
  copyFixtureDb,
  expected,
  FIXTURE_ARTIFACTS,
  partialSource,
  runImport,
  scopeOf,
  withPlumbStore,
} from './mlflow-fixture.ts';

const outcome = (report: { entities: readonly { kind: string; imported: number; present: number }[] }) =>
  Object.fromEntries(report.entities.map((e) => [e.kind, [e.imported, e.present]]));

void describe('plumb import mlflow: interrupted imports resume', () => {
  let dir = '';
  let source = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'plumb-import-resume-'));
    source = copyFixtureDb(dir).uri;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  void it('a dry run plans everything and writes nothing', async () => {
    const target = `sqlite:///${join(dir, 'dry.db')}`;
    const report = await runImport({ from: source, target, dryRun: true });
    assert.equal(report.ok, true);
    assert.equal(report.verification, undefined);
    assert.deepEqual(outcome(report), {
      experiments: [4, 0],
      datasets: [6, 0],
      'logged models': [13, 0],
      runs: [28, 0],
      'registered models': [3, 0],
    });
    const counts = await withPlumbStore(target, async (store) => store.imports.countImported(await scopeOf(source)));
    assert.ok(
      Object.values(counts).every((n) => n === 0),
      JSON.stringify(counts),
    );
  });

  void it("imports into a database a server already started in: MLflow's Default replaces the empty one", async () => {
    const target = `sqlite:///${join(dir, 'started.db')}`;
    const app = await createTestApp({ env: { MLFLOW_BACKEND_STORE_URI: target } });
    await app.close();
    const report = await runImport({ from: source, target });
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.deepEqual(outcome(report)['experiments'], [4, 0]);
    const defaultExperiment = await withPlumbStore(target, (store) => store.tracking.getExperiment('0'));
    assert.equal(defaultExperiment?.creationTime, 1795730170886);
    assert.equal(defaultExperiment?.artifactLocation, 'mlflow-artifacts:/0');
    const again = await runImport({ from: source, target });
    assert.deepEqual(outcome(again)['experiments'], [0, 4]);
  });

  void it("imports next to a server's own runs in Default; the verification counts only imported rows", async () => {
    const target = `sqlite:///${join(dir, 'used.db')}`;
    const app = await createTestApp({ env: { MLFLOW_BACKEND_STORE_URI: target } });
    try {
      const reply = await app.app.http.inject({
        method: 'POST',
        url: '/api/2.0/mlflow/runs/create',
        payload: { experiment_id: '0', tags: [{ key: 'own', value: 'yes' }] },
      });
      assert.equal(reply.statusCode, 200, reply.body);
    } finally {
      await app.close();
    }
    const report = await runImport({ from: source, target });
    assert.equal(report.ok, true, JSON.stringify(report.verification));
    assert.deepEqual(outcome(report)['experiments'], [3, 1], "Plumb's Default, in use, stays");
    const runsInDefault = await withPlumbStore(target, async (store) =>
      store.tracking.searchRuns({
        experimentIds: ['0'],
        filter: [],
        orderBy: [],
        viewType: 'ALL',
        maxResults: 100,
        offset: 0,
      }),
    );
    assert.equal(runsInDefault.items.length, 2, "its own run and MLflow's ad-hoc run");
  });

  void it("records artifacts already in place (Plumb's store is MLflow's own directory) without copying them", async () => {
    const target = `sqlite:///${join(dir, 'in-place.db')}`;
    const tree = join(dir, 'in-place-artifacts');
    cpSync(FIXTURE_ARTIFACTS, tree, { recursive: true });
    execFileSync('chmod', ['-R', 'u+w', tree]);
    const options = { from: source, target, artifactsFrom: tree, artifactsDestination: tree };
    const dry = await runImport({ ...options, dryRun: true });
    assert.deepEqual(outcome(dry)['artifact files'], [0, expected.details.artifact_files]);
    const afterDryRun = await withPlumbStore(target, (store) => store.artifactManifest.listUnder('' as never));
    assert.equal(afterDryRun.length, 0, 'a dry run records nothing');
    const report = await runImport(options);
    assert.equal(report.ok, true, JSON.stringify(report.verification));
    assert.deepEqual(outcome(report)['artifact files'], [0, expected.details.artifact_files]);
    const recorded = await withPlumbStore(target, (store) => store.artifactManifest.listUnder('' as never));
    assert.equal(recorded.length, expected.details.artifact_files);
  });

  void it('an import that saw part of the source is completed by the next one', async () => {
    const target = `sqlite:///${join(dir, 'partial.db')}`;
    const partial = await runImport({
      from: source,
      target,
      wrapSource: (s) => partialSource(s, { runs: 10, loggedModels: 5, models: 1 }),
    });
    assert.equal(partial.ok, false, 'the counts cannot match yet');
    assert.deepEqual(outcome(partial)['runs'], [10, 0]);
    const rest = await runImport({ from: source, target });
    assert.equal(rest.ok, true, JSON.stringify(rest.verification));
    assert.deepEqual(outcome(rest), {
      experiments: [0, 4],
      datasets: [0, 6],
      'logged models': [8, 5],
      runs: [18, 10],
      'registered models': [2, 1],
    });
  });

  void it('a crash inside a run leaves that run out entirely, and the next import brings it', async () => {
    const target = `sqlite:///${join(dir, 'crash.db')}`;
    let runs = 0;
    let crashed = '';
    // Fails the sixth run's transaction after all its rows are written, before the commit.
    const crashOnSixthRun = (real: ImportStore): ImportStore =>
      Object.assign(Object.create(real) as ImportStore, {
        write: <T>(work: (tx: ImportWrites) => Promise<T>) =>
          real.write(async (tx) => {
            let runId: string | undefined;
            const spy = Object.assign(Object.create(tx) as ImportWrites, {
              insertRun: async (run: ImportedRun) => {
                runId = run.runId;
                await tx.insertRun(run);
              },
            });
            const result = await work(spy);
            if (runId !== undefined && ++runs === 6) {
              crashed = runId;
              throw new Error('simulated crash after the run rows, before the commit');
            }
            return result;
          }),
      });
    await assert.rejects(
      runImport({ from: source, target, wrapTarget: crashOnSixthRun }),
      /Importing run [0-9a-f]{32} failed, and nothing of it was written: simulated crash .* run the import again to continue\.$/,
    );
    await withPlumbStore(target, async (store) => {
      const counts = await store.imports.countImported(await scopeOf(source));
      assert.equal(counts.runs, 5);
      assert.equal(counts.registered_models, 0, 'registered models come after the runs');
      assert.equal(await store.tracking.getRun(crashed), undefined, 'the crashed run was rolled back whole');
      const orphans = await store.imports.findRuns([crashed]);
      assert.equal(orphans.size, 0);
    });
    const rest = await runImport({ from: source, target });
    assert.equal(rest.ok, true, JSON.stringify(rest.verification));
    assert.deepEqual(outcome(rest)['runs'], [23, 5]);
  });
});
