import type { Migration } from './migration.ts';

/**
 * MLflow 3's logged models with their tags, params and linked metrics. Additive: a release without
 * logged models still runs on the result. `row_id` orders inserts for page-token watermarks.
 */
export const loggedModelsSchema: Migration = {
  version: 4,
  name: 'logged-models',
  minServerRelease: '0.1.0',
  build: (db, dialect) => [
    db.schema
      .createTable('logged_models')
      .addColumn('row_id', dialect.autoIncrementType, (c) => dialect.autoIncrementColumn(c))
      .addColumn('model_id', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('experiment_id', 'bigint', (c) => c.notNull().references('experiments.experiment_id'))
      .addColumn('name', 'varchar(500)', (c) => c.notNull())
      .addColumn('artifact_location', 'varchar(2000)', (c) => c.notNull())
      .addColumn('creation_timestamp_ms', 'bigint', (c) => c.notNull())
      .addColumn('last_updated_timestamp_ms', 'bigint', (c) => c.notNull())
      .addColumn('status', 'varchar(20)', (c) => c.notNull())
      .addColumn('status_message', 'text')
      .addColumn('model_type', 'varchar(500)')
      .addColumn('source_run_id', 'varchar(32)')
      .addColumn('lifecycle_stage', 'varchar(32)', (c) => c.notNull()),
    db.schema
      .createIndex('logged_models_experiment_idx')
      .on('logged_models')
      .columns(['experiment_id', 'creation_timestamp_ms']),
    db.schema
      .createTable('logged_model_tags')
      .addColumn('model_id', 'varchar(64)', (c) => c.notNull().references('logged_models.model_id'))
      .addColumn('tag_key', 'varchar(255)', (c) => c.notNull())
      .addColumn('tag_value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('logged_model_tags_pk', ['model_id', 'tag_key']),
    db.schema
      .createTable('logged_model_params')
      .addColumn('model_id', 'varchar(64)', (c) => c.notNull().references('logged_models.model_id'))
      .addColumn('param_key', 'varchar(255)', (c) => c.notNull())
      .addColumn('param_value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('logged_model_params_pk', ['model_id', 'param_key']),
    db.schema
      .createTable('logged_model_metrics')
      .addColumn('model_id', 'varchar(64)', (c) => c.notNull().references('logged_models.model_id'))
      .addColumn('metric_name', 'varchar(500)', (c) => c.notNull())
      .addColumn('metric_timestamp_ms', 'bigint', (c) => c.notNull())
      .addColumn('metric_step', 'bigint', (c) => c.notNull())
      .addColumn('metric_value', 'double precision', (c) => c.notNull())
      .addColumn('is_nan', 'smallint', (c) => c.notNull())
      .addColumn('experiment_id', 'bigint', (c) => c.notNull())
      .addColumn('run_id', 'varchar(32)', (c) => c.notNull())
      // '' rather than NULL when absent, so the primary key (and a retried point's no-op) holds everywhere.
      .addColumn('dataset_name', 'varchar(500)', (c) => c.notNull())
      .addColumn('dataset_digest', 'varchar(36)', (c) => c.notNull())
      .addPrimaryKeyConstraint('logged_model_metrics_pk', [
        'model_id',
        'metric_name',
        'metric_timestamp_ms',
        'metric_step',
        'run_id',
        'dataset_name',
        'dataset_digest',
      ]),
  ],
};
