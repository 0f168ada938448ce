import { rollupBackfill } from '../metric-rollups.ts';
import type { Migration } from './migration.ts';

/**
 * Metric rollups (src/store/sql/metric-rollups.ts): per run, key, bucket width and step bucket,
 * the points holding the bucket's least and greatest value and its latest NaN (one row, three
 * column groups), which is what
 * lets a downsampled read of a 1M-point history touch a few thousand rows. Maintained in the
 * transaction that writes the points, and filled here from the points already stored. No foreign
 * key: the rows are derived, and a per-row trigger on PostgreSQL would tax every logged batch;
 * gc deletes them with the run. A server that did not maintain them would leave them behind the
 * points, so the oldest release that runs on this schema is the first that writes them.
 */
export const metricRollupsSchema: Migration = {
  version: 8,
  name: 'metric-rollups',
  minServerRelease: '0.1.0',
  build: (db) => [
    db.schema
      .createTable('metric_rollups')
      .addColumn('run_uuid', 'varchar(32)', (c) => c.notNull())
      .addColumn('key', 'varchar(250)', (c) => c.notNull())
      .addColumn('width', 'bigint', (c) => c.notNull())
      .addColumn('bucket', 'bigint', (c) => c.notNull())
      .addColumn('min_value', 'double precision')
      .addColumn('min_step', 'bigint')
      .addColumn('min_timestamp', 'bigint')
      .addColumn('max_value', 'double precision')
      .addColumn('max_step', 'bigint')
      .addColumn('max_timestamp', 'bigint')
      .addColumn('nan_step', 'bigint')
      .addColumn('nan_timestamp', 'bigint')
      .addPrimaryKeyConstraint('metric_rollups_pk', ['run_uuid', 'key', 'width', 'bucket']),
    ...rollupBackfill(db),
  ],
};
