import type { ExpressionBuilder } from 'kysely';
import { IMPORT_COUNT_KEYS, type ImportCountKey, type ImportCounts } from '../import-store.ts';
import { countAll, type MlflowColumns, type MlflowDb } from './mlflow-schema.ts';
import { num, type Row, str } from './mlflow-values.ts';

const DELETED_INTERNAL = 'Deleted_Internal';

/** Tables whose whole row count is the count of their kind (same name in MLflow's and Plumb's terms). */
const PLAIN: readonly ImportCountKey[] = [
  'experiments',
  'experiment_tags',
  'runs',
  'params',
  'tags',
  'metrics',
  'latest_metrics',
  'datasets',
  'input_tags',
  'logged_models',
  'logged_model_params',
  'logged_model_tags',
  'logged_model_metrics',
  'registered_models',
  'registered_model_tags',
];

const INPUT_KINDS: Record<string, ImportCountKey> = {
  'DATASET>RUN': 'dataset_inputs',
  'RUN_INPUT>MODEL_INPUT': 'model_inputs',
  'RUN_OUTPUT>MODEL_OUTPUT': 'model_outputs',
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a foreign schema
const liveVersion = (eb: ExpressionBuilder<any, any>) =>
  eb.or([eb('v.current_stage', 'is', null), eb('v.current_stage', '!=', DELETED_INTERNAL)]);

/**
 * Rows per kind, as the verification pass compares them with Plumb's. Soft-deleted model versions
 * (`Deleted_Internal`), their tags and aliases pointing at them are left out: MLflow's API never
 * returns them, and Plumb does not keep deleted versions (its version counter keeps their numbers).
 */
export async function countMlflowRows(db: MlflowDb, columns: MlflowColumns): Promise<ImportCounts> {
  const counts = Object.fromEntries(IMPORT_COUNT_KEYS.map((k) => [k, 0])) as ImportCounts;
  for (const key of PLAIN) if (columns.hasTable(key)) counts[key] = await countAll(db, key);
  if (columns.hasTable('inputs')) {
    const rows = (await db
      .selectFrom('inputs')
      .select(['source_type', 'destination_type', (eb) => eb.fn.countAll().as('n')])
      .groupBy(['source_type', 'destination_type'])
      .execute()) as Row[];
    for (const r of rows) {
      const key = INPUT_KINDS[`${str(r.source_type)}>${str(r.destination_type)}`] ?? 'other_inputs';
      counts[key] += num(r.n);
    }
  }
  if (columns.hasTable('model_versions')) {
    const row = (await db
      .selectFrom('model_versions as v')
      .select((eb) => eb.fn.countAll().as('n'))
      .where(liveVersion)
      .executeTakeFirst()) as Row | undefined;
    counts.model_versions = num(row?.n ?? 0);
    for (const [table, key] of [
      ['model_version_tags', 'model_version_tags'],
      ['registered_model_aliases', 'registered_model_aliases'],
    ] as const) {
      if (!columns.hasTable(table)) continue;
      const joined = (await db
        .selectFrom(`${table} as t`)
        .innerJoin('model_versions as v', (j) => j.onRef('v.name', '=', 't.name').onRef('v.version', '=', 't.version'))
        .select((eb) => eb.fn.countAll().as('n'))
        .where(liveVersion)
        .executeTakeFirst()) as Row | undefined;
      counts[key] = num(joined?.n ?? 0);
    }
  }
  return counts;
}
