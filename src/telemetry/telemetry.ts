import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { ArtifactRepository } from '../artifacts/artifact-repository.ts';
import type { TelemetryConfig } from '../config/config.ts';
import type { StoreObserver } from '../store/sql/write-groups.ts';
import type { TrackingStore } from '../store/store.ts';
import { ClientVersionPolicy, parseClientVersionRules } from './client-version-policy.ts';
import type { MetricSources, PlumbMetrics } from './metrics.ts';
import { observeArtifacts } from './observed-artifacts.ts';
import { countIngestedRows } from './observed-tracking.ts';
import type { Tracing } from './tracing.ts';

/** Everything observability adds to one app; built by createTelemetry, wired by app.ts. */
export interface Telemetry {
  /** Undefined when metrics are off: nothing is counted then. */
  readonly metrics?: PlumbMetrics | undefined;
  /** Undefined when tracing is off: no span object is ever made then. */
  readonly tracing?: Tracing | undefined;
  readonly clients: ClientVersionPolicy;
  readonly slowRequestMs: number;
  /** Whether GET /metrics is served on the API's own port (metrics on, no port of their own). */
  readonly metricsOnApiPort: boolean;
  /** For the metadata store's options: undefined when there is nothing to observe. */
  readonly storeObserver: StoreObserver | undefined;
  observeTracking(store: TrackingStore): TrackingStore;
  observeArtifacts(repository: ArtifactRepository): ArtifactRepository;
  /** The scrape-time readings (pool, schema, nodes), known once the store and node registry exist. */
  setSources(sources: MetricSources): void;
  /** Starts the separate metrics listener, if one is configured; returns its URL. */
  listen(host: string): Promise<string | undefined>;
  close(): Promise<void>;
}

/**
 * prom-client and the OpenTelemetry SDK load only when metrics or tracing are on: together they
 * add about 200 ms to every start otherwise.
 */
export async function createTelemetry(
  config: TelemetryConfig,
  deps: { logger: Logger; version: string; now: () => number },
): Promise<Telemetry> {
  const { logger } = deps;
  if (config.exposePrometheusDir !== undefined) {
    logger.info(
      { directory: config.exposePrometheusDir },
      '--expose-prometheus: the directory is not used, Plumb keeps metrics in process and serves them at /metrics',
    );
  }
  let sources: MetricSources | undefined;
  const metrics = config.metrics.enabled
    ? new (await import('./metrics.ts')).PlumbMetrics({
        version: deps.version,
        logger,
        sources: {
          connectionPool: () => sources?.connectionPool(),
          schemaStatus: () => sources?.schemaStatus() ?? Promise.reject(new Error('the store is not open yet')),
          nodes: () => sources?.nodes() ?? Promise.resolve({ live: 0, mismatched: 0 }),
        },
      })
    : undefined;
  const tracing = config.tracing ? new (await import('./tracing.ts')).Tracing(config.tracing, deps.version) : undefined;
  const rules =
    config.clientVersions.allowed === undefined ? undefined : parseClientVersionRules(config.clientVersions.allowed);
  const clients = new ClientVersionPolicy(
    {
      // config.ts has validated the spec: a string here would be a message it already reported.
      rules: typeof rules === 'string' ? undefined : rules,
      mode: config.clientVersions.policy,
      rejectUnrecognised: config.clientVersions.rejectUnrecognised,
      warnIntervalMs: config.clientVersions.warnIntervalMs,
    },
    { logger, now: deps.now },
  );
  let server: Server | undefined;
  return {
    metrics,
    tracing,
    clients,
    slowRequestMs: config.slowRequestMs,
    metricsOnApiPort: metrics !== undefined && config.metrics.port === undefined,
    storeObserver: storeObserver(metrics, tracing),
    observeTracking: (store) => (metrics ? countIngestedRows(store, metrics) : store),
    observeArtifacts: (repository) => observeArtifacts(repository, { metrics, tracing }),
    setSources(given) {
      sources = { ...given, nodes: oncePerScrape(given.nodes) };
    },
    async listen(host) {
      if (!metrics || config.metrics.port === undefined) return undefined;
      server = createServer((request, response) => {
        if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
          response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: metrics are at /metrics\n');
          return;
        }
        metrics.scrape().then(
          ({ contentType, body }) => response.writeHead(200, { 'content-type': contentType }).end(body),
          (error: unknown) => {
            logger.warn({ err: error }, 'metrics scrape failed');
            response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics scrape failed\n');
          },
        );
      });
      const listening = server;
      await new Promise<void>((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(config.metrics.port, host, () => resolve());
      });
      const { address, port } = listening.address() as AddressInfo;
      return `http://${address.includes(':') ? `[${address}]` : address}:${port}/metrics`;
    },
    async close() {
      const closing = server;
      server = undefined;
      if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
      await tracing?.shutdown();
    },
  };
}

function storeObserver(metrics: PlumbMetrics | undefined, tracing: Tracing | undefined): StoreObserver | undefined {
  if (!metrics && !tracing) return undefined;
  return {
    queueChanged: metrics && ((requests, rows) => metrics.queueChanged(requests, rows)),
    groupCommitted: metrics && ((requests, rows) => metrics.groupCommitted(requests, rows)),
    transaction:
      tracing &&
      ((run, info) => tracing.inSpan('db transaction', SpanKind.CLIENT, { 'db.system.name': info.system }, run)),
  };
}

/** Two gauges read the node registry: one query serves both within a scrape. */
function oncePerScrape<T>(read: () => Promise<T>): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at > 1000) last = { at: now, value: read() };
    return last.value;
  };
}
