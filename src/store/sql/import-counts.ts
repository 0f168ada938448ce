import type { Kysely, SelectQueryBuilder } from 'kysely';
import { IMPORT_COUNT_KEYS, type ImportCounts, type ImportScope } from '../import-store.ts';
import type { Database } from './schema.ts';

/** Ids per counting statement: each appears in a few subqueries, far below every parameter limit. */
const CHUNK = 1000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any FROM clause works for a count
type CountQuery = SelectQueryBuilder<Database, any, object>;

async function count(query: CountQuery): Promise<number> {
  const row = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  return Number(row?.n ?? 0);
}

async function inChunks<T>(ids: readonly T[], work: (chunk: T[]) => Promise<void>): Promise<void> {
  for (let i = 0; i < ids.length; i += CHUNK) await work(ids.slice(i, i + CHUNK));
}

/**
 * Rows that belong to the entities of `scope`, in the keys of the MLflow source's counts (model
 * outputs are Plumb's `run_outputs`), for the import's verification pass. Scoped by id rather than
 * whole tables, so rows the database held before the import (a server's own runs in Default) do
 * not count.
 */
export async function countImported(db: Kysely<Database>, scope: ImportScope): Promise<ImportCounts> {
  const total = Object.fromEntries(IMPORT_COUNT_KEYS.map((k) => [k, 0])) as ImportCounts;
  const add = async (key: keyof ImportCounts, query: CountQuery) => {
    total[key] += await count(query);
  };
  await inChunks(scope.experimentIds, async (ids) => {
    await add('experiments', db.selectFrom('experiments').where('experiment_id', 'in', ids));
    await add('experiment_tags', db.selectFrom('experiment_tags').where('experiment_id', 'in', ids));
    await add('datasets', db.selectFrom('datasets').where('experiment_id', 'in', ids));
  });
  await inChunks(scope.runIds, async (ids) => {
    const inputs = db.selectFrom('inputs').where('destination_type', '=', 'RUN').where('destination_id', 'in', ids);
    await add('runs', db.selectFrom('runs').where('run_uuid', 'in', ids));
    await add('params', db.selectFrom('params').where('run_uuid', 'in', ids));
    await add('tags', db.selectFrom('tags').where('run_uuid', 'in', ids));
    await add('metrics', db.selectFrom('metrics').where('run_uuid', 'in', ids));
    await add('latest_metrics', db.selectFrom('latest_metrics').where('run_uuid', 'in', ids));
    await add('dataset_inputs', inputs.where('source_type', '=', 'DATASET'));
    await add('model_inputs', inputs.where('source_type', '=', 'MODEL'));
    await add('other_inputs', inputs.where('source_type', 'not in', ['DATASET', 'MODEL']));
    await add('model_outputs', db.selectFrom('run_outputs').where('run_uuid', 'in', ids));
    await add('input_tags', db.selectFrom('input_tags').where('input_uuid', 'in', inputs.select('input_uuid')));
  });
  await inChunks(scope.loggedModelIds, async (ids) => {
    await add('logged_models', db.selectFrom('logged_models').where('model_id', 'in', ids));
    await add('logged_model_params', db.selectFrom('logged_model_params').where('model_id', 'in', ids));
    await add('logged_model_tags', db.selectFrom('logged_model_tags').where('model_id', 'in', ids));
    await add('logged_model_metrics', db.selectFrom('logged_model_metrics').where('model_id', 'in', ids));
  });
  await inChunks(scope.registeredModelNames, async (names) => {
    const ids = db.selectFrom('registered_models').select('id').where('name', 'in', names);
    await add('registered_models', db.selectFrom('registered_models').where('name', 'in', names));
    await add('registered_model_tags', db.selectFrom('registered_model_tags').where('registered_model_id', 'in', ids));
    await add('model_versions', db.selectFrom('model_versions').where('registered_model_id', 'in', ids));
    await add('model_version_tags', db.selectFrom('model_version_tags').where('registered_model_id', 'in', ids));
    await add(
      'registered_model_aliases',
      db.selectFrom('registered_model_aliases').where('registered_model_id', 'in', ids),
    );
  });
  return total;
}
