import {
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type SelectQueryBuilder,
  type SqlBool,
  sql,
} from 'kysely';
import type { LoggedModel } from '../../core/logged-model.ts';
import { MlflowError } from '../../core/errors.ts';
import type { Comparison } from '../../search/ast.ts';
import type { LoggedModelOrderBy, LoggedModelQuery } from '../logged-model-store.ts';
import type { SearchPage } from '../store.ts';
import type { SqlDialect } from './dialect.ts';
import { LOGGED_MODEL_COLUMNS, loadLoggedModels } from './logged-model-queries.ts';
import type { Database, LoggedModelsTable } from './schema.ts';
import { currentWatermark } from './watermark.ts';
import { compareColumn, numericValue } from './search-compare.ts';

type ModelsQuery<O> = SelectQueryBuilder<Database, 'logged_models', O>;
type ModelsBuilder = ExpressionBuilder<Database, 'logged_models'>;
type Datasets = LoggedModelQuery['datasets'];

/** Canonical logged-model attribute (see the filter parser) → column of `logged_models`. */
const COLUMNS = {
  model_id: 'model_id',
  name: 'name',
  model_type: 'model_type',
  status: 'status',
  source_run_id: 'source_run_id',
  experiment_id: 'experiment_id',
  creation_timestamp: 'creation_timestamp_ms',
  last_updated_timestamp: 'last_updated_timestamp_ms',
} as const satisfies Record<string, keyof LoggedModelsTable>;

function column(key: string): `logged_models.${keyof LoggedModelsTable}` {
  if (!Object.hasOwn(COLUMNS, key)) throw MlflowError.invalidParameter(`Invalid attribute key '${key}' specified.`);
  return `logged_models.${(COLUMNS as Record<string, keyof LoggedModelsTable>)[key]!}`;
}

export async function searchLoggedModels(
  db: Kysely<Database>,
  dialect: SqlDialect,
  query: LoggedModelQuery,
): Promise<SearchPage<LoggedModel>> {
  const experimentIds = query.experimentIds.filter((id) => /^\d{1,18}$/.test(id)).map(Number);
  const watermark = query.watermark ?? (await currentWatermark(db, 'logged_models', 'row_id'));
  if (experimentIds.length === 0) return { items: [], hasMore: false, watermark };
  let qb = db
    .selectFrom('logged_models')
    .select(LOGGED_MODEL_COLUMNS)
    .where('logged_models.experiment_id', 'in', experimentIds)
    .where('logged_models.lifecycle_stage', '=', 'active')
    .where('logged_models.row_id', '<=', watermark);
  for (const comparison of query.filter) {
    qb = qb.where((eb) => condition(eb, comparison, query.datasets, dialect));
  }
  for (const clause of query.orderBy) qb = orderByClause(qb, clause);
  if (!query.orderBy.some((o) => o.type === 'attribute' && o.key === 'creation_timestamp')) {
    qb = qb.orderBy('logged_models.creation_timestamp_ms', 'desc');
  }
  const rows = await qb
    .orderBy('logged_models.model_id', 'asc')
    .limit(query.maxResults + 1)
    .offset(query.offset)
    .execute();
  const hasMore = rows.length > query.maxResults;
  return { items: await loadLoggedModels(db, rows.slice(0, query.maxResults)), hasMore, watermark };
}

/** Metric rows of the model (and key) within the requested datasets; no datasets means all. */
function metricRows(eb: ModelsBuilder, key: string, datasets: Datasets) {
  let q = eb
    .selectFrom('logged_model_metrics as lmm')
    .whereRef('lmm.model_id', '=', 'logged_models.model_id')
    .where('lmm.metric_name', '=', key);
  if (datasets.length > 0) {
    q = q.where((d) =>
      d.or(
        datasets.map((ds) =>
          ds.digest
            ? d.and([d('lmm.dataset_name', '=', ds.name), d('lmm.dataset_digest', '=', ds.digest)])
            : d('lmm.dataset_name', '=', ds.name),
        ),
      ),
    );
  }
  return q;
}

/**
 * A metric clause matches when any linked value does (MLflow: "metric values from ANY dataset
 * matching the criteria are considered"); NaN satisfies only `!=`, as in run search.
 */
function condition(eb: ModelsBuilder, c: Comparison, datasets: Datasets, dialect: SqlDialect): Expression<SqlBool> {
  const { type, key } = c.identifier;
  switch (type) {
    case 'attribute':
      return compareColumn(eb, eb.ref(column(key)), c.comparator, c.value, dialect);
    case 'metric':
      return eb.exists(
        metricRows(eb, key, datasets)
          .select(sql.lit(1).as('one'))
          .where((m) =>
            c.comparator === '!='
              ? m.or([m('lmm.is_nan', '=', 1), m('lmm.metric_value', '<>', numericValue(c.value))])
              : m.and([
                  m('lmm.is_nan', '=', 0),
                  compareColumn(m, m.ref('lmm.metric_value'), c.comparator, c.value, dialect),
                ]),
          ),
      );
    case 'param':
      return eb.exists(
        eb
          .selectFrom('logged_model_params as p')
          .select(sql.lit(1).as('one'))
          .whereRef('p.model_id', '=', 'logged_models.model_id')
          .where('p.param_key', '=', key)
          .where((p) => compareColumn(p, p.ref('p.param_value'), c.comparator, c.value, dialect)),
      );
    case 'tag':
      return eb.exists(
        eb
          .selectFrom('logged_model_tags as t')
          .select(sql.lit(1).as('one'))
          .whereRef('t.model_id', '=', 'logged_models.model_id')
          .where('t.tag_key', '=', key)
          .where((t) => compareColumn(t, t.ref('t.tag_value'), c.comparator, c.value, dialect)),
      );
    case 'dataset':
      throw MlflowError.invalidParameter("Invalid entity type 'dataset': use the 'datasets' field instead");
    default:
      return assertNever(type);
  }
}

/**
 * Models missing the key sort last in either direction. A metric sorts by its latest linked value
 * (greatest step, then timestamp) within the clause's dataset, when it names one.
 */
function orderByClause<O>(q: ModelsQuery<O>, clause: LoggedModelOrderBy): ModelsQuery<O> {
  const direction = clause.ascending ? 'asc' : 'desc';
  switch (clause.type) {
    case 'attribute': {
      const col = column(clause.key);
      return q.orderBy((eb) => eb.case().when(col, 'is', null).then(1).else(0).end(), 'asc').orderBy(col, direction);
    }
    case 'metric': {
      const scope = clause.datasetName ? [{ name: clause.datasetName, digest: clause.datasetDigest }] : [];
      const latest = (eb: ModelsBuilder) =>
        metricRows(eb, clause.key, scope)
          .where('lmm.is_nan', '=', 0)
          .orderBy('lmm.metric_step', 'desc')
          .orderBy('lmm.metric_timestamp_ms', 'desc')
          .limit(1);
      return q
        .orderBy((eb) => eb.fn.coalesce(latest(eb).select(sql.lit(0).as('rank')), sql.lit(1)), 'asc')
        .orderBy((eb) => latest(eb).select('lmm.metric_value'), direction);
    }
    case 'param': {
      const entry = (eb: ModelsBuilder) =>
        eb
          .selectFrom('logged_model_params as p')
          .whereRef('p.model_id', '=', 'logged_models.model_id')
          .where('p.param_key', '=', clause.key);
      return q
        .orderBy((eb) => eb.fn.coalesce(entry(eb).select(sql.lit(0).as('rank')), sql.lit(1)), 'asc')
        .orderBy((eb) => entry(eb).select('p.param_value'), direction);
    }
    case 'tag': {
      const entry = (eb: ModelsBuilder) =>
        eb
          .selectFrom('logged_model_tags as t')
          .whereRef('t.model_id', '=', 'logged_models.model_id')
          .where('t.tag_key', '=', clause.key);
      return q
        .orderBy((eb) => eb.fn.coalesce(entry(eb).select(sql.lit(0).as('rank')), sql.lit(1)), 'asc')
        .orderBy((eb) => entry(eb).select('t.tag_value'), direction);
    }
    default:
      return assertNever(clause.type);
  }
}

function assertNever(value: never): never {
  throw new MlflowError('INTERNAL_ERROR', `Unexpected entity type ${String(value)}`);
}
