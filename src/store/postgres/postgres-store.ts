import type { MetadataStore } from '../store.ts';
import { createSqlMetadataStore } from '../sql/sql-metadata-store.ts';
import { openPostgres, type PostgresOptions, postgresDialect } from './postgres-dialect.ts';

export function openPostgresMetadataStore(options: PostgresOptions & { now: () => number }): MetadataStore {
  return createSqlMetadataStore(openPostgres(options), postgresDialect, { now: options.now });
}
