import { type DatabaseConnection, Kysely, MysqlDialect, type SqlBool, sql } from 'kysely';
import type { Pool } from 'mysql2';
import { MlflowError } from '../../core/errors.ts';
import { groupWins, insertValues, rowValue, type ValuesSyntax } from '../sql/bulk-statements.ts';
import { groupKeys } from '../sql/unique-keys.ts';
import type { BulkColumn, MergeGroup, SqlDialect, TransactionMode } from '../sql/dialect.ts';
import type { Database } from '../sql/schema.ts';
import type { ConnectionPoolUse } from '../store.ts';
import { MysqlDdlPlugin } from './mysql-ddl-plugin.ts';

/** MySQL error numbers (`errno`) with a meaning for callers; MariaDB uses the same numbers. */
const ER_DUP_ENTRY = 1062;
const ER_LOCK_WAIT_TIMEOUT = 1205;
const ER_LOCK_DEADLOCK = 1213;
/** A transaction that lost a deadlock or timed out on a row lock is rolled back whole: safe to run again. */
const RETRYABLE = new Set([ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT]);
const TRANSACTION_ATTEMPTS = 5;
/** How long a second migrator waits for the first one before giving up, in seconds. */
const MIGRATION_LOCK_TIMEOUT_S = 600;
/**
 * LIKE's escape character. MySQL's default escape is `\`, which MLflow's semantics (and the port's
 * contract) treat as a literal; `ESCAPE ''` is refused under NO_BACKSLASH_ESCAPES and differs
 * between MySQL and MariaDB, so we name a rare character and escape that one instead.
 */
const LIKE_ESCAPE = '|';
const MAX_BOUND_PARAMETERS = 65535;
const syntax: ValuesSyntax = { quote: (id) => `\`${id}\``, maxBoundParameters: MAX_BOUND_PARAMETERS };

export const mysqlDialect: SqlDialect = {
  name: 'mysql',
  // bigint so that the foreign keys declared as bigint match the referenced auto-increment column.
  autoIncrementType: 'bigint',
  autoIncrementColumn: (c) => c.primaryKey().autoIncrement(),
  insertIgnoringDuplicates(query) {
    // INSERT IGNORE would also swallow truncation, bad-value and foreign-key errors; a no-op
    // ON DUPLICATE KEY UPDATE skips only rows whose unique key exists.
    const first = query.toOperationNode().columns?.[0]?.column.name;
    if (first === undefined) throw new MlflowError('INTERNAL_ERROR', 'insertIgnoringDuplicates needs named columns');
    return query.onDuplicateKeyUpdate({ [first]: sql.ref(first) }) as typeof query;
  },
  withMigrationLock: (db, work) => withNamedLock(db, work),
  transaction: retryingTransaction,
  // A no-op assignment skips exactly the rows whose unique key exists (see insertIgnoringDuplicates).
  appendRows: (db, table, columns, rows) =>
    insertValues(
      db,
      syntax,
      table,
      columns,
      rows,
      `on duplicate key update ${syntax.quote(columns[0]!.name)} = ${syntax.quote(columns[0]!.name)}`,
    ),
  upsertGreatest: (db, table, columns, rows, spec) =>
    insertValues(db, syntax, table, columns, rows, keepGreatest(columns, spec)),
  upsertGreatestPerGroup: (db, table, columns, rows, spec) =>
    insertValues(db, syntax, table, columns, rows, keepGreatestPerGroup(spec.groups)),
  translateError,
  likeMatch(value, pattern, caseSensitive) {
    const escaped = pattern.replaceAll(LIKE_ESCAPE, LIKE_ESCAPE + LIKE_ESCAPE);
    // utf8mb4_bin compares characters by code point, so `_` still matches one character (BINARY
    // would compare bytes, and `_` would match one byte of a multi-byte character).
    return caseSensitive
      ? sql<SqlBool>`(${value} collate utf8mb4_bin like ${escaped} escape ${sql.lit(LIKE_ESCAPE)})`
      : sql<SqlBool>`(lower(${value}) like lower(${escaped}) escape ${sql.lit(LIKE_ESCAPE)})`;
  },
  lockRowsForUpdate: (query) => query.forUpdate() as typeof query,
  nullsSortLow: true,
  orderByNullsModifier: false,
  plansExistsAsJoin: true,
  crossJoinFixesOrder: false,
  // The session runs in UTC (see openMysql), so UNIX_TIMESTAMP never meets a DST gap.
  currentTimeMillis: () => sql<number>`cast(unix_timestamp(now(3)) * 1000 as signed)`,
  refreshStatistics: async (db, tables) => {
    await sql`analyze table ${sql.join(tables.map((table) => sql.table(table)))}`.execute(db);
  },
  listIndexNames: async (db) =>
    (
      await sql<{
        name: string;
      }>`select distinct index_name as name from information_schema.statistics where table_schema = database()`.execute(
        db,
      )
    ).rows.map((r) => r.name),
  async listUniqueKeys(db) {
    const result = await sql<{ tbl: string; idx: string; col: string }>`
      select table_name as tbl, index_name as idx, column_name as col from information_schema.statistics
      where table_schema = database() and non_unique = 0 order by table_name, index_name, seq_in_index`.execute(db);
    return groupKeys(result.rows.map((r) => ({ table: r.tbl, key: r.idx, column: r.col })));
  },
  maxBoundParameters: MAX_BOUND_PARAMETERS,
};

/**
 * ON DUPLICATE KEY UPDATE has no WHERE, so each column is assigned `IF(incoming > stored, new,
 * old)`. MySQL evaluates the assignments left to right and later ones see earlier results, so
 * the order columns go last, least significant first: an assignment can only turn the comparison
 * false when the incoming and stored tuples have become equal up to that column, and then every
 * column still to be assigned already holds the incoming value.
 */
function keepGreatest(
  columns: readonly BulkColumn[],
  spec: { readonly key: readonly string[]; readonly order: readonly string[] },
): string {
  const q = syntax.quote;
  const greater = `${rowValue(spec.order, (n) => `values(${q(n)})`)} > ${rowValue(spec.order, q)}`;
  const others = columns.map((c) => c.name).filter((n) => !spec.key.includes(n) && !spec.order.includes(n));
  const assigned = [...others, ...[...spec.order].reverse()];
  return `on duplicate key update ${assigned.map((n) => `${q(n)} = if(${greater}, values(${q(n)}), ${q(n)})`).join(', ')}`;
}

/**
 * keepGreatest per group: each group's columns are assigned least significant first, for the
 * same reason as above, and a group's condition reads only its own columns, so the groups do not
 * disturb each other. The NULL test is on the group's first column, which is assigned last.
 */
function keepGreatestPerGroup(groups: readonly MergeGroup[]): string {
  const q = syntax.quote;
  const assigned = groups.flatMap((group) => {
    const wins = groupWins(group, (n) => `values(${q(n)})`, q);
    return [...group.order].reverse().map((c) => `${q(c.name)} = if(${wins}, values(${q(c.name)}), ${q(c.name)})`);
  });
  return `on duplicate key update ${assigned.join(', ')}`;
}

function errnoOf(error: unknown): number | undefined {
  const errno = (error as { errno?: unknown } | null)?.errno;
  return typeof errno === 'number' ? errno : undefined;
}

function translateError(error: unknown): unknown {
  if (error instanceof MlflowError) return error;
  const errno = errnoOf(error);
  if (errno === ER_DUP_ENTRY) return MlflowError.alreadyExists(`Duplicate entry: ${(error as Error).message}`);
  if (errno !== undefined && RETRYABLE.has(errno)) {
    return new MlflowError('TEMPORARILY_UNAVAILABLE', 'The database is busy; retry the request.');
  }
  return error;
}

/**
 * InnoDB resolves a deadlock by rolling back one transaction, and a lock wait timeout rolls back
 * the statement; either way nothing of `work` is kept, so it runs again (a bounded number of times,
 * with jittered backoff) instead of the client seeing the deadlock.
 */
async function retryingTransaction<DB, T>(
  db: Kysely<DB>,
  work: (db: Kysely<DB>) => Promise<T>,
  mode: TransactionMode = 'serializable',
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      // InnoDB's REPEATABLE READ serves the other work (with explicit FOR UPDATE where it writes
      // what it read). Row-locked work runs in READ COMMITTED: no gap locks between writers of
      // different rows, and each statement after the lock sees the previous holder's commit.
      const transaction = db.transaction();
      const isolated = mode === 'row-locked' ? transaction.setIsolationLevel('read committed') : transaction;
      return await isolated.execute((trx) => work(trx));
    } catch (error) {
      const errno = errnoOf(error);
      if (errno === undefined || !RETRYABLE.has(errno) || attempt >= TRANSACTION_ATTEMPTS) {
        throw translateError(error);
      }
      await new Promise((r) => setTimeout(r, attempt * 10 + Math.random() * 20));
    }
  }
}

/**
 * GET_LOCK on one connection for the whole run of `work`. The name carries the database, because
 * named locks are server-wide and two databases on one server migrate independently. MySQL DDL
 * commits implicitly, so a migration that fails halfway cannot roll back: the lock only keeps
 * migrators from interleaving, and a failed run is repaired forward.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations address tables outside the typed schema
async function withNamedLock<T>(db: Kysely<any>, work: (db: Kysely<any>) => Promise<T>): Promise<T> {
  return db.connection().execute(async (conn) => {
    const name = sql`concat('plumb_migrations.', database())`;
    // A statement timeout would cut both the wait for the lock and long DDL short.
    const saved = await setStatementTimeout(conn, 0);
    try {
      const got = await sql<{ ok: number | null }>`select get_lock(${name}, ${MIGRATION_LOCK_TIMEOUT_S}) as ok`.execute(
        conn,
      );
      if (got.rows[0]?.ok !== 1) {
        throw new MlflowError('TEMPORARILY_UNAVAILABLE', 'Another process held the migration lock for too long.');
      }
      try {
        return await work(conn);
      } finally {
        await sql`select release_lock(${name})`.execute(conn);
      }
    } finally {
      await setStatementTimeout(conn, saved);
    }
  });
}

/**
 * Sets the session's statement timeout (MariaDB: max_statement_time in seconds, any statement;
 * MySQL: max_execution_time in ms, SELECT only) and returns the previous value in ms.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any database
async function setStatementTimeout(db: Kysely<any> | DatabaseConnection, ms: number): Promise<number> {
  const run = (query: ReturnType<typeof sql>) => db.executeQuery(query.compile(nullKysely));
  const mariadb = await run(sql`select @@session.max_statement_time as m`).catch(() => undefined);
  if (mariadb) {
    await run(sql`set session max_statement_time = ${ms / 1000}`);
    return Number((mariadb.rows[0] as { m: number | string } | undefined)?.m ?? 0) * 1000;
  }
  const previous = await run(sql`select @@session.max_execution_time as m`);
  await run(sql`set session max_execution_time = ${ms}`);
  return Number((previous.rows[0] as { m: number | string } | undefined)?.m ?? 0);
}

/** Compiles raw SQL for a bare connection (onCreateConnection has no Kysely instance yet). */
const nullKysely = new Kysely<unknown>({
  dialect: new MysqlDialect({ pool: () => Promise.reject(new Error('compile only')) }),
});

/**
 * mysql2's Pool keeps its counts in fields it does not declare: all connections, the idle ones and
 * the callers queued for one. Missing fields (another mysql2 version) read as zero, never throw.
 */
function poolUse(pool: Pool): ConnectionPoolUse {
  const internals = pool as unknown as {
    config?: { connectionLimit?: number };
    _allConnections?: { length: number };
    _freeConnections?: { length: number };
    _connectionQueue?: { length: number };
  };
  return {
    max: internals.config?.connectionLimit ?? 0,
    open: internals._allConnections?.length ?? 0,
    idle: internals._freeConnections?.length ?? 0,
    waiting: internals._connectionQueue?.length ?? 0,
  };
}

export interface MysqlOptions {
  /** mysql://user:password@host:port/database?… (any `+driver` suffix already removed or kept). */
  readonly uri: string;
  /** Connections the pool opens at most (default 10). */
  readonly connectionLimit?: number;
  /** Idle connections are closed after this many ms (default 60 s). */
  readonly idleTimeoutMs?: number;
  /** Statements running longer are killed by the server (default: none). */
  readonly statementTimeoutMs?: number;
  /** Inspection only (`db status`, `plumb doctor` on an MLflow database): every session refuses writes. */
  readonly readOnly?: boolean | undefined;
}

/**
 * Session settings every connection gets before its first query:
 * - NO_AUTO_VALUE_ON_ZERO: the Default experiment is inserted with id 0, which AUTO_INCREMENT
 *   would otherwise replace with the next value.
 * - strict mode: a too-long value is an error, never silently truncated.
 * - UTC, so UNIX_TIMESTAMP(NOW(3)) is the same instant on every replica and never hits a DST gap.
 * Kysely's MySQL compiler quotes identifiers with backticks, so ANSI_QUOTES is not needed (and
 * would break nothing only as long as no raw SQL uses a double-quoted string).
 */
const SQL_MODE = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO';

/**
 * Opens a pool over mysql2, which is imported lazily on the first query, so a server that does
 * not use MySQL never loads it. BIGINT comes back as JS numbers (ids and epoch ms stay far below
 * 2^53), and the connection collation is utf8mb4_bin to match the tables (see MysqlDdlPlugin).
 */
/** Connections the pool opens at most: `pool_size` in the URI, or 10. */
export function connectionLimitOf(options: { readonly connectionLimit?: number | undefined }): number {
  return options.connectionLimit ?? 10;
}

export function openMysql(options: MysqlOptions): {
  db: Kysely<Database>;
  pool: () => Pool | undefined;
  connectionPool: () => ConnectionPoolUse | undefined;
} {
  let created: Pool | undefined;
  const url = new URL(options.uri.replace(/^mysql\+[\w-]+:/, 'mysql:'));
  const dialect = new MysqlDialect({
    pool: async () => {
      const mysql = await import('mysql2');
      created = mysql.createPool({
        host: url.hostname,
        port: url.port ? Number(url.port) : 3306,
        user: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password),
        database: decodeURIComponent(url.pathname.replace(/^\//, '')),
        charset: 'UTF8MB4_BIN',
        supportBigNumbers: false,
        bigNumberStrings: false,
        connectionLimit: connectionLimitOf(options),
        maxIdle: connectionLimitOf(options),
        idleTimeout: options.idleTimeoutMs ?? 60_000,
        enableKeepAlive: true,
        timezone: 'Z',
      });
      return created;
    },
    onCreateConnection: async (conn) => {
      await conn.executeQuery(sql`set session sql_mode = ${SQL_MODE}, time_zone = '+00:00'`.compile(nullKysely));
      if (options.statementTimeoutMs) await setStatementTimeout(conn, options.statementTimeoutMs);
      if (options.readOnly) await conn.executeQuery(sql`set session transaction read only`.compile(nullKysely));
    },
  });
  const db = new Kysely<Database>({ dialect, plugins: [new MysqlDdlPlugin()] });
  return { db, pool: () => created, connectionPool: () => created && poolUse(created) };
}
