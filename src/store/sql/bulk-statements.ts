import { CompiledQuery, type Kysely } from 'kysely';
import type { BulkColumn, BulkRow, MergeGroup } from './dialect.ts';

/**
 * Rows per multi-row statement. Beyond ~1000 rows a statement gets no faster on any of the three
 * engines (STACK.md measures ×1000), while its SQL text and packet keep growing.
 */
const MAX_ROWS_PER_STATEMENT = 1000;

/** How an engine writes a multi-row VALUES insert: identifier quoting and what follows VALUES. */
export interface ValuesSyntax {
  quote(identifier: string): string;
  readonly maxBoundParameters: number;
}

const statementCache = new Map<string, string>();

/**
 * Runs `INSERT INTO table (columns) VALUES (?, …), … <suffix>` over all rows, as many per
 * statement as the engine's parameter limit allows, with `?` placeholders (SQLite, MySQL). The SQL
 * text of a full chunk is built once per shape and reused, so a 1000-row batch costs no string
 * building and no query-builder compilation.
 */
export async function insertValues(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- generic over every table
  db: Kysely<any>,
  syntax: ValuesSyntax,
  table: string,
  columns: readonly BulkColumn[],
  rows: readonly BulkRow[],
  suffix: string,
): Promise<void> {
  const perStatement = Math.max(
    1,
    Math.min(MAX_ROWS_PER_STATEMENT, Math.floor(syntax.maxBoundParameters / columns.length)),
  );
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const text = valuesStatement(syntax, table, columns, chunk.length, suffix);
    await db.executeQuery(CompiledQuery.raw(text, chunk.flat()));
  }
}

/** `INSERT INTO table (columns) VALUES (?, …) <suffix>`: one row, for a statement prepared once. */
export function singleRowInsert(
  quote: (identifier: string) => string,
  table: string,
  columns: readonly BulkColumn[],
  suffix: string,
): string {
  const names = columns.map((c) => quote(c.name)).join(', ');
  return `insert into ${quote(table)} (${names}) values (${columns.map(() => '?').join(', ')})${suffix ? ` ${suffix}` : ''}`;
}

function valuesStatement(
  syntax: ValuesSyntax,
  table: string,
  columns: readonly BulkColumn[],
  rowCount: number,
  suffix: string,
): string {
  const key = `${table}\0${columns.map((c) => c.name).join(',')}\0${rowCount}\0${suffix}`;
  let text = statementCache.get(key);
  if (text === undefined) {
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    text = `insert into ${syntax.quote(table)} (${columns.map((c) => syntax.quote(c.name)).join(', ')}) values ${Array(rowCount).fill(tuple).join(', ')}${suffix ? ` ${suffix}` : ''}`;
    // Only full chunks recur often enough to be worth keeping; the cache stays small either way.
    if (rowCount === MAX_ROWS_PER_STATEMENT || statementCache.size < 256) statementCache.set(key, text);
  }
  return text;
}

/** `(a, b, c)` over qualified or unqualified column names, for row-value comparisons. */
export function rowValue(names: readonly string[], reference: (name: string) => string): string {
  return `(${names.map(reference).join(', ')})`;
}

/**
 * `ON CONFLICT (key) DO UPDATE … WHERE incoming order > stored order` (PostgreSQL and SQLite):
 * the stored row is overwritten only by a greater `order` tuple, compared as a row value.
 */
export function onConflictKeepGreatest(
  quote: (identifier: string) => string,
  table: string,
  columns: readonly BulkColumn[],
  spec: { readonly key: readonly string[]; readonly order: readonly string[] },
): string {
  const assignments = columns
    .filter((c) => !spec.key.includes(c.name))
    .map((c) => `${quote(c.name)} = excluded.${quote(c.name)}`)
    .join(', ');
  const incoming = rowValue(spec.order, (n) => `excluded.${quote(n)}`);
  const stored = rowValue(spec.order, (n) => `${quote(table)}.${quote(n)}`);
  return `on conflict (${spec.key.map(quote).join(', ')}) do update set ${assignments} where ${incoming} > ${stored}`;
}

/**
 * The condition under which a group's incoming values replace the stored ones (see MergeGroup),
 * with the engine's spelling of an incoming and a stored column.
 */
export function groupWins(
  group: MergeGroup,
  incoming: (name: string) => string,
  stored: (name: string) => string,
): string {
  const term = (reference: (name: string) => string) => (c: MergeGroup['order'][number]) =>
    c.negated ? `-${reference(c.name)}` : reference(c.name);
  const names = group.order.map((c) => c.name);
  const greater = `(${group.order.map(term(incoming)).join(', ')}) > (${group.order.map(term(stored)).join(', ')})`;
  return `(${stored(names[0]!)} is null or ${greater})`;
}

/** `ON CONFLICT (key) DO UPDATE` moving each group forward on its own (PostgreSQL and SQLite). */
export function onConflictKeepGreatestPerGroup(
  quote: (identifier: string) => string,
  table: string,
  spec: { readonly key: readonly string[]; readonly groups: readonly MergeGroup[] },
): string {
  const incoming = (n: string) => `excluded.${quote(n)}`;
  const stored = (n: string) => `${quote(table)}.${quote(n)}`;
  const assignments = spec.groups.flatMap((group) => {
    const wins = groupWins(group, incoming, stored);
    return group.order.map(
      (c) => `${quote(c.name)} = case when ${wins} then ${incoming(c.name)} else ${stored(c.name)} end`,
    );
  });
  return `on conflict (${spec.key.map(quote).join(', ')}) do update set ${assignments.join(', ')}`;
}
