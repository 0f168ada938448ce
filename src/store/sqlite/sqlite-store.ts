import type { MetadataStore } from '../store.ts';
import { createSqlMetadataStore } from '../sql/sql-metadata-store.ts';
import { openSqlite, type SqliteOptions, sqliteDialect } from './sqlite-dialect.ts';

export function openSqliteMetadataStore(options: SqliteOptions & { now: () => number }): MetadataStore {
  const { db } = openSqlite(options);
  return createSqlMetadataStore(db, sqliteDialect, { now: options.now });
}
