import type { Migration } from './migration.ts';

/** The tracking schema: experiments, runs and everything logged to a run. */
export const trackingSchema: Migration = {
  version: 1,
  name: 'tracking',
  minServerRelease: '0.1.0',
  build: (db, dialect) => [
    db.schema
      .createTable('experiments')
      .addColumn('experiment_id', dialect.autoIncrementType, (c) => dialect.autoIncrementColumn(c))
      .addColumn('name', 'varchar(500)', (c) => c.notNull().unique())
      .addColumn('artifact_location', 'varchar(2000)', (c) => c.notNull())
      .addColumn('lifecycle_stage', 'varchar(32)', (c) => c.notNull())
      .addColumn('creation_time', 'bigint', (c) => c.notNull())
      .addColumn('last_update_time', 'bigint', (c) => c.notNull())
      .addColumn('deleted_time', 'bigint'),
    db.schema
      .createTable('experiment_tags')
      .addColumn('experiment_id', 'bigint', (c) => c.notNull().references('experiments.experiment_id'))
      .addColumn('key', 'varchar(250)', (c) => c.notNull())
      .addColumn('value', 'varchar(5000)', (c) => c.notNull())
      .addPrimaryKeyConstraint('experiment_tags_pk', ['experiment_id', 'key']),
    db.schema
      .createTable('runs')
      .addColumn('row_id', dialect.autoIncrementType, (c) => dialect.autoIncrementColumn(c))
      .addColumn('run_uuid', 'varchar(32)', (c) => c.notNull().unique())
      .addColumn('name', 'varchar(250)', (c) => c.notNull())
      .addColumn('experiment_id', 'bigint', (c) => c.notNull().references('experiments.experiment_id'))
      .addColumn('user_id', 'varchar(256)', (c) => c.notNull())
      .addColumn('status', 'varchar(20)', (c) => c.notNull())
      .addColumn('start_time', 'bigint')
      .addColumn('end_time', 'bigint')
      .addColumn('deleted_time', 'bigint')
      .addColumn('lifecycle_stage', 'varchar(20)', (c) => c.notNull())
      .addColumn('artifact_uri', 'varchar(2000)', (c) => c.notNull()),
    db.schema.createIndex('runs_experiment_start_idx').on('runs').columns(['experiment_id', 'start_time']),
    db.schema
      .createTable('params')
      // seq keeps the order values were first logged in, which is the order MLflow returns them in.
      .addColumn('seq', dialect.autoIncrementType, (c) => dialect.autoIncrementColumn(c))
      .addColumn('run_uuid', 'varchar(32)', (c) => c.notNull().references('runs.run_uuid'))
      .addColumn('key', 'varchar(250)', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addUniqueConstraint('params_run_key_uq', ['run_uuid', 'key']),
    db.schema
      .createTable('tags')
      // seq keeps the order values were first logged in, which is the order MLflow returns them in.
      .addColumn('seq', dialect.autoIncrementType, (c) => dialect.autoIncrementColumn(c))
      .addColumn('run_uuid', 'varchar(32)', (c) => c.notNull().references('runs.run_uuid'))
      .addColumn('key', 'varchar(250)', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addUniqueConstraint('tags_run_key_uq', ['run_uuid', 'key']),
    db.schema
      .createTable('metrics')
      .addColumn('run_uuid', 'varchar(32)', (c) => c.notNull().references('runs.run_uuid'))
      .addColumn('key', 'varchar(250)', (c) => c.notNull())
      .addColumn('value', 'double precision', (c) => c.notNull())
      .addColumn('timestamp', 'bigint', (c) => c.notNull())
      .addColumn('step', 'bigint', (c) => c.notNull())
      .addColumn('is_nan', 'smallint', (c) => c.notNull())
      .addColumn('dataset_name', 'varchar(500)')
      .addColumn('dataset_digest', 'varchar(36)')
      .addColumn('model_id', 'varchar(64)')
      // MLflow's key: an identical retried point is a no-op, a different value at the same step is kept.
      .addPrimaryKeyConstraint('metrics_pk', ['run_uuid', 'key', 'step', 'timestamp', 'value', 'is_nan']),
    db.schema
      .createTable('latest_metrics')
      .addColumn('seq', dialect.autoIncrementType, (c) => dialect.autoIncrementColumn(c))
      .addColumn('run_uuid', 'varchar(32)', (c) => c.notNull().references('runs.run_uuid'))
      .addColumn('key', 'varchar(250)', (c) => c.notNull())
      .addColumn('value', 'double precision', (c) => c.notNull())
      .addColumn('timestamp', 'bigint', (c) => c.notNull())
      .addColumn('step', 'bigint', (c) => c.notNull())
      .addColumn('is_nan', 'smallint', (c) => c.notNull())
      .addUniqueConstraint('latest_metrics_run_key_uq', ['run_uuid', 'key']),
    db.schema.createIndex('latest_metrics_key_value_idx').on('latest_metrics').columns(['key', 'value']),
    db.schema
      .createTable('datasets')
      .addColumn('dataset_uuid', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('experiment_id', 'bigint', (c) => c.notNull().references('experiments.experiment_id'))
      .addColumn('name', 'varchar(500)', (c) => c.notNull())
      .addColumn('digest', 'varchar(36)', (c) => c.notNull())
      .addColumn('dataset_source_type', 'varchar(36)', (c) => c.notNull())
      .addColumn('dataset_source', 'text', (c) => c.notNull())
      .addColumn('dataset_schema', 'text')
      .addColumn('dataset_profile', 'text')
      .addUniqueConstraint('datasets_experiment_name_digest_uq', ['experiment_id', 'name', 'digest']),
    db.schema
      .createTable('inputs')
      .addColumn('input_uuid', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('source_type', 'varchar(36)', (c) => c.notNull())
      .addColumn('source_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('destination_type', 'varchar(36)', (c) => c.notNull())
      .addColumn('destination_id', 'varchar(36)', (c) => c.notNull())
      .addUniqueConstraint('inputs_source_destination_uq', [
        'source_type',
        'source_id',
        'destination_type',
        'destination_id',
      ]),
    db.schema.createIndex('inputs_destination_idx').on('inputs').columns(['destination_type', 'destination_id']),
    db.schema
      .createTable('input_tags')
      .addColumn('input_uuid', 'varchar(36)', (c) => c.notNull().references('inputs.input_uuid'))
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('value', 'varchar(500)', (c) => c.notNull())
      .addPrimaryKeyConstraint('input_tags_pk', ['input_uuid', 'name']),
    db.schema
      .createTable('run_outputs')
      .addColumn('run_uuid', 'varchar(32)', (c) => c.notNull().references('runs.run_uuid'))
      .addColumn('model_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('step', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('run_outputs_pk', ['run_uuid', 'model_id']),
  ],
};
