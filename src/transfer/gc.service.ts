import type { ArtifactRepository } from '../artifacts/artifact-repository.ts';
import { type ArtifactPath, baseName, parseArtifactPath } from '../core/artifact-path.ts';
import type { Clock } from '../core/clock.ts';
import type { ArtifactManifestStore } from '../store/artifact-manifest-store.ts';
import type { ExperimentRecord, PurgedRows, PurgeStore, RunRecord } from '../store/maintenance-store.ts';
import { runArtifactPathOf } from '../tracking/artifact-locations.ts';
import { SNAPSHOT_DIR } from '../tracking/run-snapshot.format.ts';
import { noProgress, type OnProgress } from './progress.ts';

export interface GcDeps {
  readonly purge: PurgeStore;
  readonly manifest: ArtifactManifestStore;
  readonly artifacts: ArtifactRepository;
  /** The URI run artifact locations under the configured store start with. */
  readonly destinationUri: string;
  readonly clock: Clock;
}

export interface GcOptions {
  /** Only what was deleted more than this long ago (what has no deletion time is then kept). */
  readonly olderThanMs?: number | undefined;
  /** Only these runs (each must be deleted), plus the runs of `experimentIds`. */
  readonly runIds?: readonly string[] | undefined;
  /** Only these experiments (each must be deleted), with all their runs. */
  readonly experimentIds?: readonly string[] | undefined;
  readonly dryRun?: boolean | undefined;
  readonly onProgress?: OnProgress | undefined;
}

export interface Purged {
  readonly id: string;
  readonly experimentId: string;
  readonly name?: string | undefined;
  /** Artifact store paths removed (or to remove, in a dry run). */
  readonly artifactPaths: readonly string[];
  /** Why artifacts were left in place, when they were. */
  readonly artifactsKept?: string | undefined;
  /** Rows removed per table (empty in a dry run). */
  readonly rows: PurgedRows;
}

export interface GcReport {
  readonly dryRun: boolean;
  readonly runs: readonly Purged[];
  readonly experiments: readonly Purged[];
  /**
   * Deleted runs kept because registered model versions come from them (their artifacts may be
   * the versions' files), and experiments kept because such a run is theirs.
   */
  readonly skipped: readonly { readonly id: string; readonly reason: string }[];
  /** What could not be selected or deleted; with a selection problem nothing is deleted. */
  readonly problems: readonly { readonly id: string; readonly message: string }[];
}

/** A run's directories to remove: its artifacts and its snapshot, i.e. `<exp>/<run>` in the standard layout. */
function runPaths(root: ArtifactPath, runId: string): ArtifactPath[] {
  if (!root.endsWith('/artifacts')) return [root]; // the snapshot is inside: <root>/.plumb/plumb-snapshot
  const parent = parseArtifactPath(root.slice(0, -'/artifacts'.length));
  return baseName(parent) === runId ? [parent] : [root, parseArtifactPath(`${parent}/${SNAPSHOT_DIR}`)];
}

const within = (a: string, b: string) => a === b || a.startsWith(`${b}/`);

/** Adds the manifest entries removed by path to those the purge removed by run. */
function withManifest(rows: PurgedRows, entries: number): PurgedRows {
  const total = (rows.artifact_manifest ?? 0) + entries;
  return total > 0 ? { ...rows, artifact_manifest: total } : rows;
}

/**
 * `plumb gc`: permanently deletes runs and experiments in the deleted state, with everything
 * recorded for them and their artifacts (run snapshots included, so `plumb reconcile` cannot bring
 * them back), and frees the experiments' names. Artifacts go first: a failure leaves the rows, and
 * running gc again finishes the job. Artifacts outside this server's store are left and reported.
 */
export class GcService {
  constructor(private readonly deps: GcDeps) {}

  async gc(options: GcOptions = {}): Promise<GcReport> {
    const dryRun = options.dryRun ?? false;
    const progress = options.onProgress ?? noProgress;
    const problems: { id: string; message: string }[] = [];
    const selection = await this.select(options, problems);
    if (problems.length > 0) return { dryRun, runs: [], experiments: [], skipped: [], problems };
    const skipped = await this.keepRegistered(selection);
    const runs: Purged[] = [];
    for (const [i, run] of selection.runs.entries()) {
      await this.attempt(run.runId, problems, async () => runs.push(await this.purgeRun(run, dryRun)));
      progress({ phase: 'gc runs', done: i + 1, total: selection.runs.length });
    }
    const failedRuns = new Set(problems.map((p) => p.id));
    const experiments: Purged[] = [];
    for (const [i, experiment] of selection.experiments.entries()) {
      const blocked = selection.runs.some((r) => r.experimentId === experiment.experimentId && failedRuns.has(r.runId));
      if (blocked) {
        problems.push({ id: experiment.experimentId, message: 'kept: some of its runs could not be deleted' });
      } else {
        await this.attempt(experiment.experimentId, problems, async () =>
          experiments.push(await this.purgeExperiment(experiment, dryRun)),
        );
      }
      progress({ phase: 'gc experiments', done: i + 1, total: selection.experiments.length });
    }
    return { dryRun, runs, experiments, skipped, problems };
  }

  /** Takes runs that model versions come from (and their experiments) out of the selection. */
  private async keepRegistered(selection: { runs: RunRecord[]; experiments: ExperimentRecord[] }) {
    const versions = await this.deps.purge.modelVersionsOf(selection.runs.map((r) => r.runId));
    const skipped: { id: string; reason: string }[] = [];
    const keptExperiments = new Set<string>();
    selection.runs = selection.runs.filter((run) => {
      const used = versions.get(run.runId);
      if (!used) return true;
      skipped.push({
        id: run.runId,
        reason: `model versions ${used.join(', ')} come from it; delete those versions first`,
      });
      keptExperiments.add(run.experimentId);
      return false;
    });
    selection.experiments = selection.experiments.filter((experiment) => {
      if (!keptExperiments.has(experiment.experimentId)) return true;
      skipped.push({ id: experiment.experimentId, reason: 'some of its runs are kept for model versions' });
      return false;
    });
    return skipped;
  }

  private async attempt(id: string, problems: { id: string; message: string }[], work: () => Promise<unknown>) {
    try {
      await work();
    } catch (error) {
      problems.push({ id, message: error instanceof Error ? error.message : String(error) });
    }
  }

  /** What to delete; with explicit ids, each must exist and be deleted (long enough), or nothing is deleted. */
  private async select(
    options: GcOptions,
    problems: { id: string; message: string }[],
  ): Promise<{ runs: RunRecord[]; experiments: ExperimentRecord[] }> {
    const { purge, clock } = this.deps;
    const cutoff = options.olderThanMs === undefined ? undefined : clock.now() - options.olderThanMs;
    const eligible = (item: { lifecycleStage: string; deletedTime: number | null }, id: string, kind: string) => {
      if (item.lifecycleStage !== 'deleted') {
        problems.push({ id, message: `${kind} ${id} is not in the deleted state; delete it first` });
      } else if (cutoff !== undefined && (item.deletedTime === null || item.deletedTime >= cutoff)) {
        problems.push({ id, message: `${kind} ${id} was not deleted long enough ago for --older-than` });
      } else return true;
      return false;
    };
    let runs: RunRecord[] = [];
    let experiments: ExperimentRecord[] = [];
    if (!options.runIds?.length && !options.experimentIds?.length) {
      runs = await purge.deletedRuns(cutoff);
      experiments = await purge.deletedExperiments(cutoff);
    } else {
      const foundRuns = await purge.runs(options.runIds ?? []);
      for (const id of options.runIds ?? []) {
        const run = foundRuns.find((r) => r.runId === id);
        if (!run) problems.push({ id, message: `Run ${id} does not exist` });
        else if (eligible(run, id, 'Run')) runs.push(run);
      }
      const foundExperiments = await purge.experiments(options.experimentIds ?? []);
      for (const id of options.experimentIds ?? []) {
        const experiment = foundExperiments.find((e) => e.experimentId === id);
        if (!experiment) problems.push({ id, message: `Experiment ${id} does not exist` });
        else if (eligible(experiment, id, 'Experiment')) experiments.push(experiment);
      }
    }
    // A deleted experiment goes with all of its runs, whatever their own state.
    const chosen = new Set(runs.map((r) => r.runId));
    for (const experiment of experiments) {
      for (const run of await purge.runsOfExperiment(experiment.experimentId)) {
        if (!chosen.has(run.runId)) runs.push(run);
        chosen.add(run.runId);
      }
    }
    return { runs, experiments };
  }

  private async purgeRun(run: RunRecord, dryRun: boolean): Promise<Purged> {
    const root = runArtifactPathOf(run.artifactUri, this.deps.destinationUri);
    const paths = root === undefined ? [] : runPaths(root, run.runId);
    let rows: PurgedRows = {};
    if (!dryRun) {
      const entries = await this.deletePaths(paths);
      rows = withManifest(await this.deps.purge.purgeRun(run.runId), entries);
    }
    return {
      id: run.runId,
      experimentId: run.experimentId,
      artifactPaths: paths,
      artifactsKept: root === undefined ? `${run.artifactUri} is outside this server's artifact store` : undefined,
      rows,
    };
  }

  private async purgeExperiment(experiment: ExperimentRecord, dryRun: boolean): Promise<Purged> {
    const location = runArtifactPathOf(experiment.artifactLocation, this.deps.destinationUri);
    let kept: string | undefined;
    if (location === undefined) kept = `${experiment.artifactLocation} is outside this server's artifact store`;
    else {
      for (const other of await this.deps.purge.experimentLocations()) {
        if (other.experimentId === experiment.experimentId) continue;
        const path = runArtifactPathOf(other.artifactLocation, this.deps.destinationUri);
        if (path !== undefined && (within(path, location) || within(location, path))) {
          kept = `its artifact location is shared with experiment ${other.experimentId}`;
          break;
        }
      }
    }
    const paths = location !== undefined && kept === undefined ? [location] : [];
    let rows: PurgedRows = {};
    if (!dryRun) {
      const entries = await this.deletePaths(paths);
      rows = withManifest(await this.deps.purge.purgeExperiment(experiment.experimentId), entries);
    }
    return {
      id: experiment.experimentId,
      experimentId: experiment.experimentId,
      name: experiment.name,
      artifactPaths: paths,
      artifactsKept: kept,
      rows,
    };
  }

  /** Deletes the artifacts and their manifest entries; returns how many entries. */
  private async deletePaths(paths: readonly ArtifactPath[]): Promise<number> {
    let entries = 0;
    for (const path of paths) {
      await this.deps.artifacts.delete(path);
      entries += await this.deps.manifest.deleteUnder(path);
    }
    return entries;
  }
}
