import type { MetadataStore } from '../store.ts';
import { createSqlMetadataStore } from '../sql/sql-metadata-store.ts';
import type { StoreObserver } from '../sql/write-groups.ts';
import { connectionLimitOf, type MysqlOptions, mysqlDialect, openMysql } from './mysql-dialect.ts';

/** The metadata store on MySQL or MariaDB; closing it ends the pool. */
export function openMysqlMetadataStore(
  options: MysqlOptions & { now: () => number; writeQueueRows?: number; observer?: StoreObserver | undefined },
): MetadataStore {
  const { db, connectionPool } = openMysql(options);
  return createSqlMetadataStore(db, mysqlDialect, {
    now: options.now,
    connectionPool,
    poolSize: connectionLimitOf(options),
    writeQueueRows: options.writeQueueRows,
    observer: options.observer,
  });
}
