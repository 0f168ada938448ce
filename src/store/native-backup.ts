import type { StoreEngine } from './maintenance-store.ts';

/**
 * A database engine's own way of copying itself (the NATIVE BACKUP PORT): SQLite's online backup
 * API, pg_dump/psql, mysqldump/mysql (or mariadb-dump/mariadb). `plumb backup` uses it when the
 * machine has it and falls back to Plumb's logical dump otherwise; `plumb restore` needs the one
 * of the backup's engine.
 */
export interface NativeBackupTool {
  readonly engine: StoreEngine;
  /** What makes the copy, recorded in the backup's manifest: `sqlite-online-backup`, `pg_dump`, `mysqldump`, `mariadb-dump`. */
  readonly tool: string;
  /** The copy's file name inside a backup directory. */
  readonly fileName: string;
  /**
   * True when `restore` swaps the whole database at once (a SQLite file), so a target need not be
   * emptied first; otherwise the target must hold none of Plumb's tables.
   */
  readonly replacesDatabase: boolean;
  /**
   * Writes a consistent copy of the configured database to `file` (which must not exist), and
   * counts the rows of `tables`: from the copy's own snapshot when `exact`, otherwise from a
   * snapshot taken just before the copy's (concurrent writes may make them differ).
   */
  backup(file: string, tables: readonly string[]): Promise<{ rowCounts: Record<string, number>; exact: boolean }>;
  /**
   * Loads a copy made by `backup` into the configured database. Every server on it must be
   * stopped. Throws INTERNAL_ERROR with the tool's own message when it fails.
   */
  restore(file: string): Promise<void>;
}
