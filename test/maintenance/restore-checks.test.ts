/**
 * What `plumb restore` refuses and what it tells the operator to run, on SQLite (the checks are
 * engine-independent), plus the disaster-recovery path of the issue: restore a backup taken before
 * 50 runs were created, then reconcile them back from their snapshots.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { type BackupManifest, MANIFEST_FILE } from '../../src/transfer/backup.service.ts';
import { fileDigest } from '../../src/transfer/dump.service.ts';
import { ReconcileService } from '../../src/transfer/reconcile.service.ts';
import { Api, anExperiment, uniqueName } from '../fixtures/builders.ts';
import { createTestDatabase } from '../helpers/postgres-databases.ts';
import type { TestApp } from '../helpers/test-server.ts';
import { backupService } from './engines.ts';
import { assertSameRuns, captureRuns, localArtifacts, searchRunIds, seedRuns } from './fixtures.ts';

let root = '';
let counter = 0;

/** A Plumb app on `<dir>/mlruns.db` and `<dir>/mlartifacts` that leaves the files behind when closed. */
async function openAppOn(dir: string): Promise<TestApp> {
  const config = loadConfig(
    { PLUMB_LOG_LEVEL: 'silent' },
    { backendStoreUri: `sqlite:///${join(dir, 'mlruns.db')}`, artifactsDestination: join(dir, 'mlartifacts'), port: 0 },
    dir,
  );
  const app = await createApp(config);
  return { app, dir, close: () => app.close() };
}

function newDir(): string {
  return mkdtempSync(join(root, `case-${++counter}-`));
}

const sqliteUri = (dir: string, name = 'mlruns.db') => `sqlite:///${join(dir, name)}`;

/** A backup of a small database in `<dir>/backup`. */
async function aBackup(dir: string, logical = false): Promise<string> {
  const app = await openAppOn(dir);
  try {
    await anExperiment(new Api(app), uniqueName());
  } finally {
    await app.close();
  }
  const backupDir = join(dir, 'backup');
  await (await backupService(sqliteUri(dir), dir)).backup(backupDir, { logical });
  return backupDir;
}

function editManifest(backupDir: string, edit: (m: BackupManifest) => BackupManifest): void {
  const path = join(backupDir, MANIFEST_FILE);
  writeFileSync(path, JSON.stringify(edit(JSON.parse(readFileSync(path, 'utf8')) as BackupManifest)));
}

void describe('restore checks', () => {
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'plumb-restore-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  void it('refuses a backup whose file does not match its checksum', async () => {
    const dir = newDir();
    const backupDir = await aBackup(dir);
    appendFileSync(join(backupDir, 'metadata.sqlite'), 'x');
    await assert.rejects((await backupService(sqliteUri(dir, 'new.db'), dir)).restore(backupDir), {
      code: 'DATA_LOSS',
      message: /does not match its manifest/,
    });
  });

  void it('refuses a schema with a migration this release does not know, and says which release to use', async () => {
    const dir = newDir();
    const backupDir = await aBackup(dir, true);
    editManifest(backupDir, (m) => ({
      ...m,
      plumbVersion: '9.0.0',
      migrations: [...m.migrations, { version: 99, name: 'future', checksum: 'f'.repeat(64) }],
    }));
    await assert.rejects((await backupService(sqliteUri(dir, 'new.db'), dir)).restore(backupDir), {
      code: 'INVALID_STATE',
      message: /migrations this release does not know: 99 \(future\)\. Restore it with Plumb 9\.0\.0 or newer/,
    });
  });

  void it('refuses a migration whose checksum differs (another build)', async () => {
    const dir = newDir();
    const backupDir = await aBackup(dir);
    editManifest(backupDir, (m) => ({
      ...m,
      migrations: m.migrations.map((x) => (x.version === 2 ? { ...x, checksum: '0'.repeat(64) } : x)),
    }));
    await assert.rejects((await backupService(sqliteUri(dir, 'new.db'), dir)).restore(backupDir), {
      code: 'INVALID_STATE',
      message: /migration 2 .* differs from this release's .*different build/,
    });
  });

  void it('replaces a database holding data only with --force', async () => {
    const dir = newDir();
    const backupDir = await aBackup(dir);
    const service = await backupService(sqliteUri(dir), dir);
    await assert.rejects(service.restore(backupDir), { code: 'INVALID_STATE', message: /--force/ });
    const report = await service.restore(backupDir, { force: true });
    assert.deepEqual(report.countMismatches, []);
  });

  void it('restores a native backup only into its own engine', async () => {
    const dir = newDir();
    const backupDir = await aBackup(dir);
    const postgres = await createTestDatabase();
    try {
      await assert.rejects((await backupService(postgres.uri, dir)).restore(backupDir), {
        code: 'INVALID_STATE',
        message: /restores only into sqlite.*plumb backup --logical/,
      });
    } finally {
      await postgres.drop();
    }
  });

  void it('restores an older schema natively and says to run plumb db upgrade', async () => {
    const dir = newDir();
    const backupDir = await aBackup(dir);
    const copy = join(backupDir, 'metadata.sqlite');
    const db = new BetterSqlite3(copy);
    db.exec('delete from schema_migrations where version = 6; drop table server_nodes;');
    db.close();
    const digest = await fileDigest(copy);
    editManifest(backupDir, (m) => ({ ...m, ...digest, migrations: m.migrations.filter((x) => x.version < 6) }));
    const report = await (await backupService(sqliteUri(dir, 'older.db'), dir)).restore(backupDir);
    assert.deepEqual(report.pendingMigrations, [{ version: 6, name: 'server-nodes' }]);
    assert.match(report.nextStep ?? '', /plumb db upgrade/);
  });

  void it('restoring a backup from before 50 runs were created, then reconciling, brings all 50 back once', async () => {
    const dir = newDir();
    let app = await openAppOn(dir);
    const early = await seedRuns(new Api(app), 1, 1);
    const backupDir = join(dir, 'backup');
    // Online: the server keeps running while the backup is taken.
    await (await backupService(sqliteUri(dir), dir)).backup(backupDir);
    const later = await seedRuns(new Api(app), 50);
    const expected = await captureRuns(new Api(app), [...early.runIds, ...later.runIds]);
    await app.close();

    const restore = await (await backupService(sqliteUri(dir), dir)).restore(backupDir, { force: true });
    assert.equal(restore.rowCounts.runs, 1);
    app = await openAppOn(dir);
    try {
      const api = new Api(app);
      assert.equal((await api.get('runs/get', { run_id: later.runIds[0]! })).status, 404);
      const reconciler = new ReconcileService({
        tracking: app.app.store.tracking,
        recovery: app.app.store.maintenance.recovery,
        artifacts: await localArtifacts(app),
      });
      const report = await reconciler.reconcile();
      assert.deepEqual(report.problems, []);
      assert.equal(report.runs.length, 50);
      assert.equal(report.experiments.length, 2);
      assert.equal(report.upToDate, 1);
      assertSameRuns(await captureRuns(api, [...early.runIds, ...later.runIds]), expected);
      const all = await searchRunIds(api, [...early.experimentIds, ...later.experimentIds]);
      assert.equal(all.length, 51);
      assert.equal(new Set(all).size, 51);
      const again = await reconciler.reconcile();
      assert.deepEqual(again.runs, []);
      assert.equal(again.upToDate, 51);
    } finally {
      await app.close();
    }
  });
});
