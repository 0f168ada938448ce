import { CompiledQuery, Kysely, PostgresDialect, type SqlBool, sql } from 'kysely';
import type { Pool, PoolConfig } from 'pg';
import { MlflowError } from '../../core/errors.ts';
import { onConflictKeepGreatest, onConflictKeepGreatestPerGroup } from '../sql/bulk-statements.ts';
import { groupKeys } from '../sql/unique-keys.ts';
import type { BulkColumn, BulkRow, SqlDialect, TransactionMode } from '../sql/dialect.ts';
import type { Database } from '../sql/schema.ts';
import type { ConnectionPoolUse } from '../store.ts';

/**
 * Key of the session-independent advisory lock every migrator takes. Any fixed 64-bit number works;
 * this one is "plumb" in ASCII, so it does not collide with another tool's lock by accident.
 */
export const MIGRATION_LOCK_KEY = 0x706c756d62;

/** SQLSTATEs after which re-running the whole transaction is safe and expected to succeed. */
const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected
/** Attempts in all, the first included; past that the client gets TEMPORARILY_UNAVAILABLE. */
const MAX_ATTEMPTS = 12;

export const postgresDialect: SqlDialect = {
  name: 'postgres',
  autoIncrementType: 'bigint',
  // BY DEFAULT, not ALWAYS: the Default experiment is inserted with the explicit id 0.
  autoIncrementColumn: (c) => c.primaryKey().generatedByDefaultAsIdentity(),
  insertIgnoringDuplicates: (query) => query.onConflict((oc) => oc.doNothing()) as typeof query,
  // A transaction-scoped advisory lock: released by COMMIT or ROLLBACK, never left behind by a
  // crashed migrator, and the DDL itself is transactional on PostgreSQL, so a failed migration
  // leaves nothing half-applied.
  withMigrationLock: (db, work) =>
    db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${sql.lit(MIGRATION_LOCK_KEY)})`.execute(trx);
      return work(trx);
    }),
  transaction: retryingTransaction,
  appendRows: (db, table, columns, rows) => insertUnnest(db, table, columns, rows, 'on conflict do nothing'),
  upsertGreatest: (db, table, columns, rows, spec) =>
    insertUnnest(db, table, columns, rows, onConflictKeepGreatest(quote, table, columns, spec)),
  upsertGreatestPerGroup: (db, table, columns, rows, spec) =>
    insertUnnest(db, table, columns, rows, onConflictKeepGreatestPerGroup(quote, table, spec)),
  translateError: translatePostgresError,
  // now() is the transaction's start time: every comparison within one claim sees the same instant.
  currentTimeMillis: () => sql<number>`cast(floor(extract(epoch from now()) * 1000) as bigint)`,
  refreshStatistics: async (db, tables) => {
    await sql`analyze ${sql.join(tables.map((table) => sql.table(table)))}`.execute(db);
  },
  listIndexNames: async (db) =>
    (
      await sql<{ name: string }>`select indexname as name from pg_indexes where schemaname = current_schema()`.execute(
        db,
      )
    ).rows.map((r) => r.name),
  async listUniqueKeys(db) {
    const result = await sql<{ tbl: string; idx: string; col: string }>`
      select t.relname as tbl, i.relname as idx, a.attname as col
      from pg_index x
      join pg_class t on t.oid = x.indrelid
      join pg_class i on i.oid = x.indexrelid
      join pg_namespace n on n.oid = t.relnamespace
      cross join lateral unnest(x.indkey) with ordinality as k(attnum, ord)
      join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum
      where x.indisunique and n.nspname = current_schema()
      order by t.relname, i.relname, k.ord`.execute(db);
    return groupKeys(result.rows.map((r) => ({ table: r.tbl, key: r.idx, column: r.col })));
  },
  likeMatch(value, pattern, caseSensitive) {
    // ESCAPE '' turns off PostgreSQL's default backslash escape: `%` and `_` stay the only
    // metacharacters and `\` matches itself, as on MLflow's SQLite store.
    return caseSensitive
      ? sql<SqlBool>`${value} like ${pattern} escape ''`
      : sql<SqlBool>`${value} ilike ${pattern} escape ''`;
  },
  lockRowsForUpdate: (query) => query.forUpdate() as typeof query,
  nullsSortLow: false,
  orderByNullsModifier: true,
  plansExistsAsJoin: true,
  crossJoinFixesOrder: false,
  jsonArrayAgg: (values, orderBy) =>
    sql<string>`json_agg(json_build_array(${sql.join(values)}) order by ${orderBy})::text`,
  // The wire protocol counts bind parameters in an unsigned 16-bit field.
  maxBoundParameters: 65535,
  // Explicit ids do not advance an identity's sequence: set it past the largest stored id.
  async syncAutoIncrement(db, table, column) {
    await sql`select setval(pg_get_serial_sequence(${quote(table)}, ${column}), coalesce(max(${sql.ref(column)}), 0) + 1, false) from ${sql.table(table)}`.execute(
      db,
    );
  },
};

const quote = (identifier: string) => `"${identifier}"`;
const ARRAY_TYPES: Record<BulkColumn['type'], string> = {
  text: 'text[]',
  double: 'float8[]',
  bigint: 'int8[]',
  smallint: 'int2[]',
};

/**
 * `INSERT … SELECT * FROM unnest($1::text[], $2::float8[], …)`: one bound array per column, so a
 * batch of any size is one short statement that parses the same every time — PostgreSQL's
 * equivalent of COPY that, unlike COPY, can say ON CONFLICT.
 */
async function insertUnnest(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- generic over every table
  db: Kysely<any>,
  table: string,
  columns: readonly BulkColumn[],
  rows: readonly BulkRow[],
  suffix: string,
): Promise<void> {
  if (rows.length === 0) return;
  const arrays = columns.map((_, i) => rows.map((row) => row[i] ?? null));
  const unnest = columns.map((c, i) => `$${i + 1}::${ARRAY_TYPES[c.type]}`).join(', ');
  const text = `insert into ${quote(table)} (${columns.map((c) => quote(c.name)).join(', ')}) select * from unnest(${unnest}) ${suffix}`;
  await db.executeQuery(CompiledQuery.raw(text, arrays));
}

/**
 * SERIALIZABLE stands in for SQLite's single writer: any interleaving PostgreSQL cannot make
 * equivalent to a serial order fails with 40001 instead of silently losing an update
 * (check-then-insert of names, registry numbering). Work that locks its rows first runs in READ
 * COMMITTED (see TransactionMode). Conflicts and deadlocks are retried here with jittered backoff;
 * `work` only touches the database, so a re-run is safe.
 */
async function retryingTransaction<DB, T>(
  db: Kysely<DB>,
  work: (db: Kysely<DB>) => Promise<T>,
  mode: TransactionMode = 'serializable',
): Promise<T> {
  const isolation = mode === 'row-locked' ? 'read committed' : 'serializable';
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().setIsolationLevel(isolation).execute(work);
    } catch (error) {
      const state = sqlStateOf(error);
      if (state === undefined || !RETRYABLE.has(state)) throw error;
      if (attempt >= MAX_ATTEMPTS) {
        throw new MlflowError(
          'TEMPORARILY_UNAVAILABLE',
          'The database is busy with conflicting writes; retry the request.',
        );
      }
      const ceiling = Math.min(500, 5 * 2 ** attempt);
      await new Promise((resolve) => setTimeout(resolve, ceiling / 2 + Math.random() * (ceiling / 2)));
    }
  }
}

/**
 * The SQLSTATE each translated error came from. A shared query may translate inside the
 * transaction; the retry loop must still recognise a conflict it wrapped. Kept off the error
 * itself because `details` go out on the wire.
 */
const translatedFrom = new WeakMap<MlflowError, string>();

/** The SQLSTATE of a driver error or of the MlflowError it was translated into. */
function sqlStateOf(error: unknown): string | undefined {
  if (error instanceof MlflowError) return translatedFrom.get(error);
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export function translatePostgresError(error: unknown): unknown {
  if (error instanceof MlflowError) return error;
  const state = sqlStateOf(error);
  if (state === undefined) return error;
  const translated = translateState(state, (error as Error).message);
  if (translated) translatedFrom.set(translated, state);
  return translated ?? error;
}

function translateState(state: string, message: string): MlflowError | undefined {
  if (state === '23505') return new MlflowError('RESOURCE_ALREADY_EXISTS', `Duplicate entry: ${message}`);
  if (RETRYABLE.has(state)) {
    return new MlflowError(
      'TEMPORARILY_UNAVAILABLE',
      'The database is busy with conflicting writes; retry the request.',
    );
  }
  // 57014 query_canceled: the statement timeout fired. 53300 too_many_connections, 57P0x admin
  // shutdown / crash recovery, 08xxx connection failures: the database, not the request, is at fault.
  if (state === '57014') return new MlflowError('DEADLINE_EXCEEDED', `The database statement timed out: ${message}`);
  if (state === '53300' || state.startsWith('57P') || state.startsWith('08')) {
    return new MlflowError('TEMPORARILY_UNAVAILABLE', `The database is unavailable: ${message}`);
  }
  // 22001 string too long for its column: SQLite does not enforce VARCHAR lengths, PostgreSQL does.
  if (state === '22001') return new MlflowError('INVALID_PARAMETER_VALUE', `Value too long: ${message}`);
  return undefined;
}

export interface PostgresOptions {
  /** A libpq-style URI, `postgresql://user:password@host:port/database?sslmode=…`. */
  readonly connectionString: string;
  /** Connections this process keeps at most (default 10). */
  readonly poolSize?: number | undefined;
  /** An idle connection is closed after this long (default 30 s). */
  readonly idleTimeoutMs?: number | undefined;
  /** The server cancels any statement running longer than this (default: no limit). */
  readonly statementTimeoutMs?: number | undefined;
  /** Inspection only: every transaction is read-only, so `db status` cannot change the schema. */
  readonly readOnly?: boolean | undefined;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * Opens a Kysely instance over a lazily created `pg.Pool`. The driver is imported on the first
 * query, not when this module loads, so a SQLite-only server never loads it.
 */
export function openPostgres(options: PostgresOptions): Kysely<Database> {
  return openPostgresPool(options).db;
}

/** `openPostgres`, plus the pool's use (undefined until the first query created the pool). */
/** Connections the pool opens at most: `pool_size` in the URI, or 10. */
export function connectionPoolSize(options: { readonly poolSize?: number | undefined }): number {
  return options.poolSize ?? 10;
}

export function openPostgresPool(options: PostgresOptions): {
  db: Kysely<Database>;
  connectionPool: () => ConnectionPoolUse | undefined;
} {
  let created: Pool | undefined;
  const createPool = async (): Promise<Pool> => {
    const pg = (await import('pg')).default;
    const builtin = pg.types;
    const config: PoolConfig = {
      connectionString: options.connectionString,
      max: connectionPoolSize(options),
      idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
      application_name: 'plumb',
      // Per pool, not pg.types.setTypeParser: other pg users in the process keep their parsers.
      // BIGINT holds ms timestamps, steps and ids, all far below 2^53; NUMERIC comes from extract().
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID || oid === NUMERIC_OID
            ? (value: string) => Number(value)
            : builtin.getTypeParser(oid, format)) as typeof builtin.getTypeParser,
      },
      ...(options.statementTimeoutMs !== undefined ? { statement_timeout: options.statementTimeoutMs } : {}),
      ...(options.readOnly ? { options: '-c default_transaction_read_only=on' } : {}),
    };
    const pool = new pg.Pool(config);
    // An idle connection the server dropped emits 'error' on the pool; without a listener that
    // would crash the process. The pool has already discarded it and the next query opens another.
    pool.on('error', () => undefined);
    created = pool;
    return pool;
  };
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: createPool }) });
  const connectionPool = () =>
    created && {
      max: created.options.max,
      open: created.totalCount,
      idle: created.idleCount,
      waiting: created.waitingCount,
    };
  return { db, connectionPool };
}
