import type { Kysely, SelectQueryBuilder } from 'kysely';
import { IMPORT_COUNT_KEYS, type ImportCounts, type ImportScope } from '../import-store.ts';
import type { Database } from './schema.ts';

/** Ids per counting statement: each appears in a few subqueries, far below every parameter limit. */
const CHUNK = 1000;

function zeroCounts(): ImportCounts {
  return Object.fromEntries(IMPORT_COUNT_KEYS.map((k) => [k, 0])) as ImportCounts;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any FROM clause works for a count
async function count(query: SelectQueryBuilder<Database, any, object>): Promise<number> {
  const row = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * Rows that belong to the experiments and registered models of `scope`, in the keys of the MLflow
 * source's counts (model outputs are Plumb's `run_outputs`), for the import's verification pass.
 * Scoped rather than whole-table, so data the database held before the import does not count.
 */
export async function countImported(db: Kysely<Database>, scope: ImportScope): Promise<ImportCounts> {
  const total = zeroCounts();
  const add = (key: keyof ImportCounts, n: number) => {
    total[key] += n;
  };
  for (let i = 0; i < scope.experimentIds.length; i += CHUNK) {
    const ids = scope.experimentIds.slice(i, i + CHUNK);
    const runs = db.selectFrom('runs').select('run_uuid').where('experiment_id', 'in', ids);
    const models = db.selectFrom('logged_models').select('model_id').where('experiment_id', 'in', ids);
    const runInputs = db.selectFrom('inputs').where('destination_type', '=', 'RUN').where('destination_id', 'in', runs);
    add('experiments', await count(db.selectFrom('experiments').where('experiment_id', 'in', ids)));
    add('experiment_tags', await count(db.selectFrom('experiment_tags').where('experiment_id', 'in', ids)));
    add('runs', await count(db.selectFrom('runs').where('experiment_id', 'in', ids)));
    add('params', await count(db.selectFrom('params').where('run_uuid', 'in', runs)));
    add('tags', await count(db.selectFrom('tags').where('run_uuid', 'in', runs)));
    add('metrics', await count(db.selectFrom('metrics').where('run_uuid', 'in', runs)));
    add('latest_metrics', await count(db.selectFrom('latest_metrics').where('run_uuid', 'in', runs)));
    add('datasets', await count(db.selectFrom('datasets').where('experiment_id', 'in', ids)));
    add('dataset_inputs', await count(runInputs.where('source_type', '=', 'DATASET')));
    add('model_inputs', await count(runInputs.where('source_type', '=', 'MODEL')));
    add('other_inputs', await count(runInputs.where('source_type', 'not in', ['DATASET', 'MODEL'])));
    add('model_outputs', await count(db.selectFrom('run_outputs').where('run_uuid', 'in', runs)));
    add(
      'input_tags',
      await count(db.selectFrom('input_tags').where('input_uuid', 'in', runInputs.select('input_uuid'))),
    );
    add('logged_models', await count(db.selectFrom('logged_models').where('experiment_id', 'in', ids)));
    add('logged_model_params', await count(db.selectFrom('logged_model_params').where('model_id', 'in', models)));
    add('logged_model_tags', await count(db.selectFrom('logged_model_tags').where('model_id', 'in', models)));
    add('logged_model_metrics', await count(db.selectFrom('logged_model_metrics').where('model_id', 'in', models)));
  }
  for (let i = 0; i < scope.registeredModelNames.length; i += CHUNK) {
    const names = scope.registeredModelNames.slice(i, i + CHUNK);
    const ids = db.selectFrom('registered_models').select('id').where('name', 'in', names);
    add('registered_models', await count(db.selectFrom('registered_models').where('name', 'in', names)));
    add(
      'registered_model_tags',
      await count(db.selectFrom('registered_model_tags').where('registered_model_id', 'in', ids)),
    );
    add('model_versions', await count(db.selectFrom('model_versions').where('registered_model_id', 'in', ids)));
    add('model_version_tags', await count(db.selectFrom('model_version_tags').where('registered_model_id', 'in', ids)));
    add(
      'registered_model_aliases',
      await count(db.selectFrom('registered_model_aliases').where('registered_model_id', 'in', ids)),
    );
  }
  return total;
}
