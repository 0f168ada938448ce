import type { Migration } from './migration.ts';

/**
 * Hybrid artifact storage (issue #12): which tier holds each object. `tier` is 'hot' (local disk of
 * `hot_node`, or a shared mount when that is null) or 'cold' (the artifacts destination); null is
 * an entry written before tiering, which lives in the destination. `move_started_at` is the mover's
 * claim and intent: set before a copy, cleared only after the hot copy is gone, so a crashed move
 * is found and finished by the next pass. Additive: older releases ignore the columns, and the
 * objects they read from the destination are the ones tiering already moved there.
 */
export const artifactTiers: Migration = {
  version: 10,
  name: 'artifact-tiers',
  minServerRelease: '0.1.0',
  build: (db) => [
    db.schema.alterTable('artifact_manifest').addColumn('tier', 'varchar(8)'),
    db.schema.alterTable('artifact_manifest').addColumn('hot_node', 'varchar(64)'),
    db.schema.alterTable('artifact_manifest').addColumn('move_started_at', 'bigint'),
    db.schema.createIndex('artifact_manifest_tier_idx').on('artifact_manifest').columns(['tier', 'recorded_at']),
  ],
};
