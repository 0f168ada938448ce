/**
 * The migration guarantees of db-cli.test.ts and migrations.test.ts (invariant 6) on the machine's
 * PostgreSQL and MariaDB, where replicas really share one database: concurrent `plumb db upgrade`
 * processes apply each migration exactly once (the advisory / named lock serialises them), and a
 * server of this release runs on a newer release's additive migration (rolling upgrade) without
 * touching the schema, but refuses one it cannot run on, or a pending one. Every case works on a
 * fresh database and drops it afterwards.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MIGRATIONS } from '../../src/store/sql/migrations/index.ts';
import { PLUMB_VERSION } from '../../src/version.ts';
import { type CommandResult, describeExit, runPlumb, startServerProcess } from '../helpers/plumb-process.ts';
import {
  ENGINES,
  type Engine,
  engineSnapshot,
  execOnEngine,
  upgradeOnEngine,
  withDb,
  withFreshDatabase,
} from './engine-fixtures.ts';
import { LAST_MIGRATION, nextReleaseMigration } from './schema-fixtures.ts';

const APPLIED_ALL = MIGRATIONS.map((m) => `applied migration ${m.version} (${m.name})\n`).join('');
const NOTHING_APPLIED = 'The schema is up to date; nothing applied.\n';
const MIGRATORS = 5;

/** `plumb server` on the database, expected to refuse: it must exit by itself, non-zero. */
async function serverRefuses(uri: string, dir: string): Promise<CommandResult> {
  const result = await runPlumb(['server', '--backend-store-uri', uri, '--host', '127.0.0.1', '--port', '0'], {
    cwd: dir,
    timeoutMs: 60_000,
  });
  assert.equal(result.timedOut, false, `the server did not refuse to start:\n${result.stdout}${result.stderr}`);
  assert.notEqual(result.code, 0, `expected a non-zero exit, got ${describeExit(result)}`);
  assert.equal(result.signal, null);
  return result;
}

async function createExperimentRunAndMetric(baseUrl: string): Promise<void> {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${baseUrl}/api/2.0/mlflow/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const json = (await response.json()) as Record<string, unknown>;
    assert.equal(response.status, 200, `${path}: ${JSON.stringify(json)}`);
    return json;
  };
  const { experiment_id } = await post('experiments/create', { name: 'after-upgrade' });
  const { run } = (await post('runs/create', { experiment_id, start_time: 1 })) as {
    run: { info: { run_id: string } };
  };
  await post('runs/log-metric', { run_id: run.info.run_id, key: 'm', value: 1, timestamp: 1, step: 0 });
}

function engineSuite(engine: Engine): void {
  void describe(`migrations on ${engine.label} (real processes)`, { concurrency: 1 }, () => {
    let root = '';
    let counter = 0;
    /** A working directory per process group; a server's artifacts go under it. */
    const caseDir = () => mkdtempSync(join(root, `case-${++counter}-`));

    before(() => {
      root = mkdtempSync(join(tmpdir(), 'plumb-migrations-engines-'));
    });
    after(() => {
      rmSync(root, { recursive: true, force: true });
    });

    void it(`${MIGRATORS} concurrent db upgrade processes on a new database: all succeed, one applies each migration exactly once`, async () => {
      // The URI as MLflow users already have it (the plain spelling is what every other test uses).
      // One round: each `plumb` process costs ~2.5 CPU-seconds to start on this 2-core machine.
      for (const [round, spell] of [[1, engine.mlflowUri]] as const) {
        await withFreshDatabase(engine, async (database) => {
          const uri = spell(database.uri);
          const dir = caseDir();
          const results = await Promise.all(
            Array.from({ length: MIGRATORS }, () =>
              runPlumb(['db', 'upgrade', '--backend-store-uri', uri], { cwd: dir, timeoutMs: 120_000 }),
            ),
          );
          for (const r of results) {
            assert.equal(r.timedOut, false, `round ${round}: a migrator did not finish`);
            assert.equal(r.code, 0, `round ${round} (${uri}): ${describeExit(r)}\n${r.stderr}`);
          }
          assert.deepEqual(
            results.map((r) => r.stdout).sort(),
            [APPLIED_ALL, ...Array<string>(MIGRATORS - 1).fill(NOTHING_APPLIED)].sort(),
            `round ${round} (${uri})`,
          );
          const { migrations, tables } = await engineSnapshot(engine, database.uri);
          // version is the primary key, so a second insert would have failed its migrator; the
          // list shows that none is missing either.
          assert.deepEqual(
            migrations.map((m) => m.version),
            MIGRATIONS.map((m) => m.version),
            `round ${round}`,
          );
          assert.ok(tables.some((t) => (t as { tname: string }).tname === 'experiments'));
        });
      }
    });

    void it(`a server of this release starts and serves on the next release's additive migration declaring min_server_release ${PLUMB_VERSION} (rolling upgrade), and changes no schema`, async () => {
      await withFreshDatabase(engine, async ({ uri }) => {
        await upgradeOnEngine(engine, uri, [...MIGRATIONS, nextReleaseMigration(PLUMB_VERSION)]);
        const before = await engineSnapshot(engine, uri);
        assert.ok(
          before.columns.some((c) => {
            const column = c as { tname: string; cname: string; nullable: string };
            return column.tname === 'runs' && column.cname === 'notes' && column.nullable === 'YES';
          }),
          'the next release added runs.notes',
        );
        const server = await startServerProcess({ backendStoreUri: uri, dir: caseDir(), readyTimeoutMs: 60_000 });
        try {
          await createExperimentRunAndMetric(server.baseUrl);
        } finally {
          await server.kill('SIGTERM');
        }
        const afterwards = await engineSnapshot(engine, uri);
        assert.deepEqual(afterwards.migrations, before.migrations, 'the older server changed schema_migrations');
        assert.deepEqual(afterwards.tables, before.tables, 'the older server changed the tables');
        assert.deepEqual(afterwards.columns, before.columns, 'the older server changed the columns');
        assert.deepEqual(afterwards.indexes, before.indexes, 'the older server changed the indexes');
        // The old release wrote a row into the expanded table; the column it does not know is NULL.
        const notes = await withDb(engine, uri, (db) => db.selectFrom('runs').select('notes').execute());
        assert.deepEqual(notes, [{ notes: null }]);
      });
    });

    void it("a server refuses to start on the next release's migration needing ≥ 99.0.0, and changes nothing", async () => {
      await withFreshDatabase(engine, async ({ uri }) => {
        const future = nextReleaseMigration('99.0.0');
        await upgradeOnEngine(engine, uri, [...MIGRATIONS, future]);
        const before = await engineSnapshot(engine, uri);
        const result = await serverRefuses(uri, caseDir());
        assert.match(result.stderr, new RegExp(`${future.version} \\(run_notes, needs ≥ 99\\.0\\.0\\)`));
        assert.match(result.stderr, new RegExp(`this release \\(${PLUMB_VERSION.replace(/\./g, '\\.')}\\)`));
        assert.match(result.stderr, /Upgrade this server to a newer release/);
        assert.deepEqual(await engineSnapshot(engine, uri), before);
      });
    });

    void it('a server refuses to start while a migration is pending, names `plumb db upgrade`, and changes nothing', async () => {
      await withFreshDatabase(engine, async ({ uri }) => {
        await upgradeOnEngine(engine, uri, MIGRATIONS);
        // The last migration's row gone: to this release the database is one migration behind.
        await execOnEngine(engine, uri, `delete from schema_migrations where version = ${LAST_MIGRATION.version}`);
        const before = await engineSnapshot(engine, uri);
        const result = await serverRefuses(uri, caseDir());
        assert.match(result.stderr, /plumb db upgrade/);
        assert.match(
          result.stderr,
          new RegExp(`pending migrations ${LAST_MIGRATION.version} \\(${LAST_MIGRATION.name}\\)`),
        );
        assert.deepEqual(await engineSnapshot(engine, uri), before);
      });
    });
  });
}

// Each case costs mostly the start-up of `plumb` processes (CPU), and the engines share nothing:
// side by side, one engine's migrators or server keep the cores busy while the other's waits.
void describe('migrations on PostgreSQL and MariaDB', { concurrency: true }, () => {
  for (const engine of ENGINES) engineSuite(engine);
});
