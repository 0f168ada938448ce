import type {
  ColumnDataType,
  ColumnDefinitionBuilder,
  Compilable,
  Expression,
  InsertQueryBuilder,
  Kysely,
  RawBuilder,
  SelectQueryBuilder,
  SqlBool,
} from 'kysely';

/** A column of a bulk statement, with the type the engine needs to bind a whole column at once. */
export interface BulkColumn {
  readonly name: string;
  readonly type: 'text' | 'double' | 'bigint' | 'smallint';
}

/** A unique key as the database has it: table and columns, lower-case. */
export interface UniqueKey {
  readonly table: string;
  readonly columns: readonly string[];
}

/**
 * Columns that move together in an upsert (upsertGreatestPerGroup), most significant first: the
 * incoming values replace the stored ones when the incoming tuple is greater, comparing a
 * `negated` column by its negation, or when the stored first column is NULL. An incoming NULL
 * first column never replaces anything.
 */
export interface MergeGroup {
  readonly order: readonly { readonly name: string; readonly negated?: boolean }[];
}

/** One row of a bulk statement, in the order of its columns. */
export type BulkRow = readonly (string | number | null)[];

/**
 * How a transaction isolates itself. `serializable` (the default) stands in for SQLite's single
 * writer: any read-then-write is safe. `row-locked` is for work whose first statement locks every
 * row it depends on (FOR UPDATE): READ COMMITTED is then enough, and a waiter sees what the lock's
 * previous holder committed instead of failing on a stale snapshot and retrying.
 */
export type TransactionMode = 'serializable' | 'row-locked';

/**
 * What differs between SQLite, PostgreSQL and MySQL, and nothing more: the shared queries in this
 * folder are written once against these traits (kysely-style capability flags, not `kind ===` checks).
 */
export interface SqlDialect {
  readonly name: 'sqlite' | 'postgres' | 'mysql';
  readonly autoIncrementType: ColumnDataType;
  autoIncrementColumn(column: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  /** INSERT that silently skips rows whose key already exists (ON CONFLICT DO NOTHING / INSERT IGNORE). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- generic over every table
  insertIgnoringDuplicates<Q extends InsertQueryBuilder<any, any, any>>(query: Q): Q;
  /**
   * Runs `work` while holding the database's migration lock, so that one migrator wins and the
   * others wait and then find nothing left to do.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations address tables outside the typed schema
  withMigrationLock<T>(db: Kysely<any>, work: (db: Kysely<any>) => Promise<T>): Promise<T>;
  /**
   * Runs `work` in one transaction, re-running it where the engine rolled it back on a deadlock or
   * serialization conflict (work only touches the database, so that is safe).
   */
  transaction<DB, T>(db: Kysely<DB>, work: (db: Kysely<DB>) => Promise<T>, mode?: TransactionMode): Promise<T>;
  /**
   * Appends rows in as few statements as the engine allows, skipping rows whose key exists: the
   * ingest hot path, written per engine and kept off the query builder.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- generic over every table
  appendRows(db: Kysely<any>, table: string, columns: readonly BulkColumn[], rows: readonly BulkRow[]): Promise<void>;
  /**
   * A register that only moves forward: inserts `rows`, and where a row with the same `key`
   * columns exists, overwrites it only when the incoming `order` tuple is greater than the stored
   * one. One statement; new rows are inserted in the given order (which keeps, e.g., the order in
   * which a run's metric keys first appeared). Callers that may race on the same keys hold a lock
   * that serialises them (TrackingStore.writeRun), so lock order within the statement is moot.
   */
  upsertGreatest(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- generic over every table
    db: Kysely<any>,
    table: string,
    columns: readonly BulkColumn[],
    rows: readonly BulkRow[],
    spec: { readonly key: readonly string[]; readonly order: readonly string[] },
  ): Promise<void>;
  /**
   * upsertGreatest for rows holding several independent registers: each group of columns moves
   * forward on its own (see MergeGroup), in one statement, through the same bulk path. Columns
   * outside the key and the groups are written only by the insert.
   */
  upsertGreatestPerGroup(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- generic over every table
    db: Kysely<any>,
    table: string,
    columns: readonly BulkColumn[],
    rows: readonly BulkRow[],
    spec: { readonly key: readonly string[]; readonly groups: readonly MergeGroup[] },
  ): Promise<void>;
  /**
   * Runs a SELECT on the store's connection and returns its rows as arrays, in the order of the
   * select list. SQLite reads them straight off the statement (raw mode): for thousands of rows
   * that costs half of building an object per row, which is most of a downsampled read there.
   * Absent where the driver has no such mode; callers then map the row objects.
   */
  selectArrays?(query: Compilable): Promise<unknown[][]>;
  /** Turns a driver error into an MlflowError where it has a meaning for callers; returns other errors unchanged. */
  translateError(error: unknown): unknown;
  /**
   * MLflow's LIKE (`caseSensitive`) and ILIKE. `%` and `_` are the only wildcards and no character
   * escapes them, as on MLflow's SQLite store; LIKE is case-sensitive on every database, although
   * SQLite's and MySQL's LIKE are not by default.
   */
  likeMatch(value: Expression<string>, pattern: string, caseSensitive: boolean): Expression<SqlBool>;
  /**
   * Where NULL sorts when ORDER BY says nothing: below every value (SQLite, MySQL) or above it
   * (PostgreSQL). Searches put missing values last and spell that out only where the engine would
   * not, so that an index can still yield the order.
   */
  readonly nullsSortLow: boolean;
  /** Whether ORDER BY takes NULLS FIRST / NULLS LAST (MySQL's does not). */
  readonly orderByNullsModifier: boolean;
  /**
   * Whether the planner turns `EXISTS (subquery)` into a join it can start from (PostgreSQL, and
   * MariaDB's exists_to_in). SQLite does not: there a selective filter is written `IN (subquery)`
   * so that its index can drive the search.
   */
  readonly plansExistsAsJoin: boolean;
  /**
   * Whether `a CROSS JOIN b` makes the planner read `a` first (SQLite's documented rule). Where it
   * does, a search ordered by a metric can walk that metric's index (run-search-walk.ts).
   */
  readonly crossJoinFixesOrder: boolean;
  /**
   * An aggregate: per group, the text of a JSON array holding one array of `values` per row, in
   * `orderBy` order. Reading a page of runs, one such row per run parses faster than a row per
   * entry. Absent where the engine has no ordered JSON aggregate; callers then read plain rows.
   */
  jsonArrayAgg?(values: readonly Expression<unknown>[], orderBy: Expression<unknown>): RawBuilder<string>;
  /**
   * Makes a SELECT lock the rows it reads until the transaction ends (PostgreSQL and MySQL:
   * `FOR UPDATE`). SQLite returns the query unchanged: `transaction()` already holds the database
   * write lock from BEGIN IMMEDIATE on, which serialises every writer.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- generic over every table
  lockRowsForUpdate<Q extends SelectQueryBuilder<any, any, any>>(query: Q): Q;
  /**
   * The database server's current time in epoch milliseconds, for leases shared by replicas: one
   * clock (the database's) decides when a lease ran out, not each node's.
   */
  currentTimeMillis(): Expression<number>;
  /**
   * Has the planner's statistics gathered now for `tables`: after a bulk load (import, restore)
   * the planner otherwise plans with what it knew of the empty tables until autovacuum or the
   * next scheduled ANALYZE, and picks nested loops over thousands of rows (PostgreSQL took 2.4 s
   * for a search that takes milliseconds once analysed).
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- maintenance addresses every table of the schema
  refreshStatistics(db: Kysely<any>, tables: readonly string[]): Promise<void>;
  /** Names of the indexes in the store's own schema (introspection for `plumb db check`). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- introspection addresses tables outside the typed schema
  listIndexNames(db: Kysely<any>): Promise<string[]>;
  /**
   * Every unique key of the store's own tables (primary keys, unique constraints and unique
   * indexes alike) as table and column names, lower-case: what `plumb db check` compares with the
   * keys the migrations declare. Names are not compared, because SQLite and MySQL drop them.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- introspection addresses tables outside the typed schema
  listUniqueKeys(db: Kysely<any>): Promise<UniqueKey[]>;
  /** Highest number of bound parameters one statement may carry. */
  readonly maxBoundParameters: number;
  /**
   * After rows were inserted with explicit values in the auto-increment `column` (a restore, an
   * import), makes the next generated value greater than every stored one. PostgreSQL's identity
   * sequences need it; SQLite and MySQL move their counters past explicit values themselves and
   * leave this out.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- generic over every table
  syncAutoIncrement?(db: Kysely<any>, table: string, column: string): Promise<void>;
}
