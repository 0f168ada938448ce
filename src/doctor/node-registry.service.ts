import { MlflowError } from '../core/errors.ts';
import type { NodeRegistration, NodeRegistryStore, ServerNode } from '../store/node-registry-store.ts';
import type { ConnectionPoolUse } from '../store/store.ts';
import { ClientSightings } from './client-sightings.ts';

/** A live node as the API shows it: `drift` when its configuration differs from the reference. */
export interface NodeView extends ServerNode {
  readonly drift: boolean;
}

/** This process as it sees itself right now: its registration and how busy its database pool is. */
export interface SelfView extends NodeRegistration {
  readonly connectionPool: ConnectionPoolUse | undefined;
}

interface WarnLogger {
  warn(details: object, message: string): void;
}

/** A node is live while its last heartbeat is younger than this many intervals (one missed beat is tolerated). */
export const LIVE_INTERVALS = 3;

/** Client versions not seen for this long are dropped from the database. */
export const FORGET_CLIENTS_AFTER_MS = 30 * 24 * 3_600_000;

/**
 * Keeps this process's row in the node registry (DESIGN invariant 7): registers at start,
 * heartbeats on a timer that never keeps the process alive, and removes the row on a clean stop.
 * With `strictConfig`, a node whose fingerprint disagrees with the live ones refuses to start.
 * Each heartbeat also stores the client versions counted since the previous one.
 */
export class NodeRegistryService {
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private readonly liveWindowMs: number;
  private readonly clients = new ClientSightings();

  constructor(
    private readonly deps: {
      store: NodeRegistryStore;
      self: NodeRegistration;
      heartbeatMs: number;
      strictConfig: boolean;
      logger: WarnLogger;
      connectionPool: () => ConnectionPoolUse | undefined;
    },
  ) {
    this.liveWindowMs = deps.heartbeatMs * LIVE_INTERVALS;
  }

  get nodeId(): string {
    return this.deps.self.nodeId;
  }

  /** Throws INVALID_STATE (strict mode) naming the settings that differ; registers otherwise. */
  async start(): Promise<void> {
    const { self } = this.deps;
    const admission = this.deps.strictConfig
      ? { liveWithinMs: this.liveWindowMs, admit: (others: readonly ServerNode[]) => refuseDrift(self, others) }
      : undefined;
    await this.deps.store.register(self, admission);
    this.timer = setInterval(() => {
      this.beating ??= this.beat().finally(() => (this.beating = undefined));
    }, this.deps.heartbeatMs);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    try {
      // The row is gone when an operator or a cleanup removed it: come back rather than vanish.
      if (!(await this.deps.store.heartbeat(this.nodeId))) await this.deps.store.register(this.deps.self);
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'node heartbeat failed');
    }
    await this.reportClients();
  }

  /** Counts one request towards its client's release (from its User-Agent). */
  noteClient(userAgent: string | undefined): void {
    this.clients.note(userAgent);
  }

  private async reportClients(): Promise<void> {
    const sightings = this.clients.drain();
    if (sightings.length === 0) return;
    try {
      await this.deps.store.recordClients(sightings, FORGET_CLIENTS_AFTER_MS);
    } catch (error) {
      this.clients.restore(sightings); // counted again at the next beat
      this.deps.logger.warn({ err: error }, 'could not record client versions');
    }
  }

  /** Live nodes, oldest first, each flagged when its fingerprint differs from the reference one. */
  async list(): Promise<NodeView[]> {
    const nodes = await this.deps.store.listLive(this.liveWindowMs);
    const reference = referenceNode(nodes)?.configFingerprint;
    return nodes.map((node) => ({ ...node, drift: node.configFingerprint !== reference }));
  }

  self(): SelfView {
    return { ...this.deps.self, connectionPool: this.deps.connectionPool() };
  }

  /** Stops the heartbeat and removes this node's row, so it leaves the live list at once. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
    await this.reportClients();
    await this.deps.store.remove(this.nodeId);
  }
}

/** Strict mode: throws INVALID_STATE naming the settings in which `self` differs from the live nodes. */
function refuseDrift(self: NodeRegistration, others: readonly ServerNode[]): void {
  const reference = referenceNode(others);
  if (reference && reference.configFingerprint !== self.configFingerprint) {
    const settings = differingSettings(reference.configSummary, self.configSummary);
    throw new MlflowError(
      'INVALID_STATE',
      `Refusing to start (--strict-config): this node's configuration differs from the live nodes' in ${settings.join(', ') || 'its fingerprint'} (compare with node ${reference.nodeId} at ${reference.host}:${reference.port})`,
    );
  }
}

/**
 * The node whose configuration counts as the cluster's: the oldest live node carrying the
 * fingerprint most nodes share. On a tie, the fingerprint of the oldest live node wins.
 * `nodes` must be ordered oldest first (as listLive returns them).
 */
export function referenceNode(nodes: readonly ServerNode[]): ServerNode | undefined {
  const counts = new Map<string, number>();
  for (const node of nodes) counts.set(node.configFingerprint, (counts.get(node.configFingerprint) ?? 0) + 1);
  let best: ServerNode | undefined;
  for (const node of nodes) {
    // Strictly more only: among equal counts the earlier (older) node's fingerprint stays.
    if (!best || (counts.get(node.configFingerprint) ?? 0) > (counts.get(best.configFingerprint) ?? 0)) best = node;
  }
  return best;
}

/** Top-level settings whose values differ between two configuration summaries, sorted. */
export function differingSettings(
  a: { readonly [key: string]: unknown },
  b: { readonly [key: string]: unknown },
): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((key) => JSON.stringify(sorted(a[key])) !== JSON.stringify(sorted(b[key]))).sort();
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
        .map(([k, v]) => [k, sorted(v)]),
    );
  }
  return value;
}
