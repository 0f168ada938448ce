import type { MetadataStore } from '../store.ts';
import { createSqlMetadataStore } from '../sql/sql-metadata-store.ts';
import type { StoreObserver } from '../sql/write-groups.ts';
import { openSqlite, type SqliteOptions, sqliteDialectOn } from './sqlite-dialect.ts';

export function openSqliteMetadataStore(
  options: SqliteOptions & { now: () => number; writeQueueRows?: number; observer?: StoreObserver | undefined },
): MetadataStore {
  const { db, raw } = openSqlite(options);
  // No pool: one writer, so one group in flight and the next one gathering behind it.
  return createSqlMetadataStore(db, sqliteDialectOn(raw), {
    now: options.now,
    writeQueueRows: options.writeQueueRows,
    observer: options.observer,
  });
}
