import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.ts';

/** The highest insertion sequence of a table now: a search's first page pins it (see PagePosition). */
export async function currentWatermark(
  db: Kysely<Database>,
  table: 'runs' | 'experiments',
  column: 'row_id' | 'experiment_id',
): Promise<number> {
  const result = await sql<{
    max: number | null;
  }>`select max(${sql.ref(column)}) as max from ${sql.table(table)}`.execute(db);
  return Number(result.rows[0]?.max ?? 0);
}
