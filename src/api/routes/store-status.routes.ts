import type { StoreStatus } from '../../doctor/store-status.service.ts';
import type { Router } from '../http-server.ts';

export interface StoreStatusRouteService {
  status(): Promise<StoreStatus>;
}

/**
 * `GET /api/2.0/plumb/status`: whether the answering node reaches its database (engine, schema
 * version, pending migrations) and its artifact store, with each probe's time; for the health page.
 */
export function registerStoreStatusRoutes(router: Router, service: StoreStatusRouteService): void {
  for (const prefix of ['/api/', '/ajax-api/']) {
    const url = `${prefix}2.0/plumb/status`;
    router.remember(url, ['GET']);
    router.app.get(url, async () => {
      const { database, artifacts } = await service.status();
      return {
        database: {
          engine: database.engine,
          reachable: database.reachable,
          latency_ms: database.latencyMs,
          schema_version: database.schemaVersion,
          pending_migrations: database.pendingMigrations,
          error: database.error,
        },
        artifact_store: {
          description: artifacts.description,
          reachable: artifacts.reachable,
          latency_ms: artifacts.latencyMs,
          error: artifacts.error,
        },
      };
    });
  }
}
