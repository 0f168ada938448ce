import { type Expression, type ExpressionBuilder, type SelectQueryBuilder, type SqlBool, sql } from 'kysely';
import { MlflowError } from '../../core/errors.ts';
import type { Comparison, Filter, OrderBy } from '../../search/ast.ts';
import type { SqlDialect } from './dialect.ts';
import type { Database, ExperimentsTable } from './schema.ts';
import { compareColumn } from './search-compare.ts';

type ExperimentsQuery<O> = SelectQueryBuilder<Database, 'experiments', O>;
type ExperimentsBuilder = ExpressionBuilder<Database, 'experiments'>;

/** Canonical experiment attribute (ast.ts) → column of `experiments`. */
const EXPERIMENT_COLUMNS = {
  name: 'name',
  experiment_id: 'experiment_id',
  creation_time: 'creation_time',
  last_update_time: 'last_update_time',
  lifecycle_stage: 'lifecycle_stage',
} as const satisfies Record<string, keyof ExperimentsTable>;

function experimentColumn(key: string): `experiments.${keyof ExperimentsTable}` {
  if (!Object.hasOwn(EXPERIMENT_COLUMNS, key)) {
    throw MlflowError.invalidParameter(`Invalid attribute key '${key}' specified.`);
  }
  return `experiments.${EXPERIMENT_COLUMNS[key as keyof typeof EXPERIMENT_COLUMNS]}`;
}

/**
 * Restricts an experiments query to those matching every comparison. A tag comparison matches
 * experiments that have the tag with a satisfying value; one without the tag never matches.
 */
export function applyExperimentFilter<O>(
  qb: ExperimentsQuery<O>,
  filter: Filter,
  dialect: SqlDialect,
): ExperimentsQuery<O> {
  return filter.reduce<ExperimentsQuery<O>>(
    (q, comparison) => q.where((eb) => experimentCondition(eb, comparison, dialect)),
    qb,
  );
}

function experimentCondition(eb: ExperimentsBuilder, c: Comparison, dialect: SqlDialect): Expression<SqlBool> {
  const { type, key } = c.identifier;
  if (type === 'attribute') {
    return compareColumn(eb, eb.ref(experimentColumn(key)), c.comparator, c.value, dialect);
  }
  if (type === 'tag') {
    return eb.exists(
      eb
        .selectFrom('experiment_tags as et')
        .select(sql.lit(1).as('one'))
        .whereRef('et.experiment_id', '=', 'experiments.experiment_id')
        .where('et.key', '=', key)
        .where((t) => compareColumn(t, t.ref('et.value'), c.comparator, c.value, dialect)),
    );
  }
  throw MlflowError.invalidParameter(`Invalid token type: ${type}`);
}

const DEFAULT_ORDER: readonly OrderBy[] = [
  { identifier: { type: 'attribute', key: 'creation_time' }, ascending: false },
  { identifier: { type: 'attribute', key: 'experiment_id' }, ascending: true },
];

/**
 * Orders an experiments query as MLflow does: by default newest first (creation_time DESC, then
 * experiment_id ASC); otherwise by the given clauses, then experiment_id DESC to break ties unless
 * a clause already sorts by it. Every sortable column is NOT NULL, so no NULL handling is needed.
 */
export function applyExperimentOrderBy<O>(
  qb: ExperimentsQuery<O>,
  orderBy: readonly OrderBy[],
  _dialect: SqlDialect,
): ExperimentsQuery<O> {
  const clauses = orderBy.length > 0 ? orderBy : DEFAULT_ORDER;
  const hasId = clauses.some((o) => o.identifier.type === 'attribute' && o.identifier.key === 'experiment_id');
  const all = hasId
    ? clauses
    : [...clauses, { identifier: { type: 'attribute', key: 'experiment_id' }, ascending: false }];
  return all.reduce<ExperimentsQuery<O>>((q, { identifier, ascending }) => {
    if (identifier.type !== 'attribute') {
      throw MlflowError.invalidParameter(`Invalid order_by entity: ${identifier.type}`);
    }
    return q.orderBy(experimentColumn(identifier.key), ascending ? 'asc' : 'desc');
  }, qb);
}
