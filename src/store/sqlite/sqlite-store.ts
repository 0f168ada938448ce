import type { MetadataStore } from '../store.ts';
import { createSqlMetadataStore } from '../sql/sql-metadata-store.ts';
import { openSqlite, type SqliteOptions, sqliteDialectOn } from './sqlite-dialect.ts';

export function openSqliteMetadataStore(options: SqliteOptions & { now: () => number }): MetadataStore {
  const { db, raw } = openSqlite(options);
  return createSqlMetadataStore(db, sqliteDialectOn(raw), { now: options.now });
}
