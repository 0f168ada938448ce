/**
 * `plumb doctor db` on Plumb's schema (SQLite), in process: each fault is injected behind the
 * API's back, found with the right id and count, and repaired by `--fix` where that is safe.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Api, aRunInNewExperiment, assertOk, getRun, logMetric } from '../fixtures/builders.ts';
import { aModelVersion, aRegisteredModel } from '../fixtures/registry-builders.ts';
import { createTestApp, type TestApp } from '../helpers/test-server.ts';
import { errorsOf, findingOf, ids, scalar, sqliteUriOf, tamper, withDoctor } from './doctor-fixtures.ts';
import { MIGRATIONS } from '../../src/store/sql/migrations/index.ts';

const HOUR = 3_600_000;
const GHOST_RUN = 'dead0000dead0000dead0000dead0000';

void describe('plumb doctor db on a Plumb database', () => {
  let test: TestApp;
  let api: Api;
  before(async () => {
    test = await createTestApp();
    api = new Api(test);
  });
  after(async () => test.close());

  it('finds nothing wrong with a fresh database but states the schema version', async () => {
    const report = await withDoctor(test, (doctor) => doctor.db.run());
    assert.equal(report.identity?.kind, 'plumb');
    assert.deepEqual(ids(report.findings), ['db.schema']);
    assert.match(
      findingOf(report.findings, 'db.schema').summary,
      new RegExp(`${MIGRATIONS.length} migrations applied \\(highest ${MIGRATIONS.at(-1)!.version}\\)`),
    );
  });

  it('finds a dropped index, orphan rows and a stuck run, and --fix repairs them', async () => {
    const uri = sqliteUriOf(test);
    const now = Date.now();
    const stuck = await aRunInNewExperiment(api, { start_time: now - 72 * HOUR });
    await logMetric(api, stuck.info.run_id, { key: 'loss', value: 1, timestamp: now - 70 * HOUR, step: 0 });
    const active = await aRunInNewExperiment(api, { start_time: now - 72 * HOUR });
    await logMetric(api, active.info.run_id, { key: 'loss', value: 1, timestamp: now - HOUR, step: 0 });
    const fresh = await aRunInNewExperiment(api, { start_time: now - HOUR });
    const finished = await aRunInNewExperiment(api, { start_time: now - 72 * HOUR });
    assertOk(
      await api.post('runs/update', { run_id: finished.info.run_id, status: 'FINISHED', end_time: now - 71 * HOUR }),
    );

    await tamper(uri, [
      'drop index runs_experiment_start_idx',
      `insert into metrics (run_uuid, key, value, timestamp, step, is_nan) values ('${GHOST_RUN}', 'loss', 0.5, 1, 0, 0), ('${GHOST_RUN}', 'loss', 0.4, 2, 1, 0)`,
      `insert into latest_metrics (run_uuid, key, value, timestamp, step, is_nan) values ('${GHOST_RUN}', 'loss', 0.4, 2, 1, 0)`,
      `insert into metric_rollups (run_uuid, key, width, bucket, min_value, max_value) values ('${GHOST_RUN}', 'loss', 32, 0, 0.4, 0.5)`,
      `insert into params (run_uuid, key, value) values ('${GHOST_RUN}', 'lr', '0.1')`,
      `insert into tags (run_uuid, key, value) values ('${GHOST_RUN}', 'team', 'x')`,
    ]);

    const found = await withDoctor(test, (doctor) => doctor.db.run({ stuckAfterMs: 24 * HOUR }));
    assert.deepEqual(errorsOf(found.findings), [
      'db.missing-indexes',
      'db.orphan-latest-metrics',
      'db.orphan-metric-rollups',
      'db.orphan-metrics',
      'db.orphan-params',
      'db.orphan-tags',
    ]);
    const index = findingOf(found.findings, 'db.missing-indexes');
    assert.deepEqual(index.where?.items, ['runs_experiment_start_idx']);
    assert.match(index.repair, /create index "runs_experiment_start_idx" on "runs"/);
    const metrics = findingOf(found.findings, 'db.orphan-metrics');
    assert.match(metrics.summary, /^2 rows in metrics belong to a run that does not exist/);
    assert.deepEqual(metrics.where?.items, [GHOST_RUN]);
    const stuckRuns = findingOf(found.findings, 'db.stuck-runs');
    assert.equal(stuckRuns.severity, 'warning');
    assert.equal(stuckRuns.where?.count, 1);
    assert.match(stuckRuns.where?.items[0] ?? '', new RegExp(`^${stuck.info.run_id} `));
    assert.ok(found.findings.filter((f) => f.severity === 'error').every((f) => f.fixable));

    const repairs = await withDoctor(
      test,
      (doctor) => doctor.db.repair(ids(found.findings), { stuckAfterMs: 24 * HOUR }),
      { repair: true },
    );
    assert.ok(
      repairs.every((r) => r.repaired),
      JSON.stringify(repairs),
    );
    assert.deepEqual(
      repairs.map((r) => r.done),
      [
        'recreated 1 index: runs_experiment_start_idx',
        'deleted 2 orphan rows from metrics',
        'deleted 1 orphan row from latest_metrics',
        'deleted 1 orphan row from metric_rollups',
        'deleted 1 orphan row from params',
        'deleted 1 orphan row from tags',
        `marked 1 run FAILED: ${stuck.info.run_id}`,
      ],
    );

    const after = await withDoctor(test, (doctor) => doctor.db.run({ stuckAfterMs: 24 * HOUR }));
    assert.deepEqual(ids(after.findings), ['db.schema']);
    const failed = await getRun(api, stuck.info.run_id);
    assert.equal(failed.info.status, 'FAILED');
    // As when a server ends a run, the run gets its snapshot (for `plumb reconcile`).
    const snapshot = join(
      test.dir,
      'mlartifacts',
      stuck.info.experiment_id,
      stuck.info.run_id,
      'plumb-snapshot',
      'run.json',
    );
    assert.equal((JSON.parse(readFileSync(snapshot, 'utf8')) as { run: { status: string } }).run.status, 'FAILED');
    assert.ok((failed.info.end_time ?? 0) >= now);
    for (const run of [active, fresh]) assert.equal((await getRun(api, run.info.run_id)).info.status, 'RUNNING');
    // Only orphans went: the stuck run keeps its own metric.
    assert.equal(await scalar(uri, `select count(*) from metrics where run_uuid = '${stuck.info.run_id}'`), 1);
  });

  it('a read-only doctor repairs nothing, and a run with recent metrics is never stuck', async () => {
    const uri = sqliteUriOf(test);
    const run = await aRunInNewExperiment(api, { start_time: Date.now() - 72 * HOUR });
    await logMetric(api, run.info.run_id, { key: 'acc', value: 1, timestamp: Date.now(), step: 0 });
    await tamper(uri, [`insert into params (run_uuid, key, value) values ('${GHOST_RUN}', 'x', 'y')`]);
    const outcome = await withDoctor(test, async (doctor) => {
      assert.equal(doctor.writable, false);
      return doctor.db.repair(['db.orphan-params']);
    });
    assert.equal(outcome[0]?.repaired, false);
    assert.equal(await scalar(uri, `select count(*) from params where run_uuid = '${GHOST_RUN}'`), 1);
    const report = await withDoctor(test, (doctor) => doctor.db.run({ stuckAfterMs: HOUR }));
    assert.ok(
      !report.findings.some(
        (f) => f.id === 'db.stuck-runs' && f.where?.items.some((i) => i.startsWith(run.info.run_id)),
      ),
    );
    await withDoctor(test, (doctor) => doctor.db.repair(['db.orphan-params']), { repair: true });
  });

  it('finds registry damage: orphan versions and aliases, unexplained gaps, a counter behind', async () => {
    const uri = sqliteUriOf(test);
    const name = await aRegisteredModel(api);
    for (let i = 0; i < 4; i++) await aModelVersion(api, name);
    assertOk(await api.post('registered-models/alias', { name, alias: 'champion', version: '3' }));
    // Deleted through the API: the event log explains the hole.
    assertOk(
      await api.raw({
        method: 'DELETE',
        url: '/api/2.0/mlflow/model-versions/delete',
        payload: { name, version: '2' },
      }),
    );
    const id = `(select id from registered_models where name = '${name}')`;
    await tamper(uri, [
      `delete from model_versions where registered_model_id = ${id} and version in (1, 3)`,
      `update registered_models set next_version = 4 where name = '${name}'`,
      `insert into model_versions (registered_model_id, version, creation_time, last_updated_time, current_stage, status)
       values (9999, 1, 0, 0, 'None', 'READY')`,
    ]);
    const report = await withDoctor(test, (doctor) => doctor.db.run());
    assert.deepEqual(errorsOf(report.findings), [
      'db.orphan-aliases',
      'db.orphan-model-versions',
      'db.version-counter-behind',
    ]);
    assert.deepEqual(findingOf(report.findings, 'db.orphan-aliases').where?.items, [
      `${name} version 3 (alias champion)`,
    ]);
    assert.deepEqual(findingOf(report.findings, 'db.orphan-model-versions').where?.items, ['registered model id 9999']);
    assert.deepEqual(findingOf(report.findings, 'db.version-gaps').where?.items, [`${name}: 1, 3`]);
    assert.deepEqual(findingOf(report.findings, 'db.version-counter-behind').where?.items, [
      `${name}: next_version 4, highest version 4`,
    ]);
    assert.equal(findingOf(report.findings, 'db.version-counter-behind').fixable, false);

    const repairs = await withDoctor(test, (doctor) => doctor.db.repair(ids(report.findings)), { repair: true });
    assert.deepEqual(
      repairs.map((r) => r.done),
      ['deleted 1 orphan row from model_versions', 'deleted 1 orphan row from registered_model_aliases'],
    );
    const after = await withDoctor(test, (doctor) => doctor.db.run());
    assert.deepEqual(errorsOf(after.findings), ['db.version-counter-behind']);
    await tamper(uri, [`update registered_models set next_version = 5 where name = '${name}'`]);
  });
});
