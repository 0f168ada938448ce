import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Clock } from '../../core/clock.ts';
import { isMlflowError } from '../../core/errors.ts';
import type { ArtifactManifestStore, ManifestEntry } from '../../store/artifact-manifest-store.ts';
import type { ArtifactRepository } from '../artifact-repository.ts';

/** The steps of one move, in order; the test hook can end the process after any of them. */
export const MOVE_STEPS = ['after-copy', 'after-verify', 'after-manifest', 'after-delete'] as const;
export type MoveStep = (typeof MOVE_STEPS)[number];

/** What the mover reports to metrics (implemented in src/telemetry). */
export interface TierObserver {
  moved(bytes: number): void;
  moveFailed(): void;
}

export interface TierPolicy {
  /** Entries of finished runs recorded longer ago than this move to cold. */
  readonly maxAgeMs: number;
  /** Above this many hot bytes (this node's, or the shared mount's), the oldest move first. */
  readonly budgetBytes?: number | undefined;
  /** A claim older than this belongs to a mover that died: the next pass takes the move over. */
  readonly leaseMs: number;
}

/** Runs, experiments and model aliases that stay hot, resolved to run ids at each pass. */
export interface TierPins {
  pinnedRuns(): Promise<ReadonlySet<string>>;
  readonly experimentIds: ReadonlySet<string>;
}

export interface TierMoverDeps {
  readonly hot: ArtifactRepository;
  readonly cold: ArtifactRepository;
  readonly manifest: ArtifactManifestStore;
  readonly runInfo: (runId: string) => Promise<{ status: string; experimentId: string } | undefined>;
  readonly policy: TierPolicy;
  readonly pins: TierPins;
  readonly clock: Clock;
  /** This node's id; undefined when the hot tier is a shared mount (every node's entries are ours). */
  readonly node?: string | undefined;
  readonly observer?: TierObserver | undefined;
  /** Called after each step; the test hook ends the process here (docs/operations.md). */
  readonly afterStep?: ((step: MoveStep, path: string) => void | Promise<void>) | undefined;
}

export interface TierReport {
  readonly moved: { path: string; size: number }[];
  readonly failed: { path: string; message: string }[];
  /** Half-done moves of a mover that died, finished or cleaned up by this pass. */
  readonly recovered: string[];
  pinned: number;
}

const TERMINAL = new Set(['FINISHED', 'FAILED', 'KILLED']);
const BATCH = 100_000;

async function digest(body: Readable): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of body) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest('hex') };
}

const isMissing = (error: unknown) => isMlflowError(error) && error.code === 'RESOURCE_DOES_NOT_EXIST';

/**
 * Moves artifacts from the hot tier to the cold one: claim → copy → verify size and sha256
 * against the manifest → record the cold location (one transaction) → delete the hot copy →
 * release the claim. Every state a crash can leave has a complete, verified copy in the tier the
 * manifest names, and the claim tells the next pass to finish or clean up (see `recover`).
 */
export class TierMover {
  constructor(private readonly deps: TierMoverDeps) {}

  /** One pass: half-done moves first, then what the policy (or `runId`, on demand) selects. */
  async pass(options: { runId?: string | undefined } = {}): Promise<TierReport> {
    const report: TierReport = { moved: [], failed: [], recovered: [], pinned: 0 };
    await this.recover(report);
    const candidates = await this.select(options.runId, report);
    for (const entry of candidates) await this.move(entry, report);
    return report;
  }

  private async recover(report: TierReport): Promise<void> {
    const now = this.deps.clock.now();
    const stale = await this.deps.manifest.listStaleMoves(now - this.deps.policy.leaseMs, BATCH);
    for (const entry of stale) {
      if (entry.tier === 'hot') {
        if (!this.ours(entry)) continue;
        // Died before the manifest named the cold copy: the hot copy is still the one; move again.
        if (await this.move(entry, report)) report.recovered.push(entry.path);
      } else if (this.ours(entry)) {
        // Died after recording the cold copy: only the hot leftover (on entry.hotNode) and the claim remain.
        await this.removeHotCopy(entry, entry.sha256);
        await this.deps.manifest.finishMove(entry.path, entry.sha256);
        report.recovered.push(entry.path);
      }
    }
  }

  private ours(entry: ManifestEntry): boolean {
    return this.deps.node === undefined || entry.hotNode === undefined || entry.hotNode === this.deps.node;
  }

  private async select(runId: string | undefined, report: TierReport): Promise<ManifestEntry[]> {
    const hot = await this.deps.manifest.listHot({ node: this.deps.node, limit: BATCH });
    if (runId !== undefined) return hot.filter((e) => e.runId === runId);
    const pinnedRuns = await this.deps.pins.pinnedRuns();
    const runs = new Map<string, { status: string; experimentId: string } | undefined>();
    const runOf = async (id: string) => {
      if (!runs.has(id)) runs.set(id, await this.deps.runInfo(id));
      return runs.get(id);
    };
    const movable: ManifestEntry[] = [];
    for (const entry of hot) {
      const run = entry.runId === undefined ? undefined : await runOf(entry.runId);
      const pinned =
        (entry.runId !== undefined && pinnedRuns.has(entry.runId)) ||
        (run !== undefined && this.deps.pins.experimentIds.has(run.experimentId));
      if (pinned) report.pinned += 1;
      else movable.push(entry);
    }
    const cutoff = this.deps.clock.now() - this.deps.policy.maxAgeMs;
    const chosen = new Set<ManifestEntry>();
    for (const entry of movable) {
      const run = entry.runId === undefined ? undefined : runs.get(entry.runId);
      // Artifacts outside any run (none today) have no run to finish: age alone decides.
      const finished = entry.runId === undefined || (run !== undefined && TERMINAL.has(run.status));
      if (finished && entry.recordedAt <= cutoff) chosen.add(entry);
    }
    const budget = this.deps.policy.budgetBytes;
    if (budget !== undefined) {
      let bytes = hot.reduce((sum, e) => sum + e.size, 0);
      for (const entry of chosen) bytes -= entry.size;
      // listHot is oldest first: the oldest unpinned entries go until the tier fits its budget.
      for (const entry of movable) {
        if (bytes <= budget) break;
        if (chosen.has(entry)) continue;
        chosen.add(entry);
        bytes -= entry.size;
      }
    }
    return movable.filter((e) => chosen.has(e));
  }

  /** Moves one entry; false when it was not moved (claimed elsewhere, changed, or failed). */
  private async move(entry: ManifestEntry, report: TierReport): Promise<boolean> {
    const { manifest, hot, cold, clock } = this.deps;
    const now = clock.now();
    if (!(await manifest.claimMove(entry, now, now - this.deps.policy.leaseMs))) return false;
    try {
      const source = await hot.get(entry.path).catch((error: unknown) => {
        if (isMissing(error))
          throw new Error(`no hot copy of '${entry.path}' although the manifest names the hot tier`);
        throw error;
      });
      const copied = await cold.put(entry.path, source.body, { contentLength: entry.size });
      await this.step('after-copy', entry.path);
      const check = await digest((await cold.get(entry.path)).body);
      if (check.size !== entry.size || check.sha256 !== entry.sha256) {
        await cold.delete(entry.path);
        throw new Error(
          `the cold copy of '${entry.path}' does not match the manifest (${check.size} bytes, sha256 ${check.sha256}; recorded ${entry.size}, ${entry.sha256})`,
        );
      }
      await this.step('after-verify', entry.path);
      if (!(await manifest.markCold(entry, copied.etag))) {
        // A new version was written meanwhile: it is in the hot tier and recorded; our copy is stale.
        await this.dropStaleColdCopy(entry);
        return false;
      }
      await this.step('after-manifest', entry.path);
      await this.removeHotCopy(entry, entry.sha256);
      await this.step('after-delete', entry.path);
      await manifest.finishMove(entry.path, entry.sha256);
      report.moved.push({ path: entry.path, size: entry.size });
      this.deps.observer?.moved(entry.size);
      return true;
    } catch (error) {
      await manifest.finishMove(entry.path, entry.sha256).catch(() => undefined);
      report.failed.push({ path: entry.path, message: (error as Error).message });
      this.deps.observer?.moveFailed();
      return false;
    }
  }

  private async step(step: MoveStep, path: string): Promise<void> {
    await this.deps.afterStep?.(step, path);
  }

  /** Deletes the hot copy only when it holds the recorded bytes: a newer write there must stay. */
  private async removeHotCopy(entry: ManifestEntry, sha256: string): Promise<void> {
    const found = await this.deps.hot.get(entry.path).catch((error: unknown) => {
      if (isMissing(error)) return undefined;
      throw error;
    });
    if (!found) return;
    const held = await digest(found.body);
    if (held.sha256 === sha256 && held.size === entry.size) await this.deps.hot.delete(entry.path);
  }

  private async dropStaleColdCopy(entry: ManifestEntry): Promise<void> {
    const current = await this.deps.manifest.get(entry.path);
    if (current?.tier === 'hot') await this.deps.cold.delete(entry.path);
  }
}
