import type { ArtifactRepository } from '../artifacts/artifact-repository.ts';
import type { ArtifactPath } from '../core/artifact-path.ts';
import type { DatasetInput, Metric, ModelInput, Run, Tag } from '../core/entities.ts';
import type { RecoveryStore } from '../store/maintenance-store.ts';
import type { TrackingStore } from '../store/store.ts';
import { restoredValue, type RunSnapshot } from '../tracking/run-snapshot.format.ts';
import { noProgress, type OnProgress } from './progress.ts';
import { findSnapshotDirs, readHistory, readSnapshot } from './snapshot-source.ts';

/** Points per insert: keeps each statement well inside every engine's parameter limit. */
const POINTS_PER_WRITE = 5000;

export interface ReconcileDeps {
  readonly tracking: TrackingStore;
  readonly recovery: RecoveryStore;
  readonly artifacts: ArtifactRepository;
}

export interface ReconcileOptions {
  /** Report what would be written and write nothing. */
  readonly dryRun?: boolean | undefined;
  readonly onProgress?: OnProgress | undefined;
}

/** What reconcile did (or would do) to one run: recreate it whole, or add what an existing run lacks. */
export interface RunReconciliation {
  readonly runId: string;
  readonly experimentId: string;
  readonly action: 'recreate' | 'complete';
  readonly params: number;
  readonly tags: number;
  readonly metricPoints: number;
  readonly inputs: number;
}

export interface RecreatedExperiment {
  readonly experimentId: string;
  readonly name: string;
  /** The snapshot's name, when another experiment holds it now and a new name was chosen. */
  readonly originalName?: string | undefined;
}

export interface ReconcileReport {
  readonly dryRun: boolean;
  readonly snapshots: number;
  /** Runs the database has with everything their snapshot holds. */
  readonly upToDate: number;
  readonly runs: readonly RunReconciliation[];
  readonly experiments: readonly RecreatedExperiment[];
  /** Snapshots that could not be used (damaged, unreadable, or a write that failed). */
  readonly problems: readonly { readonly snapshot: string; readonly message: string }[];
}

const pointKey = (m: Metric) => `${m.key}\u0000${m.step}\u0000${m.timestamp}\u0000${m.value}`;
const datasetKey = (d: DatasetInput) => `${d.dataset.name}\u0000${d.dataset.digest}`;

/**
 * Rebuilds, from the run snapshots in the artifact store, runs the database lacks (after a restore
 * from an older backup, say). It never overwrites what the database has:
 * - a run the database lacks is recreated whole, in one transaction, under its experiment (which
 *   is recreated under its original id if missing);
 * - a run the database has keeps its info and tags as they are (either may have changed since the
 *   snapshot); only params, metric points and inputs it lacks are added, because the API can only
 *   ever add those, so one that the snapshot has and the database lacks was lost.
 * Running it again finds nothing to do.
 */
export class ReconcileService {
  constructor(private readonly deps: ReconcileDeps) {}

  async reconcile(options: ReconcileOptions = {}): Promise<ReconcileReport> {
    const dryRun = options.dryRun ?? false;
    const progress = options.onProgress ?? noProgress;
    const dirs: ArtifactPath[] = [];
    for await (const dir of findSnapshotDirs(this.deps.artifacts)) {
      dirs.push(dir);
      progress({ phase: 'scan', done: dirs.length });
    }
    const state = new Pass(this.deps, dryRun);
    for (const [i, dir] of dirs.entries()) {
      try {
        await state.reconcileSnapshot(dir);
      } catch (error) {
        state.problems.push({ snapshot: dir, message: error instanceof Error ? error.message : String(error) });
      }
      progress({ phase: 'reconcile', done: i + 1, total: dirs.length });
    }
    return {
      dryRun,
      snapshots: dirs.length,
      upToDate: state.upToDate,
      runs: state.runs,
      experiments: state.experiments,
      problems: state.problems,
    };
  }
}

/** One reconcile pass: its findings, and the experiments it created (or would create, in a dry run). */
class Pass {
  upToDate = 0;
  readonly runs: RunReconciliation[] = [];
  readonly experiments: RecreatedExperiment[] = [];
  readonly problems: { snapshot: string; message: string }[] = [];
  private readonly plannedNames = new Set<string>();

  constructor(
    private readonly deps: ReconcileDeps,
    private readonly dryRun: boolean,
  ) {}

  async reconcileSnapshot(dir: ArtifactPath): Promise<void> {
    const snapshot = await readSnapshot(this.deps.artifacts, dir);
    const existing = await this.deps.tracking.getRun(snapshot.run.runId);
    if (existing) await this.complete(dir, snapshot, existing);
    else await this.recreate(dir, snapshot);
  }

  private async recreate(dir: ArtifactPath, snapshot: RunSnapshot): Promise<void> {
    const history = await readHistory(this.deps.artifacts, dir, snapshot);
    const { run } = snapshot;
    const datasets = snapshot.datasetInputs as DatasetInput[];
    await this.ensureExperiment(snapshot);
    if (!this.dryRun) {
      await this.deps.tracking.write(async (tx) => {
        await tx.insertRun({
          runId: run.runId,
          experimentId: snapshot.experiment.experimentId,
          name: run.runName,
          userId: run.userId,
          status: run.status,
          startTime: run.startTime,
          artifactUri: run.artifactUri,
          tags: snapshot.tags,
        });
        if (run.endTime !== null) await tx.updateRunInfo(run.runId, { endTime: run.endTime });
        if (run.lifecycleStage === 'deleted') await tx.setRunLifecycle(run.runId, 'deleted', snapshot.writtenAt);
        await tx.insertParams(run.runId, snapshot.params);
        // The latest points first and in the snapshot's order: metric keys keep the order they were first logged in.
        const latest = snapshot.latestMetrics.map((m) => ({ ...m, value: restoredValue(m.value) }));
        await tx.insertMetrics(run.runId, latest);
        for (let i = 0; i < history.length; i += POINTS_PER_WRITE) {
          await tx.insertMetrics(run.runId, history.slice(i, i + POINTS_PER_WRITE));
        }
        await tx.logInputs(run.runId, snapshot.experiment.experimentId, datasets, snapshot.modelInputs);
      });
    }
    this.runs.push({
      runId: run.runId,
      experimentId: snapshot.experiment.experimentId,
      action: 'recreate',
      params: snapshot.params.length,
      tags: snapshot.tags.length,
      metricPoints: Math.max(history.length, snapshot.latestMetrics.length),
      inputs: datasets.length + snapshot.modelInputs.length,
    });
  }

  /** Recreates the run's experiment under its id when the database lacks it; another experiment keeps a name it took since. */
  private async ensureExperiment(snapshot: RunSnapshot): Promise<void> {
    const { experimentId, name, artifactLocation } = snapshot.experiment;
    if (this.experiments.some((e) => e.experimentId === experimentId)) return;
    if (await this.deps.tracking.getExperiment(experimentId)) return;
    let chosen = name;
    for (let n = 1; this.plannedNames.has(chosen) || (await this.deps.tracking.getExperimentByName(chosen)); n++) {
      chosen = `${name} (recovered ${experimentId}${n > 1 ? `-${n}` : ''})`;
    }
    if (!this.dryRun) {
      await this.deps.recovery.insertExperiment({
        experimentId,
        name: chosen,
        artifactLocation,
        creationTime: snapshot.run.startTime ?? snapshot.writtenAt,
      });
    }
    this.plannedNames.add(chosen);
    this.experiments.push({ experimentId, name: chosen, originalName: chosen === name ? undefined : name });
  }

  private async complete(dir: ArtifactPath, snapshot: RunSnapshot, run: Run): Promise<void> {
    const runId = run.info.runId;
    const haveParams = new Set(run.data.params.map((p) => p.key));
    const params: Tag[] = snapshot.params.filter((p) => !haveParams.has(p.key));
    const haveDatasets = new Set(run.inputs.datasetInputs.map(datasetKey));
    const datasets = (snapshot.datasetInputs as DatasetInput[]).filter((d) => !haveDatasets.has(datasetKey(d)));
    const haveModels = new Set(run.inputs.modelInputs.map((m) => m.modelId));
    const models: ModelInput[] = snapshot.modelInputs.filter((m) => !haveModels.has(m.modelId));
    const points = await this.missingPoints(dir, snapshot, runId);
    if (params.length + datasets.length + models.length + points.length === 0) {
      this.upToDate += 1;
      return;
    }
    if (!this.dryRun) {
      await this.deps.tracking.writeRun(runId, async (tx) => {
        await tx.insertParams(runId, params);
        for (let i = 0; i < points.length; i += POINTS_PER_WRITE) {
          await tx.insertMetrics(runId, points.slice(i, i + POINTS_PER_WRITE));
        }
        if (datasets.length + models.length > 0) await tx.logInputs(runId, run.info.experimentId, datasets, models);
      });
    }
    this.runs.push({
      runId,
      experimentId: run.info.experimentId,
      action: 'complete',
      params: params.length,
      tags: 0,
      metricPoints: points.length,
      inputs: datasets.length + models.length,
    });
  }

  /**
   * Snapshot points the database lacks. Points are only ever added, so a database holding at
   * least as many as the snapshot holds all of them; only otherwise is the history compared.
   */
  private async missingPoints(dir: ArtifactPath, snapshot: RunSnapshot, runId: string): Promise<Metric[]> {
    const stored = await this.deps.recovery.countMetricPoints(runId);
    if (stored >= snapshot.metricHistory.points) return [];
    const history = await readHistory(this.deps.artifacts, dir, snapshot);
    const have = new Set<string>();
    for (const key of new Set(history.map((m) => m.key))) {
      for await (const m of this.deps.tracking.streamMetricHistory(runId, key)) have.add(pointKey(m));
    }
    return history.filter((m) => !have.has(pointKey(m)));
  }
}
