import { type Kysely, sql } from 'kysely';
import { DEFAULT_EXPERIMENT_ID } from '../../core/entities.ts';
import { MlflowError } from '../../core/errors.ts';
import type {
  DumpColumnKind,
  DumpReader,
  DumpRow,
  DumpStore,
  DumpTable,
  DumpWriter,
  StoreContent,
  StoreEngine,
} from '../maintenance-store.ts';
import type { PlannedMigration } from '../store.ts';
import type { BulkColumn, SqlDialect } from './dialect.ts';
import { columnKind, DUMP_TABLES, type DumpTableSpec, SCHEMA_TABLES } from './dump-tables.ts';
import { rollupBackfill } from './metric-rollups.ts';
import type { Migrator } from './migrator.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- dumps address every table generically
type AnyDb = Kysely<any>;

const DEFAULT_PAGE = 2000;
const MAX_ROWS_PER_INSERT = 5000;

const specs = new Map(DUMP_TABLES.map((spec) => [spec.name, spec]));

function specOf(table: string): DumpTableSpec {
  const spec = specs.get(table);
  if (!spec) throw new MlflowError('INVALID_PARAMETER_VALUE', `'${table}' is not a data table of this release`);
  return spec;
}

/** Plumb's data tables present in the database, in foreign-key order, with their columns as stored. */
async function presentTables(db: AnyDb): Promise<DumpTable[]> {
  const byName = new Map((await db.introspection.getTables()).map((t) => [t.name, t]));
  return DUMP_TABLES.flatMap((spec) => {
    const table = byName.get(spec.name);
    if (!table) return [];
    return [{ name: spec.name, columns: table.columns.map((c) => ({ name: c.name, kind: columnKind(c.dataType) })) }];
  });
}

async function countRows(db: AnyDb, table: string): Promise<number> {
  const row = await db.selectFrom(table).select(sql<number | string>`count(*)`.as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Drivers may return 64-bit integers as strings or bigints: a dump holds plain numbers and strings. */
function normalise(value: unknown, kind: DumpTable['columns'][number]['kind']): string | number | null {
  if (value === null || value === undefined) return null;
  if (kind === 'text') return typeof value === 'string' ? value : String(value);
  const number = Number(value);
  if (!Number.isFinite(number)) throw new MlflowError('DATA_LOSS', `A stored number is not finite: ${String(value)}`);
  return number;
}

async function* pagesOf(db: AnyDb, table: DumpTable, pageSize: number): AsyncGenerator<readonly DumpRow[]> {
  const spec = specOf(table.name);
  const names = table.columns.map((c) => c.name);
  const keyPositions = spec.key.map((k) => names.indexOf(k));
  let after: readonly (string | number | null)[] | undefined;
  for (;;) {
    let query = db.selectFrom(table.name).select(names);
    if (after) {
      const bound = after;
      // A row-value comparison: the next page starts after the last key seen (keyset paging).
      query = query.where(
        sql<boolean>`(${sql.join(spec.key.map((k) => sql.ref(k)))}) > (${sql.join(keyPositions.map((i) => bound[i]))})`,
      );
    }
    for (const k of spec.key) query = query.orderBy(k);
    const rows = (await query.limit(pageSize).execute()) as Record<string, unknown>[];
    const page = rows.map((row) => table.columns.map((c) => normalise(row[c.name], c.kind)));
    if (page.length > 0) yield page;
    if (rows.length < pageSize) return;
    after = page.at(-1);
  }
}

async function contentOf(db: AnyDb): Promise<StoreContent> {
  const tables = await presentTables(db);
  if (tables.length === 0) return 'no-schema';
  let rows = 0;
  for (const table of tables) {
    rows += await countRows(db, table.name);
    if (rows > 1) return 'data';
  }
  if (rows === 0) return 'empty';
  // One row: empty only if it is the Default experiment a server creates on its first start.
  const only = await db.selectFrom('experiments').select('experiment_id').executeTakeFirst();
  return only && String(only.experiment_id) === DEFAULT_EXPERIMENT_ID ? 'empty' : 'data';
}

const BULK_TYPES: Record<DumpColumnKind, BulkColumn['type']> = { integer: 'bigint', number: 'double', text: 'text' };

/** Appends rows through the engine's bulk path (unnest arrays, prepared single-row statements…). */
async function insertRows(
  db: AnyDb,
  dialect: SqlDialect,
  table: DumpTable,
  columns: readonly string[],
  rows: readonly DumpRow[],
): Promise<void> {
  specOf(table.name);
  const bulk = columns.map((name): BulkColumn => {
    const column = table.columns.find((c) => c.name === name);
    if (!column) throw new MlflowError('INVALID_PARAMETER_VALUE', `${table.name} has no column ${name}`);
    return { name, type: BULK_TYPES[column.kind] };
  });
  const perStatement = Math.max(
    1,
    Math.min(MAX_ROWS_PER_INSERT, Math.floor(dialect.maxBoundParameters / columns.length)),
  );
  for (let start = 0; start < rows.length; start += perStatement) {
    await dialect.appendRows(db, table.name, bulk, rows.slice(start, start + perStatement));
  }
}

/**
 * A dump made before migration 8 carries metric points but no rollups: they are derived from the
 * points, so they are computed here rather than left empty (downsampled reads would miss points).
 */
async function rebuildRollupsIfMissing(db: AnyDb): Promise<void> {
  const hasRollups = await db.selectFrom('metric_rollups').select('run_uuid').limit(1).executeTakeFirst();
  const hasPoints = await db.selectFrom('metrics').select('run_uuid').limit(1).executeTakeFirst();
  if (hasRollups || !hasPoints) return;
  for (const statement of rollupBackfill(db)) await db.executeQuery(statement.compile());
}

/** Backups and dumps over any SQL engine: reads in keyset pages inside one snapshot, loads in one transaction. */
export class SqlDumpStore implements DumpStore {
  readonly engine: StoreEngine;

  constructor(
    private readonly db: AnyDb,
    private readonly dialect: SqlDialect,
    private readonly migrator: Migrator,
  ) {
    this.engine = dialect.name;
  }

  knownMigrations(): readonly PlannedMigration[] {
    return this.migrator.migrations.map((m) => this.migrator.plan(m));
  }

  content(): Promise<StoreContent> {
    return contentOf(this.db);
  }

  read<T>(work: (reader: DumpReader) => Promise<T>): Promise<T> {
    // REPEATABLE READ is a snapshot on PostgreSQL and InnoDB; SQLite ignores the level, and its
    // read transaction (in WAL mode) is a snapshot from the first read on.
    return this.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute(async (trx) => {
        const tables = await presentTables(trx);
        return work({
          tables,
          count: (table) => countRows(trx, specOf(table).name),
          rows: (table, pageSize = DEFAULT_PAGE) => pagesOf(trx, table, pageSize),
        });
      });
  }

  async load(work: (writer: DumpWriter) => Promise<void>): Promise<void> {
    // dialect.transaction may run `work` again after a serialization conflict: callers re-read their input.
    await this.dialect.transaction(this.db, async (trx) => {
      const content = await contentOf(trx);
      if (content === 'no-schema') throw new MlflowError('INVALID_STATE', 'The database has no Plumb schema yet');
      if (content === 'data') {
        throw new MlflowError('INVALID_STATE', 'The target database already holds data; load into an empty database');
      }
      await trx.deleteFrom('experiments').execute(); // the pristine Default experiment, if any
      const tables = await presentTables(trx);
      const byName = new Map(tables.map((t) => [t.name, t]));
      await work({
        tables,
        insert: async (table, columns, rows) => {
          const target = byName.get(table);
          if (!target) throw new MlflowError('INVALID_PARAMETER_VALUE', `'${table}' is not a table of this database`);
          await insertRows(trx, this.dialect, target, columns, rows);
        },
        count: (table) => countRows(trx, specOf(table).name),
      });
      await rebuildRollupsIfMissing(trx);
      for (const table of tables) {
        const serial = specOf(table.name).serial;
        if (serial) await this.dialect.syncAutoIncrement?.(trx, table.name, serial);
      }
    });
    await this.refreshStatistics();
  }

  async refreshStatistics(): Promise<void> {
    const present = new Set((await presentTables(this.db)).map((t) => t.name));
    await this.dialect.refreshStatistics(
      this.db,
      DUMP_TABLES.map((t) => t.name).filter((name) => present.has(name)),
    );
  }

  async dropAll(): Promise<void> {
    const present = new Set((await this.db.introspection.getTables()).map((t) => t.name));
    const order = [...DUMP_TABLES.map((t) => t.name).reverse(), ...SCHEMA_TABLES];
    for (const table of order) {
      if (present.has(table)) await this.db.schema.dropTable(table).execute();
    }
  }
}
