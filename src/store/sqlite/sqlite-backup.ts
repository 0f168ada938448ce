import { copyFile, rename, rm } from 'node:fs/promises';
import BetterSqlite3 from 'better-sqlite3';
import { MlflowError } from '../../core/errors.ts';
import type { NativeBackupTool } from '../native-backup.ts';

function countRows(path: string, tables: readonly string[]): Record<string, number> {
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  try {
    const present = new Set(
      (db.prepare(`select name from sqlite_master where type = 'table'`).all() as { name: string }[]).map(
        (r) => r.name,
      ),
    );
    const counts: Record<string, number> = {};
    for (const table of tables.filter((t) => present.has(t))) {
      counts[table] = (db.prepare(`select count(*) as n from "${table}"`).get() as { n: number }).n;
    }
    return counts;
  } finally {
    db.close();
  }
}

/**
 * SQLite's online backup API (through better-sqlite3): a page-by-page copy that is consistent
 * while servers keep writing; counts come from the copy itself. A restore checks the copy's
 * integrity, then renames it over the database file (servers stopped), dropping the old WAL.
 */
export function createSqliteBackup(path: string): NativeBackupTool {
  return {
    engine: 'sqlite',
    tool: 'sqlite-online-backup',
    fileName: 'metadata.sqlite',
    replacesDatabase: true,
    async backup(file, tables) {
      const source = new BetterSqlite3(path, { fileMustExist: true });
      try {
        await source.backup(file);
      } finally {
        source.close();
      }
      return { rowCounts: countRows(file, tables), exact: true };
    },
    async restore(file) {
      const temporary = `${path}.restoring-${process.pid}`;
      await copyFile(file, temporary);
      try {
        const copy = new BetterSqlite3(temporary, { fileMustExist: true });
        try {
          const result = copy.pragma('integrity_check', { simple: true });
          if (result !== 'ok')
            throw new MlflowError('DATA_LOSS', `The backup copy fails SQLite's integrity check: ${String(result)}`);
        } finally {
          copy.close();
        }
        await rm(`${path}-wal`, { force: true });
        await rm(`${path}-shm`, { force: true });
        await rename(temporary, path);
      } finally {
        await rm(temporary, { force: true });
      }
    },
  };
}
