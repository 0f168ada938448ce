/**
 * An older MLflow schema: the fixture with what MLflow added after 2.0 taken away (logged models,
 * datasets and inputs, aliases, runs.deleted_time, model_versions.storage_location, the GenAI
 * tables). The importer reads what is there and verifies; missing tables count as empty.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { startTestServer } from '../helpers/test-server.ts';
import { apiClient } from './imported-api-checks.ts';
import { copyFixtureDb, expected, runImport, withPlumbStore } from './mlflow-fixture.ts';

const NEWER_TABLES = [
  'logged_model_metrics',
  'logged_model_params',
  'logged_model_tags',
  'logged_models',
  'registered_model_aliases',
  'input_tags',
  'inputs',
  'datasets',
];

void describe('plumb import mlflow: an MLflow schema without the tables and columns of later releases', () => {
  let dir = '';
  let source = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'plumb-import-old-'));
    const copy = copyFixtureDb(dir);
    const db = new BetterSqlite3(copy.path);
    db.pragma('foreign_keys = OFF');
    const genai = Object.entries(expected.other_tables)
      .filter(([table, rows]) => rows === 0 && !table.endsWith('_tags'))
      .map(([table]) => table);
    for (const table of [...NEWER_TABLES, ...genai, 'workspaces']) db.exec(`drop table if exists "${table}"`);
    db.exec('alter table runs drop column deleted_time');
    db.exec('alter table model_versions drop column storage_location');
    db.exec("update alembic_version set version_num = 'cc1f77228345'");
    db.prepare('update runs set artifact_uri = ? where run_uuid = ?').run(
      's3://old-bucket/mlruns/0/artifacts',
      expected.run_ids_by_role.default_adhoc,
    );
    db.close();
    source = copy.uri;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  void it('imports what the schema has and every table verifies', async () => {
    const target = `sqlite:///${join(dir, 'plumb.db')}`;
    const report = await runImport({ from: source, target });
    assert.equal(report.ok, true, JSON.stringify(report.verification));
    assert.equal(report.alembicRevision, 'cc1f77228345');
    assert.deepEqual(report.warnings, [
      "1 imported runs keep artifact URIs outside Plumb's artifact store (e.g. s3://old-bucket/mlruns/0/artifacts): clients read those artifacts there directly",
    ]);
    const rows = Object.fromEntries((report.verification ?? []).map((r) => [r.table, r.plumb]));
    assert.deepEqual(
      [
        rows.runs,
        rows.metrics,
        rows.logged_models,
        rows.dataset_inputs,
        rows.registered_model_aliases,
        rows.model_versions,
      ],
      [28, expected.counts.metrics, 0, 0, 0, 9],
    );
    await withPlumbStore(target, async (store) => {
      const deleted = await store.tracking.getRunInfo(expected.run_ids_by_role.old_run_0!);
      assert.equal(deleted?.lifecycleStage, 'deleted');
    });
    const server = await startTestServer({ env: { MLFLOW_BACKEND_STORE_URI: target } });
    try {
      const api = apiClient(server.baseUrl);
      const { model_version: mv } = (await api.get('model-versions/get?name=fixture-tree&version=2')) as {
        model_version: { current_stage: string; storage_location?: string };
      };
      assert.equal(mv.current_stage, 'Production');
      assert.equal(mv.storage_location, undefined);
    } finally {
      await server.close();
    }
  });
});
