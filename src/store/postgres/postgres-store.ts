import type { MetadataStore } from '../store.ts';
import { createSqlMetadataStore } from '../sql/sql-metadata-store.ts';
import type { StoreObserver } from '../sql/write-groups.ts';
import { connectionPoolSize, openPostgresPool, type PostgresOptions, postgresDialect } from './postgres-dialect.ts';

export function openPostgresMetadataStore(
  options: PostgresOptions & { now: () => number; writeQueueRows?: number; observer?: StoreObserver | undefined },
): MetadataStore {
  const { db, connectionPool } = openPostgresPool(options);
  return createSqlMetadataStore(db, postgresDialect, {
    now: options.now,
    connectionPool,
    poolSize: connectionPoolSize(options),
    writeQueueRows: options.writeQueueRows,
    observer: options.observer,
  });
}
