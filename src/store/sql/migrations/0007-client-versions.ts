import type { Migration } from './migration.ts';

/**
 * Which client releases talk to the servers (`plumb doctor config`): one row per client name and
 * version taken from the User-Agent, with the database-clock times it was first and last seen and
 * a request count. Servers add their counts at each heartbeat, not per request. Additive: older
 * releases ignore the table.
 */
export const clientVersionsSchema: Migration = {
  version: 7,
  name: 'client-versions',
  minServerRelease: '0.1.0',
  build: (db) => [
    db.schema
      .createTable('client_versions')
      .addColumn('client', 'varchar(64)', (c) => c.notNull())
      .addColumn('version', 'varchar(64)', (c) => c.notNull())
      .addColumn('first_seen', 'bigint', (c) => c.notNull())
      .addColumn('last_seen', 'bigint', (c) => c.notNull())
      .addColumn('requests', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('client_versions_pk', ['client', 'version']),
    db.schema.createIndex('client_versions_last_seen_idx').on('client_versions').column('last_seen'),
  ],
};
