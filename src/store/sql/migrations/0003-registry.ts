import type { Migration } from './migration.ts';

/**
 * The model registry: registered models with their revision counter (the If-Match value) and the
 * counter of version numbers, versions, tags, aliases, and the append-only event log. Additive, so
 * a release without the registry still runs on the result.
 */
export const registrySchema: Migration = {
  version: 3,
  name: 'registry',
  minServerRelease: '0.1.0',
  build: (db, dialect) => [
    db.schema
      .createTable('registered_models')
      .addColumn('id', dialect.autoIncrementType, (c) => dialect.autoIncrementColumn(c))
      .addColumn('name', 'varchar(256)', (c) => c.notNull().unique())
      .addColumn('name_key', 'varchar(256)', (c) => c.notNull().unique())
      .addColumn('description', 'text')
      .addColumn('creation_time', 'bigint', (c) => c.notNull())
      .addColumn('last_updated_time', 'bigint', (c) => c.notNull())
      .addColumn('revision', 'bigint', (c) => c.notNull())
      .addColumn('next_version', 'bigint', (c) => c.notNull()),
    db.schema
      .createTable('registered_model_tags')
      .addColumn('registered_model_id', 'bigint', (c) => c.notNull().references('registered_models.id'))
      .addColumn('key', 'varchar(250)', (c) => c.notNull())
      .addColumn('value', 'varchar(5000)', (c) => c.notNull())
      .addPrimaryKeyConstraint('registered_model_tags_pk', ['registered_model_id', 'key']),
    db.schema
      .createTable('model_versions')
      .addColumn('seq', dialect.autoIncrementType, (c) => dialect.autoIncrementColumn(c))
      .addColumn('registered_model_id', 'bigint', (c) => c.notNull().references('registered_models.id'))
      .addColumn('version', 'bigint', (c) => c.notNull())
      .addColumn('creation_time', 'bigint', (c) => c.notNull())
      .addColumn('last_updated_time', 'bigint', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('user_id', 'varchar(256)')
      .addColumn('current_stage', 'varchar(20)', (c) => c.notNull())
      .addColumn('source', 'text')
      .addColumn('storage_location', 'text')
      .addColumn('run_id', 'varchar(256)')
      .addColumn('run_link', 'text')
      .addColumn('status', 'varchar(20)', (c) => c.notNull())
      .addColumn('status_message', 'text')
      .addColumn('model_id', 'varchar(64)')
      .addUniqueConstraint('model_versions_model_version_uq', ['registered_model_id', 'version']),
    db.schema.createIndex('model_versions_run_idx').on('model_versions').column('run_id'),
    db.schema
      .createTable('model_version_tags')
      .addColumn('registered_model_id', 'bigint', (c) => c.notNull())
      .addColumn('version', 'bigint', (c) => c.notNull())
      .addColumn('key', 'varchar(250)', (c) => c.notNull())
      .addColumn('value', 'varchar(5000)', (c) => c.notNull())
      .addPrimaryKeyConstraint('model_version_tags_pk', ['registered_model_id', 'version', 'key'])
      .addForeignKeyConstraint('model_version_tags_version_fk', ['registered_model_id', 'version'], 'model_versions', [
        'registered_model_id',
        'version',
      ]),
    db.schema
      .createTable('registered_model_aliases')
      .addColumn('registered_model_id', 'bigint', (c) => c.notNull())
      .addColumn('alias', 'varchar(256)', (c) => c.notNull())
      .addColumn('version', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('registered_model_aliases_pk', ['registered_model_id', 'alias'])
      // An alias can only point at a version that exists: deleting the version must take it along.
      .addForeignKeyConstraint(
        'registered_model_aliases_version_fk',
        ['registered_model_id', 'version'],
        'model_versions',
        ['registered_model_id', 'version'],
      ),
    db.schema
      .createTable('registry_events')
      .addColumn('id', dialect.autoIncrementType, (c) => dialect.autoIncrementColumn(c))
      .addColumn('registered_model_id', 'bigint', (c) => c.notNull())
      .addColumn('model_name', 'varchar(256)', (c) => c.notNull())
      .addColumn('version', 'bigint')
      .addColumn('kind', 'varchar(64)', (c) => c.notNull())
      .addColumn('before_json', 'text')
      .addColumn('after_json', 'text')
      .addColumn('actor', 'varchar(256)')
      .addColumn('revision', 'bigint', (c) => c.notNull())
      .addColumn('event_time', 'bigint', (c) => c.notNull()),
    db.schema.createIndex('registry_events_model_idx').on('registry_events').columns(['registered_model_id', 'id']),
    db.schema.createIndex('registry_events_name_idx').on('registry_events').columns(['model_name', 'id']),
  ],
};
