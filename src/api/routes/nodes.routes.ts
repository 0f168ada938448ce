import type { NodeView, SelfView } from '../../doctor/node-registry.service.ts';
import type { Router } from '../http-server.ts';

export interface NodeRouteService {
  list(): Promise<NodeView[]>;
  self(): SelfView;
  noteClient(userAgent: string | undefined): void;
}

/**
 * `GET /api/2.0/plumb/nodes`: the live server nodes, each with `drift` when its configuration
 * disagrees. `GET /api/2.0/plumb/nodes/self`: the node that answers, with its connection pool's use
 * (`connection_pool` is null on SQLite, which has one embedded connection and no pool).
 */
export function registerNodeRoutes(router: Router, nodes: NodeRouteService): void {
  for (const prefix of ['/api/', '/ajax-api/']) {
    const url = `${prefix}2.0/plumb/nodes`;
    router.remember(url, ['GET']);
    router.app.get(url, async () => ({
      nodes: (await nodes.list()).map((node) => ({
        node_id: node.nodeId,
        host: node.host,
        port: node.port,
        version: node.version,
        schema_version: node.schemaVersion,
        started_at: node.startedAt,
        heartbeat_at: node.heartbeatAt,
        config_fingerprint: node.configFingerprint,
        config_summary: node.configSummary,
        drift: node.drift,
      })),
    }));
    const selfUrl = `${prefix}2.0/plumb/nodes/self`;
    router.remember(selfUrl, ['GET']);
    router.app.get(selfUrl, async () => {
      const self = nodes.self();
      const pool = self.connectionPool;
      return {
        node: {
          node_id: self.nodeId,
          host: self.host,
          port: self.port,
          version: self.version,
          schema_version: self.schemaVersion,
          config_fingerprint: self.configFingerprint,
        },
        connection_pool: pool ? { max: pool.max, open: pool.open, idle: pool.idle, waiting: pool.waiting } : null,
      };
    });
  }
}
