/**
 * SQLite files in the states invariant 6 is about, made directly (never through a running server):
 * upgraded by a "newer release" whose migration list is longer than this one's, with a migration
 * row removed or tampered with, or holding another application's tables. And a read-only snapshot
 * of a file's schema, to show that a command changed nothing.
 */
import Database from 'better-sqlite3';
import { Migrator } from '../../src/store/sql/migrator.ts';
import { MIGRATIONS } from '../../src/store/sql/migrations/index.ts';
import type { Migration } from '../../src/store/sql/migrations/migration.ts';
import { openSqlite, sqliteDialect } from '../../src/store/sqlite/sqlite-dialect.ts';
import type { PlannedMigration } from '../../src/store/store.ts';

export const LAST_MIGRATION = MIGRATIONS.at(-1)!;

/**
 * Migration `LAST_MIGRATION.version + 1` of a hypothetical next release: additive (a nullable column
 * and a new table), declaring `minServerRelease` as the oldest release that can run on its result.
 */
export function nextReleaseMigration(minServerRelease: string): Migration {
  return {
    version: LAST_MIGRATION.version + 1,
    name: 'run_notes',
    minServerRelease,
    build: (db) => [
      db.schema.alterTable('runs').addColumn('notes', 'text'),
      db.schema
        .createTable('run_note_history')
        .addColumn('run_uuid', 'varchar(32)', (c) => c.notNull())
        .addColumn('changed_at', 'bigint', (c) => c.notNull()),
    ],
  };
}

/** Opens the file the way the server does and runs `work` with a Migrator over `migrations`. */
export async function withMigrator<T>(
  dbPath: string,
  migrations: readonly Migration[],
  work: (migrator: Migrator) => Promise<T>,
): Promise<T> {
  const { db } = openSqlite({ path: dbPath });
  try {
    return await work(new Migrator(db, sqliteDialect, migrations));
  } finally {
    await db.destroy();
  }
}

/** Applies `migrations` (this release's, plus any of a newer one) to the file. */
export function upgradeWith(dbPath: string, migrations: readonly Migration[]): Promise<readonly PlannedMigration[]> {
  return withMigrator(dbPath, migrations, (migrator) => migrator.upgrade(() => Date.now()));
}

/** This release's plan for a new database: what `db upgrade --plan` must print. */
export function planOf(dbPath: string): Promise<PlannedMigration[]> {
  return withMigrator(dbPath, MIGRATIONS, async (migrator) => MIGRATIONS.map((m) => migrator.plan(m)));
}

/** Runs `sql` on the file with a plain read-write connection (the server must not be running). */
export function tamper(dbPath: string, sql: string, ...params: unknown[]): void {
  const db = new Database(dbPath, { fileMustExist: true });
  try {
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}

/** A database of some other application: not empty, without any of our tables. */
export function createForeignDatabase(dbPath: string): void {
  const db = new Database(dbPath);
  try {
    db.exec("CREATE TABLE other_app (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO other_app (name) VALUES ('x')");
  } finally {
    db.close();
  }
}

export interface MigrationRow {
  version: number;
  name: string;
  checksum: string;
  min_server_release: string;
  applied_at: number;
}

export interface SchemaSnapshot {
  readonly objects: { type: string; name: string; sql: string | null }[];
  readonly migrations: MigrationRow[];
}

/** The file's tables, indexes and migration rows, read-only. */
export function snapshot(dbPath: string): SchemaSnapshot {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const objects = db
      .prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
      .all() as SchemaSnapshot['objects'];
    const migrations = objects.some((o) => o.name === 'schema_migrations')
      ? (db.prepare('SELECT * FROM schema_migrations ORDER BY version').all() as MigrationRow[])
      : [];
    return { objects, migrations };
  } finally {
    db.close();
  }
}
