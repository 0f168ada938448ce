import type { NodeRegistryService } from '../doctor/node-registry.service.ts';
import type { MetadataStore } from '../store/store.ts';
import type { MetricSources } from './metrics.ts';

/** The scrape-time readings of one app: its pool, its schema and what the node registry knows. */
export function metricSourcesOf(store: MetadataStore, nodes: NodeRegistryService): MetricSources {
  return {
    connectionPool: () => store.connectionPool(),
    schemaStatus: () => store.schema.status(),
    nodes: async () => {
      const live = await nodes.list();
      return { live: live.length, mismatched: live.filter((node) => node.drift).length };
    },
  };
}
