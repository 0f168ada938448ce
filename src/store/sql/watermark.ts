import { type Kysely, sql } from 'kysely';

/**
 * The highest insertion sequence of a table now — optionally within the rows where `scope.column`
 * equals `scope.value` —: a search's first page pins it (see PagePosition), so rows inserted while
 * a client pages do not shift later pages. 0 for an empty table.
 */
export async function currentWatermark<DB>(
  db: Kysely<DB>,
  table: string,
  column: string,
  scope?: { readonly column: string; readonly value: string | number },
): Promise<number> {
  const where = scope ? sql` where ${sql.ref(scope.column)} = ${scope.value}` : sql``;
  const result = await sql<{
    max: number | null;
  }>`select max(${sql.ref(column)}) as max from ${sql.table(table)}${where}`.execute(db);
  return Number(result.rows[0]?.max ?? 0);
}
