import { sql } from 'kysely';
import type { Migration } from './migration.ts';

/**
 * Indexes chosen from measured search plans (docs/architecture.md, "Run search"):
 * - runs by experiment in MLflow's default order (start_time DESC with missing times last, then
 *   run_uuid), so the first page of a search is read off the index instead of sorting every run
 *   of the experiment. PostgreSQL sorts NULL above every value, so its index says NULLS LAST.
 * - params and tags by (key, value, run_uuid), so `params.x = 'y'` finds its runs without reading
 *   every run's entries. MySQL indexes a text column only by a prefix: 200 characters keep the
 *   key under InnoDB's 3072 bytes and still tell nearly all values apart.
 * Additive: older releases run unchanged on the result. PostgreSQL blocks writes to a table while
 * its index builds (reads go on); MariaDB builds online; see docs/operations.md for the timings.
 */
export const runSearchIndexes: Migration = {
  version: 9,
  name: 'run-search-indexes',
  minServerRelease: '0.1.0',
  build: (db, dialect) => {
    const entryIndex = (table: 'params' | 'tags') => {
      const index = db.schema.createIndex(`${table}_key_value_idx`).on(table);
      return dialect.name === 'mysql'
        ? index.expression(sql`${sql.ref('key')}, ${sql.ref('value')}(200), ${sql.ref('run_uuid')}`)
        : index.columns(['key', 'value', 'run_uuid']);
    };
    const startTime = dialect.nullsSortLow
      ? sql`${sql.ref('start_time')} desc`
      : sql`${sql.ref('start_time')} desc nulls last`;
    return [
      db.schema
        .createIndex('runs_experiment_order_idx')
        .on('runs')
        .expression(sql`${sql.ref('experiment_id')}, ${startTime}, ${sql.ref('run_uuid')}`),
      entryIndex('params'),
      entryIndex('tags'),
    ];
  },
};
