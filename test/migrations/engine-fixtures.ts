/**
 * schema-fixtures.ts for the machine's PostgreSQL and MariaDB: a fresh database per case, a
 * Migrator opened the way the server opens the engine (so the MySQL DDL plugin and its checksums
 * apply), raw statements for tampering, and a read-only snapshot of the schema through
 * information_schema, to show that a process changed nothing.
 */
import { type Kysely, sql } from 'kysely';
import { mysqlDialect, openMysql } from '../../src/store/mysql/mysql-dialect.ts';
import { openPostgres, postgresDialect } from '../../src/store/postgres/postgres-dialect.ts';
import type { SqlDialect } from '../../src/store/sql/dialect.ts';
import type { Migration } from '../../src/store/sql/migrations/migration.ts';
import { Migrator } from '../../src/store/sql/migrator.ts';
import type { PlannedMigration } from '../../src/store/store.ts';
import { createMysqlTestDatabase } from '../helpers/mysql-databases.ts';
import { createTestDatabase } from '../helpers/postgres-databases.ts';
import type { MigrationRow } from './schema-fixtures.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tables outside the typed schema
type AnyDb = Kysely<any>;

export interface EngineDatabase {
  readonly uri: string;
  readonly name: string;
  drop(): Promise<void>;
}

export interface Engine {
  readonly label: string;
  readonly dialect: SqlDialect;
  createDatabase(): Promise<EngineDatabase>;
  /** The same URI as MLflow (SQLAlchemy) users write it, with a driver suffix. */
  mlflowUri(uri: string): string;
  /** A Kysely instance over a small pool, as the server would open it. */
  open(uri: string): AnyDb;
  /** Indexes of the current database/schema, with what identifies their definition. */
  indexes(db: AnyDb): Promise<unknown[]>;
  /** SQL for the database (MySQL) or schema (PostgreSQL) the connection works in. */
  readonly currentSchema: ReturnType<typeof sql.raw>;
}

export const POSTGRES: Engine = {
  label: 'PostgreSQL',
  dialect: postgresDialect,
  createDatabase: createTestDatabase,
  mlflowUri: (uri) => uri.replace(/^postgresql:/, 'postgresql+psycopg2:'),
  open: (uri) => openPostgres({ connectionString: uri, poolSize: 2 }),
  indexes: async (db) =>
    (
      await sql`select tablename as tname, indexname as iname, indexdef as idef from pg_indexes
        where schemaname = current_schema() order by tablename, indexname`.execute(db)
    ).rows,
  currentSchema: sql.raw('current_schema()'),
};

export const MARIADB: Engine = {
  label: 'MariaDB',
  dialect: mysqlDialect,
  createDatabase: createMysqlTestDatabase,
  mlflowUri: (uri) => uri.replace(/^mysql:/, 'mysql+pymysql:'),
  open: (uri) => openMysql({ uri, connectionLimit: 2 }).db,
  indexes: async (db) =>
    (
      await sql`select table_name as tname, index_name as iname, seq_in_index as seq, column_name as cname,
          non_unique as nonunique
        from information_schema.statistics where table_schema = database()
        order by table_name, index_name, seq_in_index`.execute(db)
    ).rows,
  currentSchema: sql.raw('database()'),
};

export const ENGINES: readonly Engine[] = [POSTGRES, MARIADB];

/** Runs `work` on a brand-new database of the engine and drops it afterwards, pass or fail. */
export async function withFreshDatabase<T>(engine: Engine, work: (database: EngineDatabase) => Promise<T>): Promise<T> {
  const database = await engine.createDatabase();
  try {
    return await work(database);
  } finally {
    await database.drop();
  }
}

/** Opens the database, runs `work`, closes every connection (a later DROP DATABASE must not wait). */
export async function withDb<T>(engine: Engine, uri: string, work: (db: AnyDb) => Promise<T>): Promise<T> {
  const db = engine.open(uri);
  try {
    return await work(db);
  } finally {
    await db.destroy();
  }
}

/** withMigrator of schema-fixtures.ts, on the engine. */
export function withEngineMigrator<T>(
  engine: Engine,
  uri: string,
  migrations: readonly Migration[],
  work: (migrator: Migrator) => Promise<T>,
): Promise<T> {
  return withDb(engine, uri, (db) => work(new Migrator(db, engine.dialect, migrations)));
}

/** upgradeWith of schema-fixtures.ts, on the engine: applies `migrations` (this release's, plus any of a newer one). */
export function upgradeOnEngine(
  engine: Engine,
  uri: string,
  migrations: readonly Migration[],
): Promise<readonly PlannedMigration[]> {
  return withEngineMigrator(engine, uri, migrations, (migrator) => migrator.upgrade(() => Date.now()));
}

/** Runs one statement with a plain connection (tamper of schema-fixtures.ts); no server may be running. */
export function execOnEngine(engine: Engine, uri: string, statement: string): Promise<void> {
  return withDb(engine, uri, async (db) => {
    await sql.raw(statement).execute(db);
  });
}

export interface EngineSnapshot {
  readonly tables: unknown[];
  readonly columns: unknown[];
  readonly indexes: unknown[];
  readonly migrations: MigrationRow[];
}

/** The database's tables, columns, indexes and migration rows, read only. */
export function engineSnapshot(engine: Engine, uri: string): Promise<EngineSnapshot> {
  return withDb(engine, uri, async (db) => {
    const schema = engine.currentSchema;
    // Aliases in lower case: MySQL reports information_schema columns in upper case otherwise.
    const tables = (
      await sql`select table_name as tname, table_type as ttype from information_schema.tables
        where table_schema = ${schema} order by table_name`.execute(db)
    ).rows;
    const columns = (
      await sql`select table_name as tname, column_name as cname, ordinal_position as pos, data_type as dtype,
          character_maximum_length as maxlen, is_nullable as nullable, column_default as dflt
        from information_schema.columns where table_schema = ${schema}
        order by table_name, ordinal_position`.execute(db)
    ).rows;
    const hasMigrations = tables.some((t) => (t as { tname: string }).tname === 'schema_migrations');
    const migrations = hasMigrations
      ? (
          await sql<MigrationRow>`select version, name, checksum, min_server_release, applied_at
            from schema_migrations order by version`.execute(db)
        ).rows.map((r) => ({ ...r, version: Number(r.version), applied_at: Number(r.applied_at) }))
      : [];
    return { tables, columns, indexes: await engine.indexes(db), migrations };
  });
}
