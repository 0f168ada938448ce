/**
 * `plumb import mlflow` of the real MLflow 3 fixture into a fresh Plumb SQLite database, checked
 * through Plumb's own HTTP API: every entity, the awkward values, the registry and the artifacts
 * (with their manifest sha256); a second import changes nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { startTestServer } from '../helpers/test-server.ts';
import type { ImportReport } from '../../src/transfer/mlflow-import.service.ts';
import { checkEverythingThroughApi } from './imported-api-checks.ts';
import { copyFixtureDb, expected, FIXTURE_ARTIFACTS, runImport, sha256File, withPlumbStore } from './mlflow-fixture.ts';

/** Verification rows for the twelve tables expected-counts.json names, by their MLflow name. */
const EXPECTED_ROWS: Record<string, number> = {
  ...expected.counts,
  experiment_tags: expected.other_tables.experiment_tags!,
  input_tags: expected.other_tables.input_tags!,
  logged_model_params: expected.other_tables.logged_model_params!,
  logged_model_tags: expected.other_tables.logged_model_tags!,
  logged_model_metrics: expected.other_tables.logged_model_metrics!,
  registered_model_tags: expected.other_tables.registered_model_tags!,
  model_version_tags: expected.other_tables.model_version_tags!,
  // Not counted: fixture-classifier v4, which MLflow deleted softly (Deleted_Internal).
  model_versions: expected.counts.model_versions! - 1,
  'artifact files': expected.details.artifact_files,
};

void describe('plumb import mlflow: the MLflow fixture into a fresh SQLite database', () => {
  let dir = '';
  let source = { path: '', uri: '' };
  let target = '';
  let artifacts = '';
  let first: ImportReport;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plumb-import-'));
    source = copyFixtureDb(dir);
    target = `sqlite:///${join(dir, 'plumb.db')}`;
    artifacts = join(dir, 'plumb-artifacts');
    first = await runImport({
      from: source.uri,
      target,
      artifactsFrom: FIXTURE_ARTIFACTS,
      artifactsDestination: artifacts,
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  void it('imports every entity and every table verifies', () => {
    assert.equal(first.ok, true, JSON.stringify(first, null, 2));
    assert.equal(first.alembicRevision, expected.alembic_revision);
    assert.deepEqual(first.conflicts, []);
    assert.deepEqual(first.warnings, []);
    assert.deepEqual(Object.fromEntries(first.entities.map((e) => [e.kind, [e.imported, e.present]])), {
      experiments: [4, 0],
      datasets: [6, 0],
      'logged models': [13, 0],
      runs: [28, 0],
      'registered models': [3, 0],
      'artifact files': [expected.details.artifact_files, 0],
    });
    const rows = Object.fromEntries((first.verification ?? []).map((r) => [r.table, [r.source, r.plumb]]));
    for (const [table, count] of Object.entries(EXPECTED_ROWS)) {
      if (table === 'inputs') continue; // split by kind below
      assert.deepEqual(rows[table], [count, count], table);
    }
    assert.deepEqual(
      [rows.dataset_inputs?.[1], rows.model_inputs?.[1], rows.model_outputs?.[1]],
      [15, 1, 11],
      'the 27 MLflow inputs: dataset→run, run→model input, run→model output',
    );
    assert.equal(first.artifacts?.bytes, expected.details.artifact_bytes);
  });

  void it('gathers the planner statistics of what it wrote', () => {
    // Without them the first searches plan as if the tables were still empty.
    const db = new Database(join(dir, 'plumb.db'), { readonly: true });
    try {
      const row = db.prepare("select stat from sqlite_stat1 where idx = 'runs_experiment_order_idx'").get() as
        | { stat: string }
        | undefined;
      assert.match(row?.stat ?? '', /^28 /);
    } finally {
      db.close();
    }
  });

  void it('records every copied file in the manifest with its sha256', async () => {
    const runId = expected.run_ids_by_role.cls_manual_showcase;
    const path = `1/${runId}/artifacts/report/plots/deep/blob.bin`;
    const entry = await withPlumbStore(target, (store) => store.artifactManifest.get(path as never));
    assert.equal(entry?.sha256, sha256File(join(FIXTURE_ARTIFACTS, path)));
    assert.equal(entry?.size, 1024);
    assert.equal(entry?.runId, runId);
  });

  void it('a second import changes nothing and reports everything as already present', async () => {
    const again = await runImport({
      from: source.uri,
      target,
      artifactsFrom: FIXTURE_ARTIFACTS,
      artifactsDestination: artifacts,
    });
    assert.equal(again.ok, true);
    for (const e of again.entities) assert.equal(e.imported, 0, `${e.kind} imported again`);
    assert.deepEqual(
      again.entities.map((e) => e.present),
      first.entities.map((e) => e.imported),
    );
    assert.deepEqual(again.verification, first.verification);
  });

  void it('only reads the MLflow database', () => {
    assert.equal(sha256File(source.path), expected.mlflow_db_sha256);
  });

  void it('serves every imported entity through the MLflow API, and new writes continue after it', async () => {
    const server = await startTestServer({
      env: { MLFLOW_BACKEND_STORE_URI: target },
      artifactsDestination: artifacts,
    });
    try {
      await checkEverythingThroughApi(server.baseUrl, { artifacts: true });
    } finally {
      await server.close();
    }
  });
});
