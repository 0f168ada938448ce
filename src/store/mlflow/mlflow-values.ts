import type { MlflowTag } from '../mlflow-source.ts';

/**
 * Column values as the three drivers return them, read into plain JS values. PostgreSQL gives
 * booleans and (with Plumb's pool settings) numbers for BIGINT; MySQL and SQLite give 0/1 and
 * numbers; some MySQL setups return DECIMAL-like strings for numeric expressions such as COUNT.
 */
export type Row = Record<string, unknown>;

export function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

export function numOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : num(value);
}

export function str(value: unknown): string {
  return typeof value === 'string' ? value : String(value ?? '');
}

export function strOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : str(value);
}

export function bool(value: unknown): boolean {
  return value === true || num(value) === 1;
}

export function tagOf(row: Row, keyColumn = 'key', valueColumn = 'value'): MlflowTag {
  return { key: str(row[keyColumn]), value: strOrNull(row[valueColumn]) };
}

/** Rows grouped by one column's value, keeping their order. */
export function groupBy(rows: readonly Row[], column: string): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const key = str(row[column]);
    const list = groups.get(key);
    if (list) list.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}
