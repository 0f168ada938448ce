import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { ConnectionPoolUse, SchemaStatus } from '../store/store.ts';
import type { ClientCheck } from './client-version-policy.ts';
import { type HistogramSeries, LightHistogram } from './light-histogram.ts';

/** What the scrape-time gauges read: each is asked at most once per scrape. */
export interface MetricSources {
  connectionPool(): ConnectionPoolUse | undefined;
  schemaStatus(): Promise<SchemaStatus>;
  /** Live nodes and how many of them carry a configuration fingerprint other than the reference one. */
  nodes(): Promise<{ live: number; mismatched: number }>;
}

/** Bytes, objects and unfinished moves per artifact tier (the manifest's totals). */
export interface TierTotalsSource {
  (): Promise<{
    hot: { objects: number; bytes: number };
    cold: { objects: number; bytes: number };
    pendingMoves: number;
  }>;
}

interface WarnLogger {
  warn(details: object, message: string): void;
}

/** Distinct client/version label pairs at most; the rest are counted as `(other)`. */
const MAX_CLIENT_SERIES = 64;
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

type Labels = Record<string, string>;

/**
 * Counts kept in plain numbers and added to their prom-client counter when it is scraped: a
 * labelled `inc` hashes its labels on every call (about a microsecond), a map hit here does not.
 */
class PendingCounts {
  private readonly series = new Map<string, { labels: Labels; pending: number }>();

  add(key: string, labels: () => Labels, n = 1): void {
    const known = this.series.get(key);
    if (known) known.pending += n;
    else this.series.set(key, { labels: labels(), pending: n });
  }

  /** Distinct series so far, to cap label sets. */
  get size(): number {
    return this.series.size;
  }

  has(key: string): boolean {
    return this.series.has(key);
  }

  flushInto(counter: Counter): void {
    for (const entry of this.series.values()) {
      if (entry.pending === 0) continue;
      counter.inc(entry.labels, entry.pending);
      entry.pending = 0;
    }
  }
}

/**
 * Plumb's metric families in a registry of their own (tests build many apps in one process, and
 * the global default registry would mix them). Labels are bounded: routes are templates, clients
 * are capped, tables and operations are fixed lists. Children are cached so that a request costs
 * two map lookups, not a label hash each.
 */
export class PlumbMetrics {
  readonly registry = new Registry();
  private readonly requests = new PendingCounts();
  private readonly duration: LightHistogram;
  private readonly queueRequests: Gauge;
  private readonly queueRows: Gauge;
  private readonly groupRequests: HistogramSeries;
  private readonly groupRows: HistogramSeries;
  private readonly rowsIngested = new PendingCounts();
  private readonly artifactBytesIn: Counter;
  private readonly artifactBytesOut: Counter;
  private readonly uploadsInFlight: Gauge;
  private readonly artifactOperations = new PendingCounts();
  private readonly clientRequests = new PendingCounts();
  private readonly tierMoves: Counter;
  private readonly tierMovedBytes: Counter;
  private readonly tierMoveFailures: Counter;
  private tierTotals: TierTotalsSource | undefined;

  constructor(deps: { sources: MetricSources; version: string; logger: WarnLogger }) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const { sources, logger } = deps;
    new Gauge({ name: 'plumb_build_info', help: 'Plumb release serving', labelNames: ['version'], registers }).set(
      { version: deps.version },
      1,
    );
    const requests = this.requests;
    new Counter({
      name: 'plumb_http_requests_total',
      help: 'HTTP requests answered, by method, route template and status',
      labelNames: ['method', 'route', 'status'],
      registers,
      collect() {
        requests.flushInto(this);
      },
    });
    this.duration = new LightHistogram(
      'plumb_http_request_duration_seconds',
      'Time from request received to response sent, by method, route template and status',
      DURATION_BUCKETS,
      this.registry,
    );
    const pool = (name: string, help: string, read: (use: ConnectionPoolUse) => number) =>
      new Gauge({
        name,
        help: `${help} (0 on SQLite, which has one embedded connection and no pool)`,
        registers,
        collect() {
          const use = sources.connectionPool();
          this.set(use ? read(use) : 0);
        },
      });
    pool('plumb_db_pool_size', 'Connections the database pool may open at most', (u) => u.max);
    pool('plumb_db_pool_open_connections', 'Database connections open, busy or idle', (u) => u.open);
    pool('plumb_db_pool_in_use_connections', 'Database connections running a query', (u) => u.open - u.idle);
    pool('plumb_db_pool_waiting_requests', 'Queries waiting for a free database connection', (u) => u.waiting);
    this.queueRequests = new Gauge({
      name: 'plumb_write_queue_requests',
      help: 'Write requests waiting for a group commit',
      registers,
    });
    this.queueRows = new Gauge({ name: 'plumb_write_queue_rows', help: 'Rows waiting for a group commit', registers });
    this.groupRequests = new LightHistogram(
      'plumb_group_commit_requests',
      'Requests committed together in one group transaction',
      [1, 2, 4, 8, 16, 32, 48, 64],
      this.registry,
    ).series('', () => ({}));
    this.groupRows = new LightHistogram(
      'plumb_group_commit_rows',
      'Rows (metrics, params, tags) committed in one group transaction',
      [1, 10, 100, 1000, 5000, 10_000, 20_000, 50_000],
      this.registry,
    ).series('', () => ({}));
    const rowsIngested = this.rowsIngested;
    new Counter({
      name: 'plumb_rows_ingested_total',
      help: 'Rows written by committed tracking writes, by table',
      labelNames: ['table'],
      registers,
      collect() {
        rowsIngested.flushInto(this);
      },
    });
    this.artifactBytesIn = new Counter({
      name: 'plumb_artifact_bytes_received_total',
      help: 'Artifact bytes stored (uploads and parts)',
      registers,
    });
    this.artifactBytesOut = new Counter({
      name: 'plumb_artifact_bytes_sent_total',
      help: 'Artifact bytes read from storage for downloads',
      registers,
    });
    this.uploadsInFlight = new Gauge({
      name: 'plumb_artifact_uploads_in_flight',
      help: 'Artifact uploads (puts and parts) being written now',
      registers,
    });
    const artifactOperations = this.artifactOperations;
    new Counter({
      name: 'plumb_artifact_operations_total',
      help: 'Artifact repository operations, by operation and outcome',
      labelNames: ['operation', 'outcome'],
      registers,
      collect() {
        artifactOperations.flushInto(this);
      },
    });
    const clientRequests = this.clientRequests;
    new Counter({
      name: 'plumb_client_requests_total',
      help: 'Requests by client and version (from User-Agent) and what the version policy said',
      labelNames: ['client', 'version', 'verdict'],
      registers,
      collect() {
        clientRequests.flushInto(this);
      },
    });
    const warn = (what: string) => (error: unknown) => logger.warn({ err: error }, `metrics: could not read ${what}`);
    new Gauge({
      name: 'plumb_nodes_live',
      help: 'Server nodes with a recent heartbeat in the node registry',
      registers,
      async collect() {
        await sources.nodes().then(({ live }) => this.set(live), warn('the node registry'));
      },
    });
    new Gauge({
      name: 'plumb_nodes_config_mismatched',
      help: "Live nodes whose configuration fingerprint differs from the cluster's reference node",
      registers,
      async collect() {
        await sources.nodes().then(({ mismatched }) => this.set(mismatched), warn('the node registry'));
      },
    });
    this.tierMoves = new Counter({
      name: 'plumb_artifact_tier_moves_total',
      help: 'Artifacts moved from the hot tier to the cold tier by this process',
      registers,
    });
    this.tierMovedBytes = new Counter({
      name: 'plumb_artifact_tier_moved_bytes_total',
      help: 'Bytes moved from the hot tier to the cold tier by this process',
      registers,
    });
    this.tierMoveFailures = new Counter({
      name: 'plumb_artifact_tier_move_failures_total',
      help: 'Moves to the cold tier that failed (retried by a later pass)',
      registers,
    });
    const tiers = () => this.tierTotals?.();
    new Gauge({
      name: 'plumb_artifact_tier_bytes',
      help: 'Artifact bytes the manifest places in each tier (hot, cold); absent without a hot tier',
      labelNames: ['tier'],
      registers,
      async collect() {
        await tiers()?.then((t) => {
          this.set({ tier: 'hot' }, t.hot.bytes);
          this.set({ tier: 'cold' }, t.cold.bytes);
        }, warn('the artifact tiers'));
      },
    });
    new Gauge({
      name: 'plumb_artifact_tier_objects',
      help: 'Artifacts the manifest places in each tier (hot, cold); absent without a hot tier',
      labelNames: ['tier'],
      registers,
      async collect() {
        await tiers()?.then((t) => {
          this.set({ tier: 'hot' }, t.hot.objects);
          this.set({ tier: 'cold' }, t.cold.objects);
        }, warn('the artifact tiers'));
      },
    });
    new Gauge({
      name: 'plumb_artifact_tier_pending_moves',
      help: 'Moves claimed by a mover and not finished yet (in progress, or left by a mover that died)',
      registers,
      async collect() {
        await tiers()?.then((t) => this.set(t.pendingMoves), warn('the artifact tiers'));
      },
    });
    new Gauge({
      name: 'plumb_schema_migrations',
      help: 'Schema migrations by state: applied, known (to this release), pending, unknown (applied by a newer release)',
      labelNames: ['state'],
      registers,
      async collect() {
        await sources.schemaStatus().then((status) => {
          this.set({ state: 'applied' }, status.applied.length);
          this.set({ state: 'known' }, status.latestKnownVersion);
          this.set({ state: 'pending' }, status.pending.length);
          this.set({ state: 'unknown' }, status.unknown.length);
        }, warn('the schema status'));
      },
    });
  }

  request(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    const labels = () => ({ method, route, status: String(status) });
    this.requests.add(key, labels);
    this.duration.series(key, labels).observe(seconds);
  }

  queueChanged(requests: number, rows: number): void {
    this.queueRequests.set(requests);
    this.queueRows.set(rows);
  }

  groupCommitted(requests: number, rows: number): void {
    this.groupRequests.observe(requests);
    this.groupRows.observe(rows);
  }

  rows(table: string, count: number): void {
    if (count > 0) this.rowsIngested.add(table, () => ({ table }), count);
  }

  artifactBytes(direction: 'in' | 'out', bytes: number): void {
    (direction === 'in' ? this.artifactBytesIn : this.artifactBytesOut).inc(bytes);
  }

  uploadStarted(): void {
    this.uploadsInFlight.inc();
  }

  uploadEnded(): void {
    this.uploadsInFlight.dec();
  }

  artifactOperation(operation: string, outcome: 'ok' | 'error'): void {
    this.artifactOperations.add(`${operation} ${outcome}`, () => ({ operation, outcome }));
  }

  client(check: ClientCheck): void {
    const key = `${check.client}/${check.version}/${check.verdict}`;
    if (this.clientRequests.has(key) || this.clientRequests.size < MAX_CLIENT_SERIES) {
      this.clientRequests.add(key, () => ({ client: check.client, version: check.version, verdict: check.verdict }));
    } else {
      this.clientRequests.add(`(other)/${check.verdict}`, () => ({
        client: '(other)',
        version: '-',
        verdict: check.verdict,
      }));
    }
  }

  /** Where the tier gauges read their totals; set when a hot tier is configured. */
  setTierTotals(source: TierTotalsSource): void {
    this.tierTotals = source;
  }

  /** The mover's observer (TierObserver). */
  readonly tierObserver = {
    moved: (bytes: number) => {
      this.tierMoves.inc();
      this.tierMovedBytes.inc(bytes);
    },
    moveFailed: () => this.tierMoveFailures.inc(),
  };

  /** The exposition text and its content type, for GET /metrics. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
