/**
 * `plumb db upgrade [--plan]` and `plumb db status` as an operator runs them: real processes on
 * SQLite files in a temp dir, judged by exit code, output and the file's schema afterwards.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MIGRATIONS } from '../../src/store/sql/migrations/index.ts';
import { runPlumb } from '../helpers/plumb-process.ts';
import { createTestDatabase } from '../helpers/postgres-databases.ts';
import { LAST_MIGRATION, nextReleaseMigration, planOf, snapshot, tamper, upgradeWith } from './schema-fixtures.ts';

let root = '';
let counter = 0;

function casePaths(): { dir: string; dbPath: string } {
  const dir = mkdtempSync(join(root, `case-${++counter}-`));
  return { dir, dbPath: join(dir, 'mlruns.db') };
}

async function plumbDb(dir: string, dbPath: string, ...args: string[]) {
  const result = await runPlumb(['db', ...args, '--backend-store-uri', `sqlite:///${dbPath}`], {
    cwd: dir,
    timeoutMs: 60_000,
  });
  assert.equal(result.timedOut, false, `plumb db ${args.join(' ')} did not finish`);
  return result;
}

const APPLIED_ALL = MIGRATIONS.map((m) => `applied migration ${m.version} (${m.name})\n`).join('');
const NOTHING_APPLIED = 'The schema is up to date; nothing applied.\n';

void describe('plumb db upgrade / db status (real processes)', () => {
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'plumb-db-cli-'));
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
  });

  void it('db upgrade --plan prints the SQL of every pending migration and creates no table', async () => {
    const { dir, dbPath } = casePaths();
    const result = await plumbDb(dir, dbPath, 'upgrade', '--plan');
    assert.equal(result.code, 0, result.stderr);
    const plan = await planOf(join(dir, 'reference.db'));
    const expected = plan
      .map(
        (p) =>
          `-- migration ${p.version} (${p.name}), checksum ${p.checksum}\n${p.statements.map((s) => `${s};\n`).join('')}`,
      )
      .join('');
    assert.equal(result.stdout, expected);
    assert.match(result.stdout, /create table "experiments"/);
    assert.equal(existsSync(dbPath), false, '--plan created the database file');
  });

  void it('db upgrade --plan on an up-to-date database says so and changes nothing', async () => {
    const { dir, dbPath } = casePaths();
    await upgradeWith(dbPath, MIGRATIONS);
    const before = snapshot(dbPath);
    const result = await plumbDb(dir, dbPath, 'upgrade', '--plan');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '-- nothing to apply: the schema is up to date\n');
    assert.deepEqual(snapshot(dbPath), before);
  });

  void it('db upgrade applies the migrations, and running it again applies nothing', async () => {
    const { dir, dbPath } = casePaths();
    const first = await plumbDb(dir, dbPath, 'upgrade');
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, APPLIED_ALL);
    const upgraded = snapshot(dbPath);
    const plan = await planOf(join(dir, 'reference.db'));
    assert.deepEqual(
      upgraded.migrations.map((m) => [m.version, m.name, m.checksum, m.min_server_release]),
      MIGRATIONS.map((m, i) => [m.version, m.name, plan[i]!.checksum, m.minServerRelease]),
    );
    const second = await plumbDb(dir, dbPath, 'upgrade');
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, NOTHING_APPLIED);
    assert.deepEqual(snapshot(dbPath), upgraded, 'the second upgrade changed the database (applied_at included)');
  });

  void it('five concurrent db upgrade processes on one new file all succeed, and each migration is applied exactly once', async () => {
    const { dir, dbPath } = casePaths();
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => plumbDb(dir, dbPath, 'upgrade')));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      results.map((r) => r.stdout).sort(),
      [APPLIED_ALL, ...Array<string>(4).fill(NOTHING_APPLIED)].sort(),
    );
    const { migrations, objects } = snapshot(dbPath);
    assert.deepEqual(
      migrations.map((m) => m.version),
      MIGRATIONS.map((m) => m.version),
    );
    assert.equal(objects.filter((o) => o.name === 'experiments').length, 1);
  });

  void it('db upgrade refuses a database whose recorded checksum differs, exits 1 and changes nothing', async () => {
    const { dir, dbPath } = casePaths();
    await upgradeWith(dbPath, MIGRATIONS);
    tamper(
      dbPath,
      'UPDATE schema_migrations SET checksum = ? WHERE version = ?',
      'e'.repeat(64),
      LAST_MIGRATION.version,
    );
    const before = snapshot(dbPath);
    const result = await plumbDb(dir, dbPath, 'upgrade');
    assert.equal(result.code, 1);
    const expected = before.migrations.find((m) => m.version === LAST_MIGRATION.version);
    assert.ok(expected);
    assert.match(
      result.stderr,
      new RegExp(
        `migration ${LAST_MIGRATION.version}: recorded checksum ${'e'.repeat(64)} differs from this release's [0-9a-f]{64}`,
      ),
    );
    assert.deepEqual(snapshot(dbPath), before);
  });

  void it('db status lists applied, pending, unknown and mismatching migrations', async () => {
    const fresh = casePaths();
    const pendingStatus = await plumbDb(fresh.dir, fresh.dbPath, 'status');
    assert.equal(pendingStatus.code, 0, pendingStatus.stderr);
    assert.equal(pendingStatus.stdout, MIGRATIONS.map((m) => `pending  ${m.version} ${m.name}\n`).join(''));

    const { dir, dbPath } = casePaths();
    const future = nextReleaseMigration('99.0.0');
    await upgradeWith(dbPath, [...MIGRATIONS, future]);
    tamper(
      dbPath,
      'UPDATE schema_migrations SET checksum = ? WHERE version = ?',
      'd'.repeat(64),
      LAST_MIGRATION.version,
    );
    const rows = snapshot(dbPath).migrations;
    const status = await plumbDb(dir, dbPath, 'status');
    assert.equal(status.code, 0, status.stderr);
    const lines = status.stdout.trimEnd().split('\n');
    for (const row of rows) {
      assert.ok(lines.includes(`applied  ${row.version} ${row.name} ${row.checksum.slice(0, 12)}`), status.stdout);
    }
    assert.ok(lines.includes(`unknown  ${future.version} ${future.name} (needs release ≥ 99.0.0)`), status.stdout);
    assert.ok(
      lines.some((l) => l.startsWith(`MISMATCH ${LAST_MIGRATION.version}: recorded ${'d'.repeat(64)}, expected `)),
      status.stdout,
    );
  });

  void it('db upgrade reports a bad store URI with exit code 2, and no password', async () => {
    const { dir } = casePaths();
    const result = await runPlumb(
      ['db', 'upgrade', '--backend-store-uri', 'postgresql://admin:s3cret@db.example:5432'],
      {
        cwd: dir,
        timeoutMs: 30_000,
      },
    );
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /--backend-store-uri: backend store URI 'postgresql:\/\/admin:\*\*\*@db\.example:5432' names no database/,
    );
    assert.doesNotMatch(result.stderr + result.stdout, /s3cret/);
  });

  void it('db upgrade and db status work on PostgreSQL, given as MLflow writes the URI', async () => {
    const { dir } = casePaths();
    const database = await createTestDatabase();
    try {
      const uri = database.uri.replace(/^postgresql:/, 'postgresql+psycopg2:');
      const run = (...args: string[]) =>
        runPlumb(['db', ...args, '--backend-store-uri', uri], { cwd: dir, timeoutMs: 60_000 });
      const upgrade = await run('upgrade');
      assert.equal(upgrade.code, 0, upgrade.stderr);
      assert.equal(upgrade.stdout, APPLIED_ALL);
      const again = await run('upgrade');
      assert.equal(again.stdout, NOTHING_APPLIED);
      const status = await run('status');
      assert.equal(status.code, 0, status.stderr);
      assert.equal(status.stdout.split('\n').filter((l) => l.startsWith('applied ')).length, MIGRATIONS.length);
    } finally {
      await database.drop();
    }
  });
});
