import type { Migration } from './migration.ts';
import { trackingSchema } from './0001-tracking.ts';
import { artifactManifest } from './0002-artifact-manifest.ts';
import { registrySchema } from './0003-registry.ts';
import { loggedModelsSchema } from './0004-logged-models.ts';
import { webhooksSchema } from './0005-webhooks.ts';
import { serverNodesSchema } from './0006-server-nodes.ts';
import { clientVersionsSchema } from './0007-client-versions.ts';
import { metricRollupsSchema } from './0008-metric-rollups.ts';
import { runSearchIndexes } from './0009-run-search-indexes.ts';
import { artifactTiers } from './0010-artifact-tiers.ts';

/** Every migration this release knows, in order. Append only: never edit or reorder a released one. */
export const MIGRATIONS: readonly Migration[] = [
  trackingSchema,
  artifactManifest,
  registrySchema,
  loggedModelsSchema,
  webhooksSchema,
  serverNodesSchema,
  clientVersionsSchema,
  metricRollupsSchema,
  runSearchIndexes,
  artifactTiers,
];
