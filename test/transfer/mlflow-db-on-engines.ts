/**
 * The MLflow fixture's tables and rows, loaded into a PostgreSQL or MariaDB database, so the
 * importer can be tested reading MLflow's schema from those engines too. The fixture is SQLite;
 * its DDL is MLflow's (SQLAlchemy's) and is translated the way SQLAlchemy renders the same models
 * on the other engines: FLOAT is DOUBLE PRECISION / DOUBLE (MLflow's `Float(precision=53)`),
 * BOOLEAN is native on PostgreSQL and TINYINT(1) on MySQL, identifiers keep their names. CHECK and
 * FOREIGN KEY constraints are left out: the importer only reads, and they change nothing it sees.
 */
import BetterSqlite3 from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import { IMPORTED_TABLES } from '../../src/store/mlflow/mlflow-schema.ts';
import { openMysql } from '../../src/store/mysql/mysql-dialect.ts';
import { openPostgres } from '../../src/store/postgres/postgres-dialect.ts';

// The importer's tables, plus the two it only checks (schema revision, workspaces).
const TABLES = ['alembic_version', 'workspaces', ...IMPORTED_TABLES];

/** The comma-separated items of a CREATE TABLE body, split at top-level commas only. */
function topLevelItems(body: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of body) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      items.push(current.trim());
      current = '';
    } else current += c;
  }
  if (current.trim()) items.push(current.trim());
  return items;
}

export function translateDdl(ddl: string, engine: 'postgres' | 'mysql'): string {
  const open = ddl.indexOf('(');
  const head = ddl.slice(0, open);
  const body = ddl.slice(open + 1, ddl.lastIndexOf(')'));
  const kept = topLevelItems(body)
    .filter((item) => !/^(CONSTRAINT\s+\S+\s+)?(CHECK|FOREIGN KEY)\b/i.test(item))
    .map((item) => item.replace(/\bFLOAT\b/g, engine === 'postgres' ? 'DOUBLE PRECISION' : 'DOUBLE'));
  let text = `${head}(\n  ${kept.join(',\n  ')}\n)`;
  if (engine === 'mysql') {
    text = `${text.replaceAll('"', '`')} DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;
  }
  return text;
}

/** Creates the fixture's MLflow tables in the (empty) database at `uri` and copies every row. */
export async function loadMlflowFixture(sqlitePath: string, engine: 'postgres' | 'mysql', uri: string): Promise<void> {
  const sqlite = new BetterSqlite3(sqlitePath, { readonly: true });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- MLflow's tables, outside Plumb's typed schema
  const db: Kysely<any> = engine === 'postgres' ? openPostgres({ connectionString: uri }) : openMysql({ uri }).db;
  try {
    for (const table of TABLES) {
      const { sql: ddl } = sqlite.prepare('select sql from sqlite_master where name = ?').get(table) as { sql: string };
      await sql.raw(translateDdl(ddl, engine)).execute(db);
      const rows = sqlite.prepare(`select * from "${table}"`).all() as Record<string, unknown>[];
      for (let i = 0; i < rows.length; i += 200)
        await db
          .insertInto(table)
          .values(rows.slice(i, i + 200))
          .execute();
    }
  } finally {
    sqlite.close();
    await db.destroy();
  }
}
