import type { MetadataStore } from '../store.ts';
import { createSqlMetadataStore } from '../sql/sql-metadata-store.ts';
import type { WriteGroupSettings } from '../sql/write-groups.ts';
import { openPostgresPool, type PostgresOptions, postgresDialect } from './postgres-dialect.ts';

export function openPostgresMetadataStore(
  options: PostgresOptions & { now: () => number; writeGroups?: Partial<WriteGroupSettings> },
): MetadataStore {
  const { db, connectionPool } = openPostgresPool(options);
  return createSqlMetadataStore(db, postgresDialect, {
    now: options.now,
    connectionPool,
    // Half the pool writes groups; the rest stays free for reads and for other writes.
    writeGroups: { lanes: Math.max(1, Math.floor((options.poolSize ?? 10) / 2)), ...options.writeGroups },
  });
}
