import type { NodeView } from '../../doctor/node-registry.service.ts';
import type { Router } from '../http-server.ts';

export interface NodeRouteService {
  list(): Promise<NodeView[]>;
}

/** `GET /api/2.0/plumb/nodes`: the live server nodes, each with `drift` when its configuration disagrees. */
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
  }
}
