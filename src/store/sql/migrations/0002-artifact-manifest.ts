import type { Migration } from './migration.ts';

/**
 * What every completed artifact upload looked like: size, sha256 and the storage's ETag, so a
 * download can be verified and doctor can tell a truncated or replaced object from a good one.
 * Keyed by the sha256 of the path, because a path may be longer than an index key may be on MySQL.
 */
export const artifactManifest: Migration = {
  version: 2,
  name: 'artifact-manifest',
  minServerRelease: '0.1.0',
  build: (db) => [
    db.schema
      .createTable('artifact_manifest')
      .addColumn('path_hash', 'char(64)', (c) => c.primaryKey())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('run_uuid', 'varchar(32)')
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('sha256', 'char(64)', (c) => c.notNull())
      .addColumn('etag', 'varchar(256)', (c) => c.notNull())
      .addColumn('recorded_at', 'bigint', (c) => c.notNull()),
    db.schema.createIndex('artifact_manifest_run_idx').on('artifact_manifest').column('run_uuid'),
  ],
};
