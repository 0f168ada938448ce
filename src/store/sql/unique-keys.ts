import type { Compilable, CreateIndexNode, CreateTableNode, OperationNode } from 'kysely';
import type { UniqueKey } from './dialect.ts';

/** Introspection rows (one per key column, in key order) grouped into keys. */
export function groupKeys(rows: readonly { table: string; key: string; column: string }[]): UniqueKey[] {
  const keys = new Map<string, { table: string; columns: string[] }>();
  for (const row of rows) {
    const id = `${row.table}\0${row.key}`;
    let key = keys.get(id);
    if (!key) keys.set(id, (key = { table: row.table.toLowerCase(), columns: [] }));
    key.columns.push(row.column.toLowerCase());
  }
  return [...keys.values()];
}

/** `table(a, b)`: how a key is named in reports; columns sorted, since their order does not make a key. */
export function keyLabel(key: UniqueKey): string {
  return `${key.table}(${[...key.columns].sort().join(', ')})`;
}

/**
 * The unique keys a migration's statements declare, read from Kysely's operation nodes (not the
 * SQL), so they are the same for every dialect: column-level PRIMARY KEY and UNIQUE, table
 * constraints, and unique indexes.
 */
export function declaredUniqueKeys(statements: readonly Compilable[]): UniqueKey[] {
  const keys: UniqueKey[] = [];
  for (const statement of statements) {
    const node = (statement as unknown as { toOperationNode(): OperationNode }).toOperationNode();
    if (node.kind === 'CreateTableNode') keys.push(...tableKeys(node as CreateTableNode));
    if (node.kind === 'CreateIndexNode') {
      const index = node as CreateIndexNode;
      if (index.unique && index.table) {
        keys.push({
          table: index.table.table.identifier.name.toLowerCase(),
          columns: (index.columns ?? []).map(columnName),
        });
      }
    }
  }
  return keys;
}

function tableKeys(node: CreateTableNode): UniqueKey[] {
  const table = node.table.table.identifier.name.toLowerCase();
  const keys: UniqueKey[] = [];
  for (const column of node.columns) {
    if (column.primaryKey || column.unique) keys.push({ table, columns: [column.column.column.name.toLowerCase()] });
  }
  for (const constraint of node.constraints ?? []) {
    if (constraint.kind === 'PrimaryKeyConstraintNode' || constraint.kind === 'UniqueConstraintNode') {
      keys.push({ table, columns: constraint.columns.map((c) => c.column.name.toLowerCase()) });
    }
  }
  return keys;
}

function columnName(node: OperationNode): string {
  const column = node as { kind: string; column?: { name?: string } };
  if (column.kind === 'ColumnNode' && column.column?.name) return column.column.name.toLowerCase();
  return JSON.stringify(node);
}
