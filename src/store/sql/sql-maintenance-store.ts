import type { Kysely } from 'kysely';
import type { MaintenanceStore } from '../maintenance-store.ts';
import type { SqlDialect } from './dialect.ts';
import { SqlDumpStore } from './dump-queries.ts';
import type { Migrator } from './migrator.ts';
import { SqlPurgeStore } from './purge-queries.ts';
import { SqlRecoveryStore } from './recovery-queries.ts';
import type { Database } from './schema.ts';

/** Backups, dumps, reconcile and gc over one SQL database (see maintenance-store.ts). */
export function createSqlMaintenanceStore(
  db: Kysely<Database>,
  dialect: SqlDialect,
  migrator: Migrator,
): MaintenanceStore {
  return {
    dump: new SqlDumpStore(db, dialect, migrator),
    recovery: new SqlRecoveryStore(db, dialect),
    purge: new SqlPurgeStore(db, dialect),
  };
}
