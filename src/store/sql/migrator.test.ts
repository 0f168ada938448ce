import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { isMlflowError } from '../../core/errors.ts';
import { openSqlite, sqliteDialect } from '../sqlite/sqlite-dialect.ts';
import type { AppliedMigration, SchemaStatus } from '../store.ts';
import { compareReleases } from '../../core/releases.ts';
import { checkCompatibility, Migrator } from './migrator.ts';
import { MIGRATIONS } from './migrations/index.ts';
import type { Migration } from './migrations/migration.ts';

void describe('compareReleases', () => {
  void it('compares dotted release numbers numerically, component by component', () => {
    assert.equal(compareReleases('0.1.0', '0.1.0'), 0);
    assert.equal(compareReleases('0.10.0', '0.9.0'), 1);
    assert.equal(compareReleases('0.9.0', '0.10.0'), -1);
    assert.equal(compareReleases('2.0.0', '1.99.99'), 1);
    assert.equal(compareReleases('1.2.3', '1.2.4'), -1);
  });

  void it('treats missing components as 0', () => {
    assert.equal(compareReleases('1.0', '1.0.0'), 0);
    assert.equal(compareReleases('1', '1.0.1'), -1);
    assert.equal(compareReleases('1.0.1', '1'), 1);
  });

  void it('ignores a pre-release suffix, as documented', () => {
    assert.equal(compareReleases('0.2.0-rc.1', '0.2.0'), 0);
    assert.equal(compareReleases('0.2.0', '0.1.9-beta'), 1);
  });

  void it('is antisymmetric and answers only -1, 0 or 1', () => {
    const releases = ['0.0.1', '0.1.0', '0.1.1', '0.2.0', '0.10.0', '1.0.0', '1.0', '10.0.0', '0.2.0-rc.1'];
    for (const a of releases) {
      for (const b of releases) {
        const ab = compareReleases(a, b);
        assert.ok([-1, 0, 1].includes(ab), `${a} vs ${b}: ${ab}`);
        assert.equal(ab, -compareReleases(b, a) || 0, `${a} vs ${b}`);
      }
    }
  });
});

const applied = (version: number, minServerRelease = '0.1.0'): AppliedMigration => ({
  version,
  name: `m${version}`,
  checksum: `${version}`.repeat(64).slice(0, 64),
  minServerRelease,
});

function aStatus(overrides: Partial<SchemaStatus> = {}): SchemaStatus {
  return {
    empty: false,
    applied: [applied(1)],
    pending: [],
    unknown: [],
    checksumMismatches: [],
    latestKnownVersion: 1,
    ...overrides,
  };
}

const pending = (version: number) => ({ version, name: `m${version}`, checksum: 'c', statements: [] });

void describe('checkCompatibility', () => {
  void it('accepts a schema at exactly the known migrations', () => {
    assert.equal(checkCompatibility(aStatus(), '0.1.0'), undefined);
  });

  void it('refuses a schema with pending migrations, listing them and naming `plumb db upgrade`', () => {
    const problem = checkCompatibility(aStatus({ pending: [pending(2), pending(3)] }), '0.1.0');
    assert.ok(problem);
    assert.match(problem, /pending migrations 2 \(m2\), 3 \(m3\)/);
    assert.match(problem, /Run `plumb db upgrade`/);
  });

  void it('refuses a checksum mismatch first, with both checksums and where to look', () => {
    const status = aStatus({
      checksumMismatches: [{ version: 1, recorded: 'a'.repeat(64), expected: 'b'.repeat(64) }],
      pending: [pending(2)],
      unknown: [applied(9, '99.0.0')],
    });
    const problem = checkCompatibility(status, '0.1.0');
    assert.ok(problem);
    assert.match(problem, /migration 1 in the database has checksum a{12}…, this release expects b{12}…/);
    assert.match(problem, /different build/);
    assert.match(problem, /plumb db status/);
  });

  void it('refuses unknown migrations that need a newer release, naming only those', () => {
    const status = aStatus({
      applied: [applied(1), applied(2, '0.1.0'), applied(3, '0.3.0')],
      unknown: [applied(2, '0.1.0'), applied(3, '0.3.0')],
    });
    const problem = checkCompatibility(status, '0.2.5');
    assert.ok(problem);
    assert.match(problem, /this release \(0\.2\.5\) cannot run on: 3 \(m3, needs ≥ 0\.3\.0\)\. Upgrade this server/);
    assert.doesNotMatch(problem, /\b2 \(m2/);
  });

  void it('reports unknown too-new migrations before pending ones (db upgrade would not help)', () => {
    const problem = checkCompatibility(aStatus({ pending: [pending(2)], unknown: [applied(5, '1.0.0')] }), '0.1.0');
    assert.match(problem ?? '', /Upgrade this server to a newer release/);
  });

  void it('runs on unknown migrations whose min_server_release is at most its own (rolling upgrade)', () => {
    for (const min of ['0.1.0', '0.0.9', '0.1', '0.2.0-rc.1']) {
      const status = aStatus({ applied: [applied(1), applied(2, min)], unknown: [applied(2, min)] });
      assert.equal(checkCompatibility(status, min === '0.2.0-rc.1' ? '0.2.0' : '0.1.0'), undefined, min);
    }
  });
});

function memoryDb() {
  return openSqlite({ path: ':memory:' }).db;
}

/** A later migration creating `tables` (each with one column) and then, if given, altering a missing table. */
/** The first version number after this release's migrations: where test-only migrations go. */
const NEXT = Math.max(...MIGRATIONS.map((m) => m.version)) + 1;

const extra = (
  version: number,
  tables: readonly string[],
  options: { minServerRelease?: string; fail?: boolean } = {},
): Migration => ({
  version,
  name: `extra${version}`,
  minServerRelease: options.minServerRelease ?? '0.1.0',
  build: (db) => [
    ...tables.map((t) => db.schema.createTable(t).addColumn('id', 'integer')),
    ...(options.fail ? [db.schema.alterTable('no_such_table').addColumn('x', 'text')] : []),
  ],
});

void describe('Migrator (SQLite, in memory)', () => {
  void it('plans each migration as parameter-free SQL with a sha256 checksum over it', async () => {
    const db = memoryDb();
    try {
      const migrator = new Migrator(db, sqliteDialect);
      for (const migration of MIGRATIONS) {
        const plan = migrator.plan(migration);
        assert.ok(plan.statements.length > 0);
        assert.equal(plan.checksum, createHash('sha256').update(plan.statements.join(';\n')).digest('hex'));
        assert.deepEqual(new Migrator(db, sqliteDialect).plan(migration), plan, 'the plan is stable');
      }
    } finally {
      await db.destroy();
    }
  });

  void it('rejects a migration that binds parameters', async () => {
    const db = memoryDb();
    try {
      const bad: Migration = {
        version: NEXT,
        name: 'binds',
        minServerRelease: '0.1.0',
        build: (kdb) => [kdb.insertInto('experiments').values({ name: 'x' })],
      };
      assert.throws(
        () => new Migrator(db, sqliteDialect, [...MIGRATIONS, bad]).plan(bad),
        (e: unknown) => isMlflowError(e) && e.code === 'INTERNAL_ERROR' && /must not bind parameters/.test(e.message),
      );
    } finally {
      await db.destroy();
    }
  });

  void it('sees a new database as empty, applies everything once, then nothing', async () => {
    const db = memoryDb();
    try {
      const migrator = new Migrator(db, sqliteDialect);
      const fresh = await migrator.status();
      assert.equal(fresh.empty, true);
      assert.deepEqual(
        fresh.pending.map((p) => p.version),
        MIGRATIONS.map((m) => m.version),
      );
      const first = await migrator.upgrade(() => 42);
      assert.deepEqual(first, fresh.pending);
      assert.deepEqual(await migrator.upgrade(() => 43), []);
      const status = await migrator.status();
      assert.equal(status.empty, false);
      assert.deepEqual(status.pending, []);
      assert.deepEqual(
        status.applied.map((a) => [a.version, a.checksum]),
        fresh.pending.map((p) => [p.version, p.checksum]),
      );
      const rows = await sql<{ applied_at: number }>`SELECT applied_at FROM schema_migrations`.execute(db);
      assert.deepEqual(
        rows.rows.map((r) => r.applied_at),
        MIGRATIONS.map(() => 42),
      );
    } finally {
      await db.destroy();
    }
  });

  void it('applies a failing migration not at all: its statements roll back with it', async () => {
    const db = memoryDb();
    try {
      await new Migrator(db, sqliteDialect).upgrade(() => 1);
      const failing = extra(NEXT, ['half_done'], { fail: true });
      await assert.rejects(
        new Migrator(db, sqliteDialect, [...MIGRATIONS, failing]).upgrade(() => 2),
        /no_such_table/,
      );
      const tables = await db.introspection.getTables();
      assert.equal(
        tables.some((t) => t.name === 'half_done'),
        false,
      );
      const status = await new Migrator(db, sqliteDialect, [...MIGRATIONS, failing]).status();
      assert.deepEqual(
        status.pending.map((p) => p.version),
        [NEXT],
      );
    } finally {
      await db.destroy();
    }
  });

  void it('refuses to upgrade over a checksum mismatch, and applies nothing', async () => {
    const db = memoryDb();
    try {
      await new Migrator(db, sqliteDialect).upgrade(() => 1);
      await sql`UPDATE schema_migrations SET checksum = ${'0'.repeat(64)} WHERE version = 1`.execute(db);
      const next = new Migrator(db, sqliteDialect, [...MIGRATIONS, extra(NEXT, ['later'])]);
      await assert.rejects(
        next.upgrade(() => 2),
        (e: unknown) => isMlflowError(e) && e.code === 'INVALID_STATE' && /different build/.test(e.message),
      );
      const status = await next.status();
      assert.deepEqual(
        status.checksumMismatches.map((m) => [m.version, m.recorded]),
        [[1, '0'.repeat(64)]],
      );
      assert.deepEqual(
        status.pending.map((p) => p.version),
        [NEXT],
      );
    } finally {
      await db.destroy();
    }
  });

  void it("reports a newer release's migrations as unknown, with their min_server_release", async () => {
    const db = memoryDb();
    try {
      await new Migrator(db, sqliteDialect, [
        ...MIGRATIONS,
        extra(NEXT, ['later'], { minServerRelease: '0.3.0' }),
      ]).upgrade(() => 1);
      const status = await new Migrator(db, sqliteDialect).status();
      assert.deepEqual(status.pending, []);
      assert.deepEqual(
        status.unknown.map((u) => [u.version, u.name, u.minServerRelease]),
        [[NEXT, `extra${NEXT}`, '0.3.0']],
      );
      assert.equal(status.latestKnownVersion, Math.max(...MIGRATIONS.map((m) => m.version)));
    } finally {
      await db.destroy();
    }
  });
});
