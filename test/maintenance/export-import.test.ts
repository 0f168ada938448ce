/**
 * `plumb export` / `plumb import dump` in process: SQLite → PostgreSQL → MariaDB keeps everything
 * the API shows (experiments, runs with NaN/±Infinity metrics, registry with aliases and events,
 * a logged model) and the artifact manifest; a damaged dump or a target holding data changes nothing.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openMetadataStore } from '../../src/app.ts';
import { systemClock } from '../../src/core/clock.ts';
import { DumpService } from '../../src/transfer/dump.service.ts';
import { PLUMB_VERSION } from '../../src/version.ts';
import { Api, anExperiment } from '../fixtures/builders.ts';
import { aModelVersion } from '../fixtures/registry-builders.ts';
import { createMysqlTestDatabase } from '../helpers/mysql-databases.ts';
import { createTestDatabase } from '../helpers/postgres-databases.ts';
import { createTestApp, type TestApp } from '../helpers/test-server.ts';
import { captureWorld, seedWorld, storeConfigOf } from './world.ts';

/** Runs `work` with a DumpService on the database at `uri`, closing the store after. */
async function withDumps<T>(uri: string, dir: string, work: (service: DumpService) => Promise<T>): Promise<T> {
  const store = openMetadataStore(storeConfigOf(uri, dir));
  try {
    return await work(
      new DumpService({
        dump: store.maintenance.dump,
        schema: store.schema,
        clock: systemClock,
        version: PLUMB_VERSION,
      }),
    );
  } finally {
    await store.close();
  }
}

/** A test app on `uri` that shares the source's artifact folder. */
function appOn(uri: string, source: TestApp): Promise<TestApp> {
  return createTestApp({
    env: { MLFLOW_BACKEND_STORE_URI: uri },
    artifactsDestination: join(source.dir, 'mlartifacts'),
  });
}

void describe('export and import dump', () => {
  void it('SQLite → PostgreSQL → MariaDB keeps everything, and new ids follow the imported ones', async () => {
    const postgres = await createTestDatabase();
    const mariadb = await createMysqlTestDatabase();
    const source = await createTestApp();
    try {
      const world = await seedWorld(new Api(source));
      const expected = await captureWorld(new Api(source), world);
      const fromSqlite = join(source.dir, 'from-sqlite.jsonl.gz');
      const exported = await withDumps(`sqlite:///${join(source.dir, 'mlruns.db')}`, source.dir, (s) =>
        s.export(fromSqlite),
      );
      assert.equal(exported.header.engine, 'sqlite');
      assert.equal(exported.tables.runs, world.runIds.length);

      // PostgreSQL as a server leaves a new database: schema and the Default experiment only.
      await (await appOn(postgres.uri, source)).close();
      const intoPostgres = await withDumps(postgres.uri, source.dir, (s) => s.import(fromSqlite));
      assert.deepEqual(intoPostgres.tables, exported.tables);
      const onPostgres = await appOn(postgres.uri, source);
      try {
        assert.deepEqual(await captureWorld(new Api(onPostgres), world), expected);
      } finally {
        await onPostgres.close();
      }

      // MariaDB brand new: the import creates the schema.
      const fromPostgres = join(source.dir, 'from-postgres.jsonl');
      await withDumps(postgres.uri, source.dir, (s) => s.export(fromPostgres));
      await withDumps(mariadb.uri, source.dir, (s) => s.import(fromPostgres));
      const onMariadb = await appOn(mariadb.uri, source);
      try {
        const api = new Api(onMariadb);
        assert.deepEqual(await captureWorld(api, world), expected);
        const experimentId = await anExperiment(api);
        assert.ok(Number(experimentId) > Math.max(...world.experimentIds.map(Number)), experimentId);
        assert.equal((await aModelVersion(api, world.modelName)).version, '4');
      } finally {
        await onMariadb.close();
      }
    } finally {
      await source.close();
      await postgres.drop();
      await mariadb.drop();
    }
  });

  void it('refuses a target holding data, and a damaged dump or one with a repeated row leaves the target as it was', async () => {
    const source = await createTestApp();
    const target = await createTestApp();
    try {
      const world = await seedWorld(new Api(source), 2);
      const dump = join(source.dir, 'dump.jsonl');
      const sourceUri = `sqlite:///${join(source.dir, 'mlruns.db')}`;
      const targetUri = `sqlite:///${join(target.dir, 'mlruns.db')}`;
      await withDumps(sourceUri, source.dir, (s) => s.export(dump));
      await assert.rejects(
        withDumps(sourceUri, source.dir, (s) => s.import(dump)),
        { code: 'INVALID_STATE', message: /already holds data/ },
      );
      const lines = readFileSync(dump, 'utf8').split('\n');
      const runRow = lines.findIndex((l) => l.includes(world.runIds[0]!) && l.startsWith('['));
      lines[runRow] = lines[runRow]!.replace('FINISHED', 'FAILED');
      writeFileSync(dump, lines.join('\n'));
      await assert.rejects(
        withDumps(targetUri, target.dir, (s) => s.import(dump)),
        { code: 'DATA_LOSS', message: /checksum/ },
      );
      // A row repeated (with a footer that matches) is caught by the counts, not silently skipped.
      const original = readFileSync(dump, 'utf8').replace('FAILED', 'FINISHED').split('\n').slice(0, -2);
      const at = original.findIndex((l) => l.startsWith('{"table":"experiments"'));
      const header = JSON.parse(original[at]!) as { rows: number };
      const repeated = [
        ...original.slice(0, at),
        JSON.stringify({ ...header, rows: header.rows + 1 }),
        original[at + 1]!,
        ...original.slice(at + 1),
      ];
      const body = repeated.map((l) => `${l}\n`).join('');
      const footer = {
        end: 'plumb-dump',
        tables: repeated.filter((l) => l.startsWith('{"table"')).length,
        rows: repeated.filter((l) => l.startsWith('[')).length,
        sha256: createHash('sha256').update(body).digest('hex'),
      };
      writeFileSync(dump, `${body}${JSON.stringify(footer)}\n`);
      await assert.rejects(
        withDumps(targetUri, target.dir, (s) => s.import(dump)),
        { code: 'DATA_LOSS', message: /table experiments has \d+ rows, \d+ were stored/ },
      );
      const api = new Api(target);
      assert.equal((await api.get('runs/get', { run_id: world.runIds[0]! })).status, 404);
      const experiments = await api.post('experiments/search', { view_type: 'ALL', max_results: 10 });
      assert.deepEqual(
        experiments.body.experiments?.map((e) => e.name),
        ['Default'],
      );
    } finally {
      await source.close();
      await target.close();
    }
  });
});
