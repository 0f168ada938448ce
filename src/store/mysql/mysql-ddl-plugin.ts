import {
  CreateTableNode,
  DataTypeNode,
  type KyselyPlugin,
  type OperationNode,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  PrimaryKeyConstraintNode,
  type QueryResult,
  type RootOperationNode,
  sql,
  UniqueConstraintNode,
  type UnknownRow,
} from 'kysely';

/** InnoDB's index key limit (DYNAMIC row format), in bytes. */
const MAX_KEY_BYTES = 3072;
/** utf8mb4 stores up to 4 bytes per character and InnoDB reserves the maximum for a key. */
const BYTES_PER_CHAR = 4;
const FIXED_BYTES: Record<string, number> = {
  bigint: 8,
  integer: 4,
  smallint: 2,
  'double precision': 8,
};

/**
 * Adapts the shared migrations' CREATE TABLE statements to MySQL/MariaDB at compile time, so the
 * migration files (and what they compile to on SQLite and PostgreSQL) stay as they are; the
 * MySQL checksums are taken over the adapted SQL.
 *
 * - Every table is utf8mb4 with the `utf8mb4_bin` collation: MLflow's names, keys and `=` are
 *   case-sensitive, and the server's default collation (`utf8mb4_general_ci`) is not, so two
 *   experiments "A" and "a" would collide and `name = 'a'` would find "A".
 * - `text` becomes `mediumtext`: MySQL's TEXT holds 64 KiB, less than SQLite/PostgreSQL text,
 *   and strict mode would refuse longer JSON payloads instead of storing them.
 * - A primary key wider than InnoDB's 3072-byte key limit under utf8mb4 (logged_model_metrics:
 *   two varchar(500) columns) becomes a UNIQUE constraint over the same columns, which MariaDB
 *   (≥ 10.4) enforces through a hidden hash index with the same duplicate-key semantics.
 */
export class MysqlDdlPlugin implements KyselyPlugin {
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const node = args.node;
    return CreateTableNode.is(node) ? adaptCreateTable(node) : node;
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}

function adaptCreateTable(node: CreateTableNode): CreateTableNode {
  const widths = new Map(node.columns.map((c) => [c.column.column.name, keyBytes(c.dataType)]));
  const columns = node.columns.map((c) =>
    DataTypeNode.is(c.dataType) && c.dataType.dataType === 'text'
      ? { ...c, dataType: sql.raw('mediumtext').toOperationNode() }
      : c,
  );
  const constraints = node.constraints?.map((constraint) => {
    if (!PrimaryKeyConstraintNode.is(constraint)) return constraint;
    const width = constraint.columns.reduce((sum, c) => sum + (widths.get(c.column.name) ?? Infinity), 0);
    if (width <= MAX_KEY_BYTES) return constraint;
    return UniqueConstraintNode.create(
      constraint.columns.map((c) => c.column.name),
      constraint.name?.name,
    );
  });
  return {
    ...node,
    columns,
    ...(constraints ? { constraints } : {}),
    endModifiers: [
      ...(node.endModifiers ?? []),
      sql.raw('engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin').toOperationNode(),
    ],
  };
}

/** Bytes a column takes in an InnoDB key; Infinity for types that cannot be in one unprefixed. */
function keyBytes(dataType: OperationNode): number {
  if (!DataTypeNode.is(dataType)) return Infinity;
  const fixed = FIXED_BYTES[dataType.dataType];
  if (fixed !== undefined) return fixed;
  const chars = /^(?:var)?char\((\d+)\)$/.exec(dataType.dataType);
  return chars ? Number(chars[1]) * BYTES_PER_CHAR : Infinity;
}
