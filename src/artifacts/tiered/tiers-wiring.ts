import { hostname } from 'node:os';
import type { Clock } from '../../core/clock.ts';
import { systemClock } from '../../core/clock.ts';
import type { Config, HotTierConfig } from '../../config/config.ts';
import type { Telemetry } from '../../telemetry/telemetry.ts';
import { ArtifactTiersDoctor } from '../../doctor/artifact-tiers-doctor.service.ts';
import { LIVE_INTERVALS } from '../../doctor/node-registry.service.ts';
import type { MetadataStore } from '../../store/store.ts';
import type { ArtifactRepository } from '../artifact-repository.ts';
import { LocalArtifactRepository } from '../local/local-artifact-repository.ts';
import { TieredArtifactRepository } from './tiered-artifact-repository.ts';
import { type TierObserver, TierMover, type TierReport } from './tier-mover.ts';

interface TierLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/** A hot tier in front of the configured destination, and the mover between them. */
export interface Tiers {
  /** What the artifact service and the snapshots use: one store over both tiers. */
  readonly repository: ArtifactRepository;
  readonly hot: ArtifactRepository;
  readonly cold: ArtifactRepository;
  readonly mover: TierMover;
  /** This node's name in the manifest; undefined on a shared mount. */
  readonly node: string | undefined;
  /** Runs a mover pass every `intervalMs` (inside `plumb server`); passes never overlap. */
  start(logger: TierLogger): void;
  stop(): Promise<void>;
}

/**
 * The node a per-node hot copy belongs to: the host name, as the node registry's ids begin with
 * it (their first 27 characters), so doctor can tell whether the holder is still alive.
 */
export const hotNodeName = (): string => hostname().slice(0, 27);

export function createTiers(deps: {
  config: HotTierConfig;
  cold: ArtifactRepository;
  store: MetadataStore;
  clock: Clock;
  observer?: TierObserver | undefined;
}): Tiers {
  const { config, cold, store, clock } = deps;
  const hot = new LocalArtifactRepository(config.path);
  const node = config.shared ? undefined : hotNodeName();
  const manifest = store.artifactManifest;
  const repository = new TieredArtifactRepository({
    hot,
    cold,
    node,
    locate: async (path) => {
      const entry = await manifest.get(path);
      return entry
        ? { tier: entry.tier ?? 'cold', hotNode: entry.hotNode, size: entry.size, etag: entry.etag }
        : undefined;
    },
  });
  const pinnedExperiments = new Set(config.pins.experimentIds);
  const mover = new TierMover({
    hot,
    cold,
    manifest,
    node,
    clock,
    observer: deps.observer,
    policy: { maxAgeMs: config.maxAgeMs, budgetBytes: config.budgetBytes, leaseMs: config.leaseMs },
    runInfo: async (runId) => {
      const info = await store.tracking.getRunInfo(runId);
      return info && { status: info.status, experimentId: info.experimentId };
    },
    pins: {
      experimentIds: pinnedExperiments,
      // Aliases move: they are resolved at every pass, so a new champion is pinned from then on.
      async pinnedRuns() {
        const runs = new Set(config.pins.runIds);
        for (const { name, alias } of config.pins.models) {
          const version = await store.registry.getModelVersionByAlias(name, alias);
          if (version?.runId) runs.add(version.runId);
        }
        return runs;
      },
    },
    afterStep: config.testCrashAt
      ? (step) => {
          // Test hook (docs/operations.md): die as a power cut would, with nothing flushed or cleaned up.
          if (step === config.testCrashAt) process.kill(process.pid, 'SIGKILL');
        }
      : undefined,
  });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<TierReport | undefined> | undefined;
  return {
    repository,
    hot,
    cold,
    mover,
    node,
    start(logger) {
      timer = setInterval(() => {
        if (running) return;
        running = mover
          .pass()
          .then((report) => {
            if (report.moved.length + report.failed.length + report.recovered.length > 0) {
              logger.info(
                { moved: report.moved.length, failed: report.failed, recovered: report.recovered.length },
                'artifact tier pass',
              );
            }
            return report;
          })
          .catch((error: unknown) => {
            logger.warn({ err: error }, 'artifact tier pass failed');
            return undefined;
          })
          .finally(() => {
            running = undefined;
          });
      }, config.intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/** The hot tier and its mover when --artifacts-hot is set; metrics report its totals and moves. */
export function openTiers(
  config: Config,
  destination: ArtifactRepository,
  store: MetadataStore,
  telemetry?: Telemetry,
): Tiers | undefined {
  if (!config.artifacts.hot) return undefined;
  const metrics = telemetry?.metrics;
  metrics?.setTierTotals(() => store.artifactManifest.tierTotals());
  const observer = metrics?.tierObserver;
  return createTiers({ config: config.artifacts.hot, cold: destination, store, clock: systemClock, observer });
}

/** The tier check of `plumb doctor artifacts`, on the doctor's (read-only) store. */
export function tiersDoctor(tiers: Tiers, store: MetadataStore, config: Config): ArtifactTiersDoctor {
  return new ArtifactTiersDoctor({
    hot: tiers.hot,
    cold: tiers.cold,
    manifest: store.artifactManifest,
    node: tiers.node,
    leaseMs: config.artifacts.hot?.leaseMs ?? 0,
    clock: systemClock,
    liveNodes: async () => (await store.nodes.listLive(config.nodes.heartbeatMs * LIVE_INTERVALS)).map((n) => n.nodeId),
  });
}
