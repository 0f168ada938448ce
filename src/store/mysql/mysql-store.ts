import type { MetadataStore } from '../store.ts';
import { createSqlMetadataStore } from '../sql/sql-metadata-store.ts';
import type { WriteGroupSettings } from '../sql/write-groups.ts';
import { type MysqlOptions, mysqlDialect, openMysql } from './mysql-dialect.ts';

/** The metadata store on MySQL or MariaDB; closing it ends the pool. */
export function openMysqlMetadataStore(
  options: MysqlOptions & { now: () => number; writeGroups?: Partial<WriteGroupSettings> },
): MetadataStore {
  const { db, connectionPool } = openMysql(options);
  return createSqlMetadataStore(db, mysqlDialect, {
    now: options.now,
    connectionPool,
    // Half the pool writes groups; the rest stays free for reads and for other writes.
    writeGroups: { lanes: Math.max(1, Math.floor((options.connectionLimit ?? 10) / 2)), ...options.writeGroups },
  });
}
