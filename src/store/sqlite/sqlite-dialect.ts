import { existsSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, type SqlBool, type SqliteDatabase, SqliteDialect, sql } from 'kysely';
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
  // SQLite analyses the whole file at once; analysis_limit (set at open) keeps it to milliseconds.
  refreshStatistics: async (db) => {
    await sql`analyze`.execute(db);
  },
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
  nullsSortLow: true,
  orderByNullsModifier: true,
  plansExistsAsJoin: false,
  crossJoinFixesOrder: true,
  jsonArrayAgg: (values, orderBy) => sql<string>`json_group_array(json_array(${sql.join(values)}) order by ${orderBy})`,
  maxBoundParameters: MAX_BOUND_PARAMETERS,
};

/**
 * The dialect bound to one database handle: its bulk statements run as single-row prepared
 * statements, prepared once and kept, straight on the handle (the one connection Kysely also
 * uses, so they join the transaction in progress). Per row, SQLite needs no statement parsing and
 * no parameter array of a thousand rows; this is the raw insert path bench/ compares against.
 */
/** Array-mode statements kept per connection; a read's SQL has few shapes, so this bound is rarely reached. */
const MAX_ARRAY_STATEMENTS = 64;

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
  // Raw mode is a property of the statement, so array reads keep statements of their own.
  const arrayStatements = new Map<string, BetterSqlite3.Statement>();
  const preparedForArrays = (text: string) => {
    let statement = arrayStatements.get(text);
    if (!statement) {
      if (arrayStatements.size >= MAX_ARRAY_STATEMENTS) arrayStatements.clear();
      arrayStatements.set(text, (statement = raw.prepare(text).raw(true)));
    }
    return statement;
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
    selectArrays: async (query) => {
      const compiled = query.compile();
      return preparedForArrays(compiled.sql).all(compiled.parameters) as unknown[][];
    },
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
  // Searches on a large store probe rows all over the file; SQLite's default 2 MB page cache made
  // each probe a read() from the OS (at 100k runs, half the time of a filtered search went to
  // the kernel). Pages are allocated as they are read, so a small store stays small.
  raw.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
  const stopStatistics = options.readOnly || options.path === ':memory:' ? () => {} : keepStatistics(raw);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(raw, stopStatistics) }) });
  return { db, raw };
}

/** Rows ANALYZE samples per index: a few milliseconds at any size (70 ms at 100k runs, loaded). */
const ANALYSIS_ROWS = 1000;
/** How often the statistics are refreshed while the server runs. */
const STATISTICS_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Gathers the planner's statistics now and every hour, as SQLite advises for long-lived
 * connections. Without them SQLite guesses that one experiment's runs are few, and a search for
 * `params.x = 'y'` read all 100k runs of the experiment instead of the 10k that have the value.
 * Returns what stops the refreshes.
 */
function keepStatistics(raw: BetterSqlite3.Database): () => void {
  raw.pragma(`analysis_limit = ${ANALYSIS_ROWS}`);
  const analyze = () => {
    try {
      raw.exec('ANALYZE');
    } catch {
      // Busy or read-only at this moment: the next round will do.
    }
  };
  analyze();
  const timer = setInterval(analyze, STATISTICS_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** The connection's page cache, in KiB (128 MiB). */
const PAGE_CACHE_KIB = 131_072;

/** Prepared statements kept per connection; past this many, the least recently used is dropped. */
const STATEMENT_CACHE_SIZE = 200;

/**
 * The connection as Kysely sees it, with its prepared statements kept: Kysely prepares every
 * statement it runs, and preparing costs more than running for a short query (a search page's
 * five statements spent 1.3 ms in prepare alone). A statement still being iterated (a stream) is
 * busy and is not handed out twice; a fresh one is prepared instead.
 */
function cachingStatements(raw: BetterSqlite3.Database, onClose: () => void): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(text) {
      const cached = statements.get(text);
      if (cached && !cached.busy) {
        // Re-inserting makes it the most recently used.
        statements.delete(text);
        statements.set(text, cached);
        return cached;
      }
      const statement = raw.prepare(text);
      if (!cached) {
        statements.set(text, statement);
        if (statements.size > STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
      }
      return statement;
    },
    close() {
      onClose();
      raw.close();
    },
  };
}
