import { type Kysely, sql } from 'kysely';
import type { MlflowSchemaInfo } from '../mlflow-source.ts';
import { num, type Row, str } from './mlflow-values.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a foreign schema that varies by MLflow release
export type MlflowDb = Kysely<any>;

/** The MLflow tables the importer reads; each may be missing in an older schema. */
export const IMPORTED_TABLES = [
  'experiments',
  'experiment_tags',
  'runs',
  'params',
  'tags',
  'metrics',
  'latest_metrics',
  'datasets',
  'inputs',
  'input_tags',
  'logged_models',
  'logged_model_params',
  'logged_model_tags',
  'logged_model_metrics',
  'registered_models',
  'registered_model_tags',
  'model_versions',
  'model_version_tags',
  'registered_model_aliases',
] as const;

/** Bookkeeping tables with nothing to import: the schema revision, and the (single) workspace. */
const BOOKKEEPING_TABLES = new Set(['alembic_version', 'workspaces']);

/** Which tables and columns this MLflow database has: what a schema from MLflow 2.0 on may lack. */
export class MlflowColumns {
  private constructor(private readonly tables: ReadonlyMap<string, ReadonlySet<string>>) {}

  /**
   * Introspects the database. On PostgreSQL a table name may exist in several schemas; the one in
   * `public` wins, as MLflow's default search_path would pick it.
   */
  static async of(db: MlflowDb): Promise<MlflowColumns> {
    const tables = new Map<string, Set<string>>();
    const found = (await db.introspection.getTables()).sort(
      (a, b) => Number(b.schema === 'public') - Number(a.schema === 'public'),
    );
    for (const table of found) {
      const name = table.name.toLowerCase();
      if (!tables.has(name)) tables.set(name, new Set(table.columns.map((c) => c.name.toLowerCase())));
    }
    return new MlflowColumns(tables);
  }

  hasTable(table: string): boolean {
    return this.tables.has(table);
  }

  has(table: string, column: string): boolean {
    return this.tables.get(table)?.has(column) ?? false;
  }

  get tableNames(): string[] {
    return [...this.tables.keys()].sort();
  }
}

export async function countAll(db: MlflowDb, table: string): Promise<number> {
  const row = (await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirst()) as Row | undefined;
  return num(row?.n ?? 0);
}

export async function inspectSchema(db: MlflowDb, columns: MlflowColumns): Promise<MlflowSchemaInfo> {
  let alembicRevision: string | null = null;
  if (columns.hasTable('alembic_version')) {
    const row = (await db.selectFrom('alembic_version').select('version_num').executeTakeFirst()) as Row | undefined;
    alembicRevision = row ? str(row.version_num) : null;
  }
  const workspaces = new Set<string>();
  for (const table of ['experiments', 'registered_models']) {
    if (!columns.has(table, 'workspace')) continue;
    const rows = (await db.selectFrom(table).select('workspace').distinct().execute()) as Row[];
    for (const r of rows) workspaces.add(str(r.workspace));
  }
  const imported = new Set<string>(IMPORTED_TABLES);
  const unsupportedRows: { table: string; rows: number }[] = [];
  for (const table of columns.tableNames) {
    if (imported.has(table) || BOOKKEEPING_TABLES.has(table)) continue;
    const rows = await countAll(db, table);
    if (rows > 0) unsupportedRows.push({ table, rows });
  }
  return { alembicRevision, tables: columns.tableNames, workspaces: [...workspaces].sort(), unsupportedRows };
}

/** `column` when the table has it, else a constant (the default MLflow gave rows before the column existed). */
export function columnOr(columns: MlflowColumns, table: string, column: string, fallback: number | null) {
  return columns.has(table, column) ? sql.ref(`${table}.${column}`).as(column) : sql.lit(fallback).as(column);
}
