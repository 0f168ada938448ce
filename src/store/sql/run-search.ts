import { type Expression, type ExpressionBuilder, type SelectQueryBuilder, type SqlBool, sql } from 'kysely';
import { MlflowError } from '../../core/errors.ts';
import type { Comparison, Filter, OrderBy } from '../../search/ast.ts';
import type { SqlDialect } from './dialect.ts';
import type { Database, RunsTable } from './schema.ts';
import { compareColumn, numericValue } from './search-compare.ts';

type RunsQuery<O> = SelectQueryBuilder<Database, 'runs', O>;
type RunsBuilder = ExpressionBuilder<Database, 'runs'>;

/** Canonical run attribute (ast.ts) → column of `runs`. */
const RUN_COLUMNS = {
  run_id: 'run_uuid',
  // MLflow filters run_name through the mlflow.runName tag because its runs.name column is empty
  // for runs logged before 1.29; our store keeps runs.name and that tag in step, so the column serves.
  run_name: 'name',
  status: 'status',
  user_id: 'user_id',
  artifact_uri: 'artifact_uri',
  lifecycle_stage: 'lifecycle_stage',
  start_time: 'start_time',
  end_time: 'end_time',
} as const satisfies Record<string, keyof RunsTable>;

/** The input tag that holds a dataset's role in a run ("training", "eval", …). */
const DATASET_CONTEXT_TAG = 'mlflow.data.context';

/** params and tags have the same columns, so one typing serves both. */
const keyValueTable = (type: 'param' | 'tag') => (type === 'param' ? 'params as kv' : 'tags as kv') as 'params as kv';

function runColumn(key: string): `runs.${keyof RunsTable}` {
  const column = (RUN_COLUMNS as Record<string, keyof RunsTable>)[key];
  if (column === undefined || !Object.hasOwn(RUN_COLUMNS, key)) {
    throw MlflowError.invalidParameter(`Invalid attribute key '${key}' specified.`);
  }
  return `runs.${column}`;
}

/**
 * Restricts a runs query to the runs matching every comparison. Metrics compare the run's latest
 * value; a NaN metric satisfies only `!=`, as NaN does in IEEE arithmetic and in MLflow's in-memory
 * search (its SQL store compares the stored placeholder 0 instead). Params, tags and datasets match
 * when the run has such an entry whose value satisfies the comparison; a run without one never matches.
 */
export function applyRunFilter<O>(qb: RunsQuery<O>, filter: Filter, dialect: SqlDialect): RunsQuery<O> {
  return filter.reduce<RunsQuery<O>>((q, comparison) => q.where((eb) => runCondition(eb, comparison, dialect)), qb);
}

function runCondition(eb: RunsBuilder, c: Comparison, dialect: SqlDialect): Expression<SqlBool> {
  const { type, key } = c.identifier;
  switch (type) {
    case 'attribute':
      return compareColumn(eb, eb.ref(runColumn(key)), c.comparator, c.value, dialect);
    case 'metric':
      return eb.exists(
        eb
          .selectFrom('latest_metrics as lm')
          .select(sql.lit(1).as('one'))
          .whereRef('lm.run_uuid', '=', 'runs.run_uuid')
          .where('lm.key', '=', key)
          .where((m) =>
            c.comparator === '!='
              ? m.or([m('lm.is_nan', '=', 1), m('lm.value', '<>', numericValue(c.value))])
              : m.and([m('lm.is_nan', '=', 0), compareColumn(m, m.ref('lm.value'), c.comparator, c.value, dialect)]),
          ),
      );
    case 'param':
    case 'tag': {
      const matching = eb
        .selectFrom(keyValueTable(type))
        .where('kv.key', '=', key)
        .where((kv) => compareColumn(kv, kv.ref('kv.value'), c.comparator, c.value, dialect));
      // An equality usually selects few runs: as `run_uuid IN (…)` the (key, value, run_uuid)
      // index can yield them first, and the runs are looked up by id, instead of every run of the
      // experiment being probed for the entry. Only where the planner would not find that plan
      // from EXISTS itself: PostgreSQL's, without statistics yet, chose far worse from IN.
      if (!dialect.plansExistsAsJoin && (c.comparator === '=' || c.comparator === 'IN')) {
        return eb('runs.run_uuid', 'in', matching.select('kv.run_uuid'));
      }
      return eb.exists(matching.select(sql.lit(1).as('one')).whereRef('kv.run_uuid', '=', 'runs.run_uuid'));
    }
    case 'dataset':
      return eb.exists(
        eb
          .selectFrom('inputs as i')
          .innerJoin('datasets as d', 'd.dataset_uuid', 'i.source_id')
          .select(sql.lit(1).as('one'))
          .where('i.destination_type', '=', 'RUN')
          .where('i.source_type', '=', 'DATASET')
          .whereRef('i.destination_id', '=', 'runs.run_uuid')
          .where((d) =>
            key === 'context'
              ? d.exists(
                  d
                    .selectFrom('input_tags as it')
                    .select(sql.lit(1).as('one'))
                    .whereRef('it.input_uuid', '=', 'i.input_uuid')
                    .where('it.name', '=', DATASET_CONTEXT_TAG)
                    .where((t) => compareColumn(t, t.ref('it.value'), c.comparator, c.value, dialect)),
                )
              : compareColumn(d, d.ref(key === 'name' ? 'd.name' : 'd.digest'), c.comparator, c.value, dialect),
          ),
      );
    default:
      return assertNever(type);
  }
}

/**
 * Orders a runs query as MLflow does: each clause sorts runs missing the key last in either
 * direction, and for metrics NaN values after all numbers but before missing ones; then start_time
 * DESC (unless a clause already sorts by it) and run_uuid ASC break ties. With no clauses this is
 * MLflow's default order, start_time DESC then run_uuid ASC, written so that an index on
 * (experiment_id, start_time DESC, run_uuid) yields it without sorting.
 */
export function applyRunOrderBy<O>(qb: RunsQuery<O>, orderBy: readonly OrderBy[], dialect: SqlDialect): RunsQuery<O> {
  let q = orderBy.reduce<RunsQuery<O>>((acc, clause, i) => orderByClause(acc, clause, `ob${i}`, dialect), qb);
  const sortsByStart = orderBy.some((o) => o.identifier.type === 'attribute' && o.identifier.key === 'start_time');
  if (!sortsByStart) {
    q = orderByClause(q, { identifier: { type: 'attribute', key: 'start_time' }, ascending: false }, '', dialect);
  }
  return q.orderBy('runs.run_uuid', 'asc');
}

/** Run columns that may be NULL: only these need "missing last" spelled out. */
const NULLABLE_COLUMNS: ReadonlySet<string> = new Set(['runs.start_time', 'runs.end_time']);

/**
 * Sorts by `column`, NULLs last in either direction: the engine's own NULL order where it already
 * puts them last (so an index can still yield the order), NULLS LAST where the engine has it, and
 * an "is missing" key before the column elsewhere.
 */
function orderNullsLast<O>(
  q: RunsQuery<O>,
  column: Expression<unknown>,
  direction: 'asc' | 'desc',
  dialect: SqlDialect,
): RunsQuery<O> {
  const alreadyLast = dialect.nullsSortLow ? direction === 'desc' : direction === 'asc';
  if (alreadyLast) return q.orderBy(column, direction);
  if (dialect.orderByNullsModifier) return q.orderBy(column, (ob) => ob[direction]().nullsLast());
  return q.orderBy(sql`case when ${column} is null then 1 else 0 end`, 'asc').orderBy(column, direction);
}

/**
 * One order clause. A metric, param or tag is joined once under its own alias (`alias`): its
 * table has one row per (run, key) at most, so the join never repeats a run, and one lookup per
 * run gives both the "is missing"/NaN rank and the value.
 */
function orderByClause<O>(
  q: RunsQuery<O>,
  { identifier: { type, key }, ascending }: OrderBy,
  alias: string,
  dialect: SqlDialect,
): RunsQuery<O> {
  const direction = ascending ? 'asc' : 'desc';
  switch (type) {
    case 'attribute': {
      const column = runColumn(key);
      return NULLABLE_COLUMNS.has(column)
        ? orderNullsLast(q, sql.ref(column), direction, dialect)
        : q.orderBy(column, direction);
    }
    case 'metric': {
      const joined = joinEntry(q, 'latest_metrics', alias, key);
      const ref = (column: string) => sql.ref(`${alias}.${column}`);
      // Numbers, then NaN (stored as 0 with is_nan = 1, so the value ties them), then missing.
      return joined
        .orderBy(sql`case when ${ref('run_uuid')} is null then 2 when ${ref('is_nan')} = 1 then 1 else 0 end`, 'asc')
        .orderBy(ref('value'), direction);
    }
    case 'param':
    case 'tag': {
      const joined = joinEntry(q, type === 'param' ? 'params' : 'tags', alias, key);
      return orderNullsLast(joined, sql.ref(`${alias}.value`), direction, dialect);
    }
    case 'dataset':
      throw MlflowError.invalidParameter(`Invalid identifier type 'dataset'`);
    default:
      return assertNever(type);
  }
}

/** LEFT JOINs the run's row of `key` in `table` as `alias`; the selection stays the caller's. */
function joinEntry<O>(
  q: RunsQuery<O>,
  table: 'latest_metrics' | 'params' | 'tags',
  alias: string,
  key: string,
): RunsQuery<O> {
  // The alias is made up per clause, which Kysely's typed joins cannot express.
  const joined = (q as RunsQuery<O> & { leftJoin: (...args: unknown[]) => unknown }).leftJoin(
    `${table} as ${alias}`,
    (join: { onRef: (a: string, op: '=', b: string) => { on: (a: string, op: '=', v: string) => unknown } }) =>
      join.onRef(`${alias}.run_uuid`, '=', 'runs.run_uuid').on(`${alias}.key`, '=', key),
  );
  return joined as RunsQuery<O>;
}

function assertNever(value: never): never {
  throw new MlflowError('INTERNAL_ERROR', `Unexpected entity type ${String(value)}`);
}
