import { createHash } from 'node:crypto';
import type { ArtifactStoreConfig, Config, StoreConfig } from './config.ts';

/**
 * The settings every replica on one database must share (DESIGN invariant 7): where metadata and
 * artifacts live and the rules that decide what a write does. Host, port, log level and pool
 * sizes may differ per node and are left out. Secrets are never part of it: passwords and query
 * strings are cut from URIs, and a webhook key counts only as present or absent.
 */
export function configSummary(config: Config): Record<string, unknown> {
  return {
    backend: storeIdentity(config.store),
    artifactsDestination: artifactIdentity(config.artifacts.destination),
    defaultArtifactRoot: uriIdentity(config.artifacts.defaultArtifactRoot),
    serveArtifacts: config.artifacts.serveArtifacts,
    allowOverwriteFinishedRuns: config.artifacts.allowOverwriteFinishedRuns,
    truncateLongValues: config.tracking.truncateLongValues,
    // Any replica may deliver any webhook, so the delivery policy must be the same everywhere.
    webhooks: {
      allowedSchemes: [...config.webhooks.allowedSchemes].sort(),
      allowedHosts: [...config.webhooks.allowedHosts].sort(),
      maxRetries: config.webhooks.maxRetries,
      requestTimeoutMs: config.webhooks.requestTimeoutMs,
      secretKeySet: config.webhooks.secretKey !== undefined,
    },
  };
}

/** sha256 (hex) over the canonical JSON of configSummary: equal configurations, equal fingerprints. */
export function configFingerprint(summary: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(summary)).digest('hex');
}

/** JSON with object keys sorted at every level, so key order never changes the fingerprint. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function storeIdentity(store: StoreConfig): string {
  switch (store.kind) {
    case 'sqlite':
      return `sqlite:${store.path}`;
    case 'postgres':
      return uriIdentity(store.connectionString);
    case 'mysql':
      return uriIdentity(store.uri.replace(/^mysql\+\w+:/, 'mysql:'));
    default: {
      const unknown: never = store;
      return String((unknown as { kind: string }).kind);
    }
  }
}

function artifactIdentity(destination: ArtifactStoreConfig): Record<string, unknown> {
  switch (destination.kind) {
    case 'local':
      return { kind: 'local', path: destination.path };
    case 's3':
      // The same bucket name on another endpoint is another store.
      return { kind: 's3', uri: uriIdentity(destination.uri), endpoint: destination.endpoint };
    case 'azure':
      return { kind: 'azure', uri: uriIdentity(destination.uri), account: destination.account };
    default: {
      const unknown: never = destination;
      return { kind: (unknown as { kind: string }).kind };
    }
  }
}

/** The URI without its password, query and fragment: what it points at, not how to log in. */
function uriIdentity(uri: string): string {
  const withoutQuery = uri.replace(/[?#].*$/, '');
  // user:password@ → user@ (the user name is kept: with Azure it is the container).
  return withoutQuery.replace(/^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/@:]*):[^@]*@/, '$1@');
}
