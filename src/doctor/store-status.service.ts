import type { ArtifactRepository } from '../artifacts/artifact-repository.ts';
import type { Clock } from '../core/clock.ts';
import { ARTIFACT_ROOT } from '../core/artifact-path.ts';
import type { SchemaControl } from '../store/store.ts';

/** How long a probe may take before the store counts as unreachable for the health page. */
const PROBE_TIMEOUT_MS = 5_000;

export interface ProbeResult {
  readonly reachable: boolean;
  readonly latencyMs: number;
  /** What failed, when it did: the driver's or storage's message (never credentials: URIs are redacted before). */
  readonly error?: string;
}

export interface StoreStatus {
  readonly database: ProbeResult & {
    readonly engine: string;
    /** The highest migration applied, and those this release knows but the database lacks. */
    readonly schemaVersion?: number;
    readonly pendingMigrations?: readonly number[];
  };
  readonly artifacts: ProbeResult & { readonly description: string };
}

/**
 * What the health page shows besides the live nodes: whether this node reaches its database (and
 * which schema version it holds) and its artifact store, each probed now with the time it took.
 * A probe that fails or hangs is reported, never thrown: the page must render when a store is down.
 */
export class StoreStatusService {
  constructor(
    private readonly deps: {
      readonly engine: string;
      readonly schema: SchemaControl;
      readonly repository: ArtifactRepository;
      readonly clock: Clock;
      readonly probeTimeoutMs?: number;
    },
  ) {}

  async status(): Promise<StoreStatus> {
    const [database, artifacts] = await Promise.all([
      this.probe(async () => {
        const status = await this.deps.schema.status();
        return {
          schemaVersion: Math.max(0, ...status.applied.map((m) => m.version)),
          pendingMigrations: status.pending.map((m) => m.version),
        };
      }),
      // One listing entry at the root: a request the storage answers cheaply, with the server's credentials.
      this.probe(async () => {
        await this.deps.repository.list(ARTIFACT_ROOT, { maxResults: 1 });
        return {};
      }),
    ]);
    return {
      database: { engine: this.deps.engine, ...database },
      artifacts: { description: this.deps.repository.description, ...artifacts },
    };
  }

  private async probe<T extends object>(work: () => Promise<T>): Promise<ProbeResult & Partial<T>> {
    const started = this.deps.clock.now();
    const limit = this.deps.probeTimeoutMs ?? PROBE_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${limit} ms`)), limit);
    });
    try {
      const found = await Promise.race([work(), timeout]);
      return { reachable: true, latencyMs: this.deps.clock.now() - started, ...found };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { reachable: false, latencyMs: this.deps.clock.now() - started, error: message } as ProbeResult &
        Partial<T>;
    } finally {
      clearTimeout(timer);
    }
  }
}
