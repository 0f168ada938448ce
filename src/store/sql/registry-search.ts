import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool, sql } from 'kysely';
import { MlflowError } from '../../core/errors.ts';
import { IS_PROMPT_TAG, type ModelVersion, type RegisteredModel } from '../../core/registry.ts';
import type { Comparison, OrderBy } from '../../search/ast.ts';
import type { ModelVersionQuery, RegisteredModelQuery } from '../registry-store.ts';
import type { SearchPage } from '../store.ts';
import type { SqlDialect } from './dialect.ts';
import { toModelVersions, toRegisteredModels } from './registry-rows.ts';
import { currentWatermark } from './watermark.ts';
import type { Database, ModelVersionsTable, RegisteredModelsTable } from './schema.ts';
import { compareColumn } from './search-compare.ts';

/**
 * search_registered_models and search_model_versions compiled to SQL. A tag comparison matches
 * entities that have the tag with a satisfying value; one without the tag never matches. Prompts
 * (tag `mlflow.prompt.is_prompt` = 'true') are left out unless the query asks for them, as in MLflow.
 */
type RmBuilder = ExpressionBuilder<Database, 'registered_models'>;
type MvDatabase = Database & { mv: ModelVersionsTable; rm: RegisteredModelsTable };
type MvBuilder = ExpressionBuilder<MvDatabase, 'mv' | 'rm'>;

function registeredModelCondition(eb: RmBuilder, c: Comparison, dialect: SqlDialect): Expression<SqlBool> {
  const { type, key } = c.identifier;
  if (type === 'attribute' && key === 'name') {
    return compareColumn(eb, eb.ref('registered_models.name'), c.comparator, c.value, dialect);
  }
  if (type === 'tag') {
    return eb.exists(
      eb
        .selectFrom('registered_model_tags as t')
        .select(sql.lit(1).as('one'))
        .whereRef('t.registered_model_id', '=', 'registered_models.id')
        .where('t.key', '=', key)
        .where((t) => compareColumn(t, t.ref('t.value'), c.comparator, c.value, dialect)),
    );
  }
  throw MlflowError.invalidParameter(`Invalid attribute name: ${key}`);
}

const RM_ORDER_COLUMNS = {
  name: 'registered_models.name',
  last_updated_timestamp: 'registered_models.last_updated_time',
} as const;

export async function searchRegisteredModels(
  db: Kysely<Database>,
  dialect: SqlDialect,
  query: RegisteredModelQuery,
): Promise<SearchPage<RegisteredModel>> {
  const watermark = query.watermark ?? (await currentWatermark(db, 'registered_models', 'id'));
  let qb = db
    .selectFrom('registered_models')
    .selectAll('registered_models')
    .where('registered_models.id', '<=', watermark);
  for (const c of query.filter) qb = qb.where((eb) => registeredModelCondition(eb, c, dialect));
  if (query.excludePrompts) {
    qb = qb.where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('registered_model_tags as p')
            .select(sql.lit(1).as('one'))
            .whereRef('p.registered_model_id', '=', 'registered_models.id')
            .where('p.key', '=', IS_PROMPT_TAG)
            .where('p.value', '=', 'true'),
        ),
      ),
    );
  }
  for (const { identifier, ascending } of withTieBreaks(query.orderBy, [['name', true]])) {
    const column = RM_ORDER_COLUMNS[identifier.key as keyof typeof RM_ORDER_COLUMNS];
    if (column === undefined) throw MlflowError.invalidParameter(`Invalid order by key '${identifier.key}' specified.`);
    qb = qb.orderBy(column, ascending ? 'asc' : 'desc');
  }
  const rows = await qb
    .limit(query.maxResults + 1)
    .offset(query.offset)
    .execute();
  const items = await toRegisteredModels(db, rows.slice(0, query.maxResults));
  return { items, hasMore: rows.length > query.maxResults, watermark };
}

/** The clauses, then each tie-break whose key no clause names. */
function withTieBreaks(orderBy: readonly OrderBy[], tieBreaks: readonly [string, boolean][]): OrderBy[] {
  const named = new Set(orderBy.map((o) => o.identifier.key));
  const extra = tieBreaks
    .filter(([key]) => !named.has(key))
    .map(([key, ascending]) => ({ identifier: { type: 'attribute' as const, key }, ascending }));
  return [...orderBy, ...extra];
}

const MV_COLUMNS = {
  name: 'rm.name',
  run_id: 'mv.run_id',
  source_path: 'mv.source',
  version_number: 'mv.version',
  creation_timestamp: 'mv.creation_time',
  last_updated_timestamp: 'mv.last_updated_time',
} as const;

function mvColumn(key: string) {
  const column = MV_COLUMNS[key as keyof typeof MV_COLUMNS];
  if (column === undefined || !Object.hasOwn(MV_COLUMNS, key)) {
    throw MlflowError.invalidParameter(`Invalid attribute name: ${key}`);
  }
  return column;
}

function modelVersionCondition(eb: MvBuilder, c: Comparison, dialect: SqlDialect): Expression<SqlBool> {
  const { type, key } = c.identifier;
  if (type === 'attribute') return compareColumn(eb, eb.ref(mvColumn(key)), c.comparator, c.value, dialect);
  if (type === 'tag') {
    return eb.exists(
      eb
        .selectFrom('model_version_tags as t')
        .select(sql.lit(1).as('one'))
        .whereRef('t.registered_model_id', '=', 'mv.registered_model_id')
        .whereRef('t.version', '=', 'mv.version')
        .where('t.key', '=', key)
        .where((t) => compareColumn(t, t.ref('t.value'), c.comparator, c.value, dialect)),
    );
  }
  throw MlflowError.invalidParameter(`Invalid token type: ${type}`);
}

export async function searchModelVersions(
  db: Kysely<Database>,
  dialect: SqlDialect,
  query: ModelVersionQuery,
): Promise<SearchPage<ModelVersion>> {
  const watermark = query.watermark ?? (await currentWatermark(db, 'model_versions', 'seq'));
  let qb = db
    .selectFrom('model_versions as mv')
    .innerJoin('registered_models as rm', 'rm.id', 'mv.registered_model_id')
    .selectAll('mv')
    .select('rm.name as model_name')
    .where('mv.seq', '<=', watermark);
  for (const c of query.filter) qb = qb.where((eb) => modelVersionCondition(eb, c, dialect));
  if (query.excludePrompts) {
    // MLflow leaves out every version of a model any of whose versions is tagged as a prompt.
    qb = qb.where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('model_version_tags as p')
            .select(sql.lit(1).as('one'))
            .whereRef('p.registered_model_id', '=', 'mv.registered_model_id')
            .where('p.key', '=', IS_PROMPT_TAG)
            .where('p.value', '=', 'true'),
        ),
      ),
    );
  }
  const order = withTieBreaks(query.orderBy, [
    ['name', true],
    ['version_number', false],
  ]);
  for (const { identifier, ascending } of order) qb = qb.orderBy(mvColumn(identifier.key), ascending ? 'asc' : 'desc');
  const rows = await qb
    .limit(query.maxResults + 1)
    .offset(query.offset)
    .execute();
  const page = rows.slice(0, query.maxResults);
  const names = new Map(page.map((r) => [Number(r.registered_model_id), r.model_name]));
  return { items: await toModelVersions(db, page, names), hasMore: rows.length > query.maxResults, watermark };
}
