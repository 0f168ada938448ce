/**
 * Invariant 6 (known schema only, rolling upgrades) at server start, with real `plumb server`
 * processes on SQLite files in a temp dir: a brand-new database is created; anything else must be
 * at a schema this release can run on, or the server exits non-zero, says why and which command
 * fixes it, and leaves the file as it was. A newer release's migration that declares this release
 * can still run on its result (an expand step of a rolling upgrade) does not stop it.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { checkCompatibility } from '../../src/store/sql/migrator.ts';
import { MIGRATIONS } from '../../src/store/sql/migrations/index.ts';
import { PLUMB_VERSION } from '../../src/version.ts';
import { type CommandResult, describeExit, runPlumb, startServerProcess } from '../helpers/plumb-process.ts';
import {
  createForeignDatabase,
  LAST_MIGRATION,
  nextReleaseMigration,
  planOf,
  snapshot,
  tamper,
  upgradeWith,
  withMigrator,
} from './schema-fixtures.ts';

let root = '';
let counter = 0;

/** A fresh directory per case; the database file in it does not exist yet. */
function casePaths(): { dir: string; dbPath: string } {
  const dir = mkdtempSync(join(root, `case-${++counter}-`));
  return { dir, dbPath: join(dir, 'mlruns.db') };
}

/** `plumb server` on the file, expected to refuse: it must exit by itself, non-zero. */
async function serverRefuses(dir: string, dbPath: string): Promise<CommandResult> {
  const result = await runPlumb(
    ['server', '--backend-store-uri', `sqlite:///${dbPath}`, '--host', '127.0.0.1', '--port', '0'],
    { cwd: dir, timeoutMs: 30_000 },
  );
  assert.equal(result.timedOut, false, `the server did not refuse to start:\n${result.stdout}${result.stderr}`);
  assert.notEqual(result.code, 0, `expected a non-zero exit, got ${describeExit(result)}`);
  assert.equal(result.signal, null);
  return result;
}

async function createExperimentAndRun(baseUrl: string): Promise<void> {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${baseUrl}/api/2.0/mlflow/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const json = (await response.json()) as Record<string, unknown>;
    assert.equal(response.status, 200, JSON.stringify(json));
    return json;
  };
  const { experiment_id } = await post('experiments/create', { name: 'after-upgrade' });
  const { run } = (await post('runs/create', { experiment_id, start_time: 1 })) as {
    run: { info: { run_id: string } };
  };
  await post('runs/log-metric', { run_id: run.info.run_id, key: 'm', value: 1, timestamp: 1, step: 0 });
}

void describe('schema checks at server start (invariant 6), real server processes', () => {
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'plumb-migrations-'));
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
  });

  void it('creates a brand-new database on first start, and leaves it alone on the next', async () => {
    const { dir, dbPath } = casePaths();
    assert.equal(existsSync(dbPath), false);
    const first = await startServerProcess({ dbPath, dir });
    try {
      const response = await fetch(`${first.baseUrl}/api/2.0/mlflow/experiments/get?experiment_id=0`);
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as { experiment: { name: string } }).experiment.name, 'Default');
    } finally {
      await first.kill('SIGTERM');
    }
    const created = snapshot(dbPath);
    const plan = await planOf(join(dir, 'plan-only.db'));
    assert.deepEqual(
      created.migrations.map((m) => [m.version, m.name, m.checksum, m.min_server_release]),
      MIGRATIONS.map((m, i) => [m.version, m.name, plan[i]!.checksum, m.minServerRelease]),
    );
    for (const table of ['experiments', 'runs', 'metrics', 'latest_metrics', 'params', 'tags']) {
      assert.ok(
        created.objects.some((o) => o.type === 'table' && o.name === table),
        `table ${table}`,
      );
    }
    const again = await startServerProcess({ dbPath, dir });
    await again.kill('SIGTERM');
    assert.deepEqual(snapshot(dbPath), created, 'a second start changed the schema or the migration rows');
  });

  void it('creates a new database once when several servers start on it at the same moment', async () => {
    const { dir, dbPath } = casePaths();
    const servers = await Promise.allSettled([1, 2, 3].map(() => startServerProcess({ dbPath, dir })));
    try {
      for (const s of servers) assert.equal(s.status, 'fulfilled', s.status === 'rejected' ? String(s.reason) : '');
      for (const s of servers) {
        if (s.status !== 'fulfilled') continue;
        const response = await fetch(`${s.value.baseUrl}/api/2.0/mlflow/experiments/search`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        const body = (await response.json()) as { experiments?: { experiment_id: string }[] };
        assert.deepEqual(
          body.experiments?.map((e) => e.experiment_id),
          ['0'],
          'exactly one Default experiment',
        );
      }
    } finally {
      await Promise.all(servers.map((s) => (s.status === 'fulfilled' ? s.value.kill('SIGTERM') : undefined)));
    }
    assert.deepEqual(
      snapshot(dbPath).migrations.map((m) => m.version),
      MIGRATIONS.map((m) => m.version),
    );
  });

  void it('refuses to start while a migration is pending, names `plumb db upgrade`, and changes nothing', async () => {
    const { dir, dbPath } = casePaths();
    await upgradeWith(dbPath, MIGRATIONS);
    // The last migration's row gone: to this release the database is one migration behind.
    tamper(dbPath, 'DELETE FROM schema_migrations WHERE version = ?', LAST_MIGRATION.version);
    const before = snapshot(dbPath);
    const result = await serverRefuses(dir, dbPath);
    assert.match(result.stderr, /plumb db upgrade/);
    assert.match(
      result.stderr,
      new RegExp(`pending migrations ${LAST_MIGRATION.version} \\(${LAST_MIGRATION.name}\\)`),
    );
    assert.deepEqual(snapshot(dbPath), before);
  });

  void it('refuses to start on a non-empty database without its schema, and creates no table in it', async () => {
    const { dir, dbPath } = casePaths();
    createForeignDatabase(dbPath);
    const before = snapshot(dbPath);
    const result = await serverRefuses(dir, dbPath);
    assert.match(result.stderr, /plumb db upgrade/);
    assert.deepEqual(snapshot(dbPath), before);
  });

  void it('refuses to start when a recorded checksum differs, and says what it means', async () => {
    const { dir, dbPath } = casePaths();
    await upgradeWith(dbPath, MIGRATIONS);
    tamper(
      dbPath,
      'UPDATE schema_migrations SET checksum = ? WHERE version = ?',
      'f'.repeat(64),
      LAST_MIGRATION.version,
    );
    const before = snapshot(dbPath);
    const result = await serverRefuses(dir, dbPath);
    assert.match(
      result.stderr,
      new RegExp(`migration ${LAST_MIGRATION.version} in the database has checksum ffffffffffff`),
    );
    assert.match(result.stderr, /changed by a different build/);
    assert.match(result.stderr, /plumb db status/);
    assert.deepEqual(snapshot(dbPath), before);
  });

  void it("refuses to start on a newer release's migration whose min_server_release is above its own", async () => {
    const { dir, dbPath } = casePaths();
    const future = nextReleaseMigration('99.0.0');
    await upgradeWith(dbPath, [...MIGRATIONS, future]);
    const before = snapshot(dbPath);
    const result = await serverRefuses(dir, dbPath);
    assert.match(result.stderr, new RegExp(`${future.version} \\(run_notes, needs ≥ 99\\.0\\.0\\)`));
    assert.match(result.stderr, new RegExp(`this release \\(${PLUMB_VERSION.replace(/\./g, '\\.')}\\)`));
    assert.match(result.stderr, /Upgrade this server to a newer release/);
    assert.deepEqual(snapshot(dbPath), before);
  });

  for (const minServerRelease of [PLUMB_VERSION, '0.0.1']) {
    void it(`starts and serves on a newer release's additive migration that declares min_server_release ${minServerRelease} (rolling upgrade)`, async () => {
      const { dir, dbPath } = casePaths();
      await upgradeWith(dbPath, [...MIGRATIONS, nextReleaseMigration(minServerRelease)]);
      const before = snapshot(dbPath);
      const server = await startServerProcess({ dbPath, dir });
      try {
        await createExperimentAndRun(server.baseUrl);
      } finally {
        await server.kill('SIGTERM');
      }
      const afterwards = snapshot(dbPath);
      assert.deepEqual(afterwards.objects, before.objects, 'the older server changed the schema');
      assert.deepEqual(afterwards.migrations, before.migrations);
      const db = new Database(dbPath, { readonly: true });
      try {
        // The old release wrote rows into the expanded table; the new column is simply NULL.
        const row = db.prepare("SELECT notes FROM runs WHERE name <> ''").get() as { notes: string | null };
        assert.equal(row.notes, null);
      } finally {
        db.close();
      }
    });
  }

  void it('a longer migration list (the next release) sees this database as behind, and is fine once it upgraded', async () => {
    const { dbPath } = casePaths();
    await upgradeWith(dbPath, MIGRATIONS);
    const next = [...MIGRATIONS, nextReleaseMigration(PLUMB_VERSION)];
    const behind = await withMigrator(dbPath, next, (m) => m.status());
    assert.deepEqual(
      behind.pending.map((p) => p.version),
      [LAST_MIGRATION.version + 1],
    );
    assert.match(checkCompatibility(behind, '0.2.0') ?? '', /Run `plumb db upgrade`/);
    const applied = await upgradeWith(dbPath, next);
    assert.deepEqual(
      applied.map((p) => p.version),
      [LAST_MIGRATION.version + 1],
    );
    assert.equal(checkCompatibility(await withMigrator(dbPath, next, (m) => m.status()), '0.2.0'), undefined);
    // And this release, one behind, sees the new migration as unknown but runnable.
    const current = await withMigrator(dbPath, MIGRATIONS, (m) => m.status());
    assert.deepEqual(
      current.unknown.map((u) => u.version),
      [LAST_MIGRATION.version + 1],
    );
    assert.equal(checkCompatibility(current, PLUMB_VERSION), undefined);
  });
});
