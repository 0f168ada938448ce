import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import { MlflowError } from '../../core/errors.ts';
import type { Comparator, Value } from '../../search/ast.ts';
import type { SqlDialect } from './dialect.ts';

const ALWAYS = sql<SqlBool>`1 = 1`;
const NEVER = sql<SqlBool>`1 = 0`;

/**
 * `column <comparator> value` for one parsed comparison. Equality is the database's own (exact on
 * SQLite and PostgreSQL); LIKE and ILIKE go through the dialect, which owns case sensitivity.
 */
export function compareColumn<DB, TB extends keyof DB>(
  eb: ExpressionBuilder<DB, TB>,
  column: Expression<unknown>,
  comparator: Comparator,
  value: Value,
  dialect: SqlDialect,
): Expression<SqlBool> {
  switch (comparator) {
    case 'LIKE':
    case 'ILIKE':
      return dialect.likeMatch(column as Expression<string>, pattern(value, comparator), comparator === 'LIKE');
    case 'IN':
    case 'NOT IN': {
      const values = list(value, comparator);
      // An empty IN list is a syntax error on PostgreSQL and MySQL; MLflow's SQLAlchemy also
      // turns it into a constant.
      if (values.length === 0) return comparator === 'IN' ? NEVER : ALWAYS;
      return eb(column, comparator === 'IN' ? 'in' : 'not in', values);
    }
    case '=':
    case '!=':
    case '<':
    case '<=':
    case '>':
    case '>=':
      return eb(column, comparator === '!=' ? '<>' : comparator, scalar(value, comparator));
    default:
      return assertNever(comparator);
  }
}

function scalar(value: Value, comparator: Comparator): string | number {
  if (value.kind === 'list') throw mismatch(comparator);
  return value.value;
}

function pattern(value: Value, comparator: Comparator): string {
  if (value.kind !== 'string') throw mismatch(comparator);
  return value.value;
}

function list(value: Value, comparator: Comparator): readonly string[] {
  if (value.kind !== 'list') throw mismatch(comparator);
  return value.values;
}

// The parser never builds these; an AST made elsewhere could.
const mismatch = (comparator: Comparator) =>
  MlflowError.invalidParameter(`Comparator '${comparator}' does not take this kind of value`);

function assertNever(value: never): never {
  throw new MlflowError('INTERNAL_ERROR', `Unexpected comparator ${String(value)}`);
}

/** The constant of a metric comparison, which the parser only builds from a number. */
export function numericValue(value: Value): number {
  if (value.kind !== 'number') throw MlflowError.invalidParameter('Expected a numeric value');
  return value.value;
}
