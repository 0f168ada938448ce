/**
 * `plumb import mlflow` on the other engines: the fixture into a fresh PostgreSQL and a fresh
 * MariaDB Plumb database (checked through the HTTP API, then imported again as a no-op), and the
 * fixture's MLflow tables read from PostgreSQL and MariaDB (loaded there from the SQLite file).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createMysqlTestDatabase } from '../helpers/mysql-databases.ts';
import { createTestDatabase } from '../helpers/postgres-databases.ts';
import { startTestServer } from '../helpers/test-server.ts';
import { checkEverythingThroughApi } from './imported-api-checks.ts';
import { loadMlflowFixture } from './mlflow-db-on-engines.ts';
import { copyFixtureDb, expected, FIXTURE_ARTIFACTS, runImport } from './mlflow-fixture.ts';

const ENGINES = [
  { name: 'PostgreSQL', kind: 'postgres', create: createTestDatabase },
  { name: 'MariaDB', kind: 'mysql', create: createMysqlTestDatabase },
] as const;

/**
 * The row count PostgreSQL's planner believes `runs` holds: -1 until the table is first analysed
 * (autovacuum takes a minute or more), so the first searches after an import would plan for an
 * empty table unless the import analysed it.
 */
async function analysedRuns(uri: string): Promise<number> {
  const client = new pg.Client({ connectionString: uri });
  await client.connect();
  try {
    const { rows } = await client.query<{ reltuples: number }>(
      "select reltuples from pg_class where relname = 'runs' and relnamespace = current_schema()::regnamespace",
    );
    return Number(rows[0]?.reltuples);
  } finally {
    await client.end();
  }
}

for (const engine of ENGINES) {
  void describe(`plumb import mlflow with ${engine.name}`, () => {
    let dir = '';
    let source = { path: '', uri: '' };
    const drops: (() => Promise<void>)[] = [];
    before(() => {
      dir = mkdtempSync(join(tmpdir(), `plumb-import-${engine.kind}-`));
      source = copyFixtureDb(dir);
    });
    after(async () => {
      for (const drop of drops) await drop();
      rmSync(dir, { recursive: true, force: true });
    });

    void it(`imports into a fresh ${engine.name} Plumb database, serves it, and a second import is a no-op`, async () => {
      const target = await engine.create();
      drops.push(() => target.drop());
      const artifacts = join(dir, 'plumb-artifacts');
      const options = {
        from: source.uri,
        target: target.uri,
        artifactsFrom: FIXTURE_ARTIFACTS,
        artifactsDestination: artifacts,
      };
      const report = await runImport(options);
      assert.equal(report.ok, true, JSON.stringify(report.verification));
      if (engine.kind === 'postgres') assert.equal(await analysedRuns(target.uri), 28);
      const again = await runImport(options);
      assert.equal(again.ok, true);
      assert.ok(
        again.entities.every((e) => e.imported === 0),
        JSON.stringify(again.entities),
      );
      const server = await startTestServer({
        env: { MLFLOW_BACKEND_STORE_URI: target.uri },
        artifactsDestination: artifacts,
      });
      try {
        await checkEverythingThroughApi(server.baseUrl, { artifacts: true });
      } finally {
        await server.close();
      }
    });

    void it(`reads the MLflow tables from ${engine.name}`, async () => {
      const mlflow = await engine.create();
      drops.push(() => mlflow.drop());
      await loadMlflowFixture(source.path, engine.kind, mlflow.uri);
      const target = `sqlite:///${join(dir, 'from-engine.db')}`;
      const report = await runImport({ from: mlflow.uri, target });
      assert.equal(report.alembicRevision, expected.alembic_revision);
      assert.equal(report.ok, true, JSON.stringify(report.verification));
      assert.equal(report.verification?.find((r) => r.table === 'metrics')?.plumb, expected.counts.metrics);
      const server = await startTestServer({ env: { MLFLOW_BACKEND_STORE_URI: target } });
      try {
        await checkEverythingThroughApi(server.baseUrl, { artifacts: false });
      } finally {
        await server.close();
      }
    });
  });
}
