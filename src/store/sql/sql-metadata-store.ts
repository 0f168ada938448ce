import type { Kysely } from 'kysely';
import type { ConnectionPoolUse, MetadataStore } from '../store.ts';
import { SqlArtifactManifestStore } from './artifact-manifest-queries.ts';
import { createSqlDiagnostics } from './diagnostics-queries.ts';
import type { SqlDialect } from './dialect.ts';
import { SqlImportStore } from './import-queries.ts';
import { Migrator } from './migrator.ts';
import { createSqlMaintenanceStore } from './sql-maintenance-store.ts';
import { type StoreObserver, writeGroupSettings } from './write-groups.ts';
import { SqlNodeRegistryStore } from './node-registry-queries.ts';
import type { Database } from './schema.ts';
import { checkSchema } from './schema-check.ts';
import { SqlRegistryStore } from './sql-registry-store.ts';
import { SqlTrackingStore } from './sql-tracking-store.ts';
import { SqlWebhookStore } from './sql-webhook-store.ts';

/** The metadata port over one SQL database; dialect folders only open the connection. */
export function createSqlMetadataStore(
  db: Kysely<Database>,
  dialect: SqlDialect,
  options: {
    now: () => number;
    onClose?: () => Promise<void> | void;
    connectionPool?: () => ConnectionPoolUse | undefined;
    /** The connection pool's size; none for an engine with one connection (SQLite). */
    poolSize?: number;
    /** Rows waiting for group commit at most (PLUMB_WRITE_QUEUE_ROWS). */
    writeQueueRows?: number;
    observer?: StoreObserver | undefined;
  },
): MetadataStore {
  dialect = observedDialect(dialect, options.observer);
  const migrator = new Migrator(db, dialect);
  return {
    tracking: new SqlTrackingStore(
      db,
      dialect,
      writeGroupSettings({ poolSize: options.poolSize, maxQueuedRows: options.writeQueueRows }),
      options.observer,
    ),
    artifactManifest: new SqlArtifactManifestStore(db, dialect),
    maintenance: createSqlMaintenanceStore(db, dialect, migrator),
    registry: new SqlRegistryStore(db, dialect),
    webhooks: new SqlWebhookStore(db, dialect),
    nodes: new SqlNodeRegistryStore(db, dialect),
    imports: new SqlImportStore(db, dialect),
    schema: {
      status: () => migrator.status(),
      upgrade: () => migrator.upgrade(options.now),
      createIfEmpty: () => migrator.createIfEmpty(options.now),
      check: () => checkSchema(db, dialect, migrator),
    },
    diagnostics: createSqlDiagnostics(db, dialect, migrator),
    connectionPool: () => options.connectionPool?.(),
    async close() {
      await db.destroy();
      await options.onClose?.();
    },
  };
}

/**
 * The one place store transactions are observed: every query module opens its transactions
 * through `dialect.transaction`, so wrapping it here covers them all, group commits included.
 */
function observedDialect(dialect: SqlDialect, observer: StoreObserver | undefined): SqlDialect {
  const wrap = observer?.transaction?.bind(observer);
  if (!wrap) return dialect;
  const observed: SqlDialect = Object.create(dialect) as SqlDialect;
  const info = { system: dialect.name };
  observed.transaction = (db, work, mode) => wrap(() => dialect.transaction(db, work, mode), info);
  return observed;
}
