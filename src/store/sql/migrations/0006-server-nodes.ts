import type { Migration } from './migration.ts';

/**
 * The node registry (DESIGN invariant 7): one row per running server process, refreshed by its
 * heartbeat. started_at and heartbeat_at come from the database's clock, so liveness is judged by
 * one clock for every replica. config_summary holds the fingerprinted settings without secrets.
 * Additive: older releases ignore the table.
 */
export const serverNodesSchema: Migration = {
  version: 6,
  name: 'server-nodes',
  minServerRelease: '0.1.0',
  build: (db) => [
    db.schema
      .createTable('server_nodes')
      .addColumn('node_id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('host', 'varchar(255)', (c) => c.notNull())
      .addColumn('port', 'integer', (c) => c.notNull())
      .addColumn('version', 'varchar(64)', (c) => c.notNull())
      .addColumn('schema_version', 'integer', (c) => c.notNull())
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('heartbeat_at', 'bigint', (c) => c.notNull())
      .addColumn('config_fingerprint', 'varchar(64)', (c) => c.notNull())
      .addColumn('config_summary', 'text', (c) => c.notNull()),
    db.schema.createIndex('server_nodes_heartbeat_idx').on('server_nodes').column('heartbeat_at'),
  ],
};
