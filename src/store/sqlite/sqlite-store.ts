import type { MetadataStore } from '../store.ts';
import { createSqlMetadataStore } from '../sql/sql-metadata-store.ts';
import type { WriteGroupSettings } from '../sql/write-groups.ts';
import { openSqlite, type SqliteOptions, sqliteDialectOn } from './sqlite-dialect.ts';

export function openSqliteMetadataStore(
  options: SqliteOptions & { now: () => number; writeGroups?: Partial<WriteGroupSettings> },
): MetadataStore {
  const { db, raw } = openSqlite(options);
  // One writer: one group in flight, the next one gathering behind it.
  return createSqlMetadataStore(db, sqliteDialectOn(raw), {
    now: options.now,
    writeGroups: { ...options.writeGroups, lanes: 1 },
  });
}
