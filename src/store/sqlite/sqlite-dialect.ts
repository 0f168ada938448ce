import { existsSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, type SqlBool, SqliteDialect, sql } from 'kysely';
import { MlflowError } from '../../core/errors.ts';
import {
  insertValues,
  onConflictKeepGreatest,
  onConflictKeepGreatestPerGroup,
  singleRowInsert,
  type ValuesSyntax,
} from '../sql/bulk-statements.ts';
import type { SqlDialect } from '../sql/dialect.ts';
import { groupKeys } from '../sql/unique-keys.ts';
import type { Database } from '../sql/schema.ts';

const MAX_BOUND_PARAMETERS = 32766;
const syntax: ValuesSyntax = { quote: (id) => `"${id}"`, maxBoundParameters: MAX_BOUND_PARAMETERS };

export const sqliteDialect: SqlDialect = {
  name: 'sqlite',
  autoIncrementType: 'integer',
  autoIncrementColumn: (c) => c.primaryKey().autoIncrement(),
  insertIgnoringDuplicates: (query) => query.onConflict((oc) => oc.doNothing()) as typeof query,
  withMigrationLock: (db, work) => immediateTransaction(db, work),
  // One writer at a time (BEGIN IMMEDIATE) is already serial: every mode is the same here.
  transaction: (db, work) => immediateTransaction(db, work),
  appendRows: (db, table, columns, rows) => insertValues(db, syntax, table, columns, rows, 'on conflict do nothing'),
  upsertGreatest: (db, table, columns, rows, spec) =>
    insertValues(db, syntax, table, columns, rows, onConflictKeepGreatest(syntax.quote, table, columns, spec)),
  upsertGreatestPerGroup: (db, table, columns, rows, spec) =>
    insertValues(db, syntax, table, columns, rows, onConflictKeepGreatestPerGroup(syntax.quote, table, spec)),
  translateError(error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      return MlflowError.alreadyExists(`Duplicate entry: ${(error as Error).message}`);
    }
    if (typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))) {
      return new MlflowError('TEMPORARILY_UNAVAILABLE', 'The database is busy; retry the request.');
    }
    return error;
  },
  // julianday('now') carries milliseconds; 2440587.5 is the Julian day of the Unix epoch.
  currentTimeMillis: () => sql<number>`CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER)`,
  listIndexNames: async (db) =>
    (await sql<{ name: string }>`select name from sqlite_master where type = 'index'`.execute(db)).rows.map(
      (r) => r.name,
    ),
  async listUniqueKeys(db) {
    // An INTEGER PRIMARY KEY is the rowid itself and has no index: table_info names it instead.
    const indexed = await sql<{ tbl: string; idx: string; col: string }>`
      select m.name as tbl, il.name as idx, ii.name as col
      from sqlite_master m, pragma_index_list(m.name) il, pragma_index_info(il.name) ii
      where m.type = 'table' and il."unique" = 1 order by m.name, il.name, ii.seqno`.execute(db);
    const primary = await sql<{ tbl: string; col: string }>`
      select m.name as tbl, ti.name as col from sqlite_master m, pragma_table_info(m.name) ti
      where m.type = 'table' and ti.pk > 0 order by m.name, ti.pk`.execute(db);
    return [
      ...groupKeys(indexed.rows.map((r) => ({ table: r.tbl, key: r.idx, column: r.col }))),
      ...groupKeys(primary.rows.map((r) => ({ table: r.tbl, key: 'primary', column: r.col }))),
    ];
  },
  likeMatch(value, pattern, caseSensitive) {
    // SQLite's LIKE ignores ASCII case; GLOB is its case-sensitive matcher. ILIKE lowers both sides
    // in SQL, not in JS, so that the two sides are folded by the same (ASCII-only) rules.
    const glob = likeToGlob(pattern);
    return caseSensitive ? sql<SqlBool>`${value} GLOB ${glob}` : sql<SqlBool>`lower(${value}) GLOB lower(${glob})`;
  },
  lockRowsForUpdate: (query) => query,
  maxBoundParameters: MAX_BOUND_PARAMETERS,
};

/**
 * The dialect bound to one database handle: its bulk statements run as single-row prepared
 * statements, prepared once and kept, straight on the handle (the one connection Kysely also
 * uses, so they join the transaction in progress). Per row, SQLite needs no statement parsing and
 * no parameter array of a thousand rows; this is the raw insert path bench/ compares against.
 */
export function sqliteDialectOn(raw: BetterSqlite3.Database): SqlDialect {
  const statements = new Map<string, BetterSqlite3.Statement>();
  const prepared = (text: string) => {
    let statement = statements.get(text);
    if (!statement) statements.set(text, (statement = raw.prepare(text)));
    return statement;
  };
  const runEach = (text: string, rows: readonly (readonly unknown[])[]) => {
    const statement = prepared(text);
    for (const row of rows) statement.run(row);
  };
  return {
    ...sqliteDialect,
    appendRows: async (_db, table, columns, rows) =>
      runEach(singleRowInsert(syntax.quote, table, columns, 'on conflict do nothing'), rows),
    upsertGreatest: async (_db, table, columns, rows, spec) =>
      runEach(
        singleRowInsert(syntax.quote, table, columns, onConflictKeepGreatest(syntax.quote, table, columns, spec)),
        rows,
      ),
    upsertGreatestPerGroup: async (_db, table, columns, rows, spec) =>
      runEach(
        singleRowInsert(syntax.quote, table, columns, onConflictKeepGreatestPerGroup(syntax.quote, table, spec)),
        rows,
      ),
  };
}

/** A LIKE pattern as an equivalent GLOB pattern: wildcards translated, GLOB's own metacharacters bracketed. */
export function likeToGlob(pattern: string): string {
  let glob = '';
  for (const c of pattern) {
    if (c === '%') glob += '*';
    else if (c === '_') glob += '?';
    else if (c === '*' || c === '?' || c === '[') glob += `[${c}]`;
    else glob += c;
  }
  return glob;
}

/**
 * BEGIN IMMEDIATE takes SQLite's write lock up front. A deferred transaction that reads and then
 * writes can fail with SQLITE_BUSY at once when another process holds the lock (busy_timeout does
 * not apply to a lock upgrade); an immediate one waits its turn instead. For migrations this is the
 * migration lock: a second migrator waits, then re-reads the applied set and finds nothing pending.
 */
async function immediateTransaction<DB, T>(db: Kysely<DB>, work: (db: Kysely<DB>) => Promise<T>): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql`BEGIN IMMEDIATE`.execute(conn);
    try {
      const result = await work(conn);
      await sql`COMMIT`.execute(conn);
      return result;
    } catch (error) {
      await sql`ROLLBACK`.execute(conn);
      throw error;
    }
  });
}

export interface SqliteOptions {
  /** File path, or ':memory:'. */
  readonly path: string;
  readonly busyTimeoutMs?: number;
  /** Inspection only (`db status`, `db upgrade --plan`): never creates the file or changes its journal mode. */
  readonly readOnly?: boolean;
}

/**
 * Opens the one writer connection. WAL lets readers proceed during writes; synchronous=NORMAL in
 * WAL mode still never corrupts the database and loses at most the last commits on power loss,
 * not on a process crash.
 */
export function openSqlite(options: SqliteOptions): { db: Kysely<Database>; raw: BetterSqlite3.Database } {
  const inspectMissingFile = options.readOnly && options.path !== ':memory:' && !existsSync(options.path);
  // A file that does not exist yet reads as the brand-new empty database it would become.
  const raw = inspectMissingFile
    ? new BetterSqlite3(':memory:')
    : new BetterSqlite3(options.path, { readonly: options.readOnly ?? false });
  raw.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 30_000}`);
  if (!options.readOnly) {
    if (options.path !== ':memory:') raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
  }
  raw.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
  return { db, raw };
}
