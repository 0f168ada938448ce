import type { Kysely } from 'kysely';
import type { Tag } from '../../core/entities.ts';
import type { TrackingStore, TrackingWrites } from '../store.ts';
import type { SqlDialect } from './dialect.ts';
import * as experiments from './experiment-queries.ts';
import * as inputs from './input-queries.ts';
import * as loggedModels from './logged-model-queries.ts';
import { searchLoggedModels } from './logged-model-search.ts';
import { getMetricHistoryDownsampled } from './metric-downsample-queries.ts';
import * as metrics from './metric-queries.ts';
import * as runs from './run-queries.ts';
import type { Database } from './schema.ts';
import { DEFAULT_WRITE_GROUPS, type StoreObserver, type WriteGroupSettings, WriteGroups } from './write-groups.ts';

/** The tracking half of the metadata port over any Kysely connection or transaction. */
class SqlTrackingOperations implements TrackingWrites {
  constructor(
    protected readonly db: Kysely<Database>,
    protected readonly dialect: SqlDialect,
  ) {}

  getExperiment = (id: string) => experiments.getExperiment(this.db, id);
  getExperimentByName = (name: string) => experiments.getExperimentByName(this.db, name);
  searchExperiments: TrackingWrites['searchExperiments'] = (q) =>
    experiments.searchExperiments(this.db, this.dialect, q);
  getRunInfo = (runId: string) => runs.getRunInfo(this.db, runId);
  getRunForWrite = (runId: string) => runs.getRunForWrite(this.db, runId);
  getRun = (runId: string) => runs.getRun(this.db, runId);
  searchRuns: TrackingWrites['searchRuns'] = (q) => runs.searchRuns(this.db, this.dialect, q);
  getMetricHistory: TrackingWrites['getMetricHistory'] = (runId, key, page) =>
    metrics.getMetricHistory(this.db, runId, key, page);
  streamMetricHistory: TrackingWrites['streamMetricHistory'] = (runId, key, pageSize) =>
    metrics.streamMetricHistory(this.db, runId, key, pageSize);
  getMetricHistoryDownsampled: TrackingWrites['getMetricHistoryDownsampled'] = (runId, key, request) =>
    getMetricHistoryDownsampled(this.db, this.dialect, runId, key, request);
  getMetricSteps: TrackingWrites['getMetricSteps'] = (runId, key, start, end) =>
    metrics.getMetricSteps(this.db, runId, key, start, end);
  getMetricsAtSteps: TrackingWrites['getMetricsAtSteps'] = (runId, key, steps) =>
    metrics.getMetricsAtSteps(this.db, runId, key, steps);
  searchDatasets = (experimentIds: readonly string[]) => inputs.searchDatasets(this.db, experimentIds);
  getParams = (runId: string, keys: readonly string[]) => runs.getParams(this.db, runId, keys);
  getRunTag = (runId: string, key: string) => runs.getRunTag(this.db, runId, key);

  insertExperiment: TrackingWrites['insertExperiment'] = (e) => experiments.insertExperiment(this.db, this.dialect, e);
  ensureDefaultExperiment: TrackingWrites['ensureDefaultExperiment'] = (name, location, time) =>
    experiments.ensureDefaultExperiment(this.db, this.dialect, name, location, time);
  renameExperiment: TrackingWrites['renameExperiment'] = (id, name, time) =>
    experiments.renameExperiment(this.db, this.dialect, id, name, time);
  setExperimentLifecycle: TrackingWrites['setExperimentLifecycle'] = (id, stage, time) =>
    experiments.setExperimentLifecycle(this.db, id, stage, time);
  setExperimentTag = (id: string, tag: Tag) => experiments.setExperimentTag(this.db, this.dialect, id, tag);
  deleteExperimentTag = (id: string, key: string) => experiments.deleteExperimentTag(this.db, id, key);
  insertRun: TrackingWrites['insertRun'] = (run) => runs.insertRun(this.db, run);
  updateRunInfo: TrackingWrites['updateRunInfo'] = (runId, patch) => runs.updateRunInfo(this.db, runId, patch);
  setRunLifecycle: TrackingWrites['setRunLifecycle'] = (runId, stage, time) =>
    runs.setRunLifecycle(this.db, runId, stage, time);
  insertParams = (runId: string, params: readonly Tag[]) => runs.insertParams(this.db, this.dialect, runId, params);
  setRunTags = (runId: string, tags: readonly Tag[]) => runs.setRunTags(this.db, runId, tags);
  deleteRunTag = (runId: string, key: string) => runs.deleteRunTag(this.db, runId, key);
  insertMetrics: TrackingWrites['insertMetrics'] = (runId, points) =>
    metrics.insertMetrics(this.db, this.dialect, runId, points);
  logInputs: TrackingWrites['logInputs'] = (runId, experimentId, datasets, models) =>
    inputs.logInputs(this.db, this.dialect, runId, experimentId, datasets, models);
  logOutputs: TrackingWrites['logOutputs'] = (runId, models) => inputs.logOutputs(this.db, this.dialect, runId, models);

  getLoggedModel: TrackingWrites['getLoggedModel'] = (id, options) => loggedModels.getLoggedModel(this.db, id, options);
  searchLoggedModels: TrackingWrites['searchLoggedModels'] = (q) => searchLoggedModels(this.db, this.dialect, q);
  insertLoggedModel: TrackingWrites['insertLoggedModel'] = (m) => loggedModels.insertLoggedModel(this.db, m);
  updateLoggedModel: TrackingWrites['updateLoggedModel'] = (id, patch) =>
    loggedModels.updateLoggedModel(this.db, id, patch);
  setLoggedModelTags = (id: string, tags: readonly Tag[]) => loggedModels.setLoggedModelTags(this.db, id, tags);
  deleteLoggedModelTag = (id: string, key: string) => loggedModels.deleteLoggedModelTag(this.db, id, key);
  insertLoggedModelParams = (id: string, params: readonly Tag[]) =>
    loggedModels.insertLoggedModelParams(this.db, id, params);
  linkLoggedModelMetrics: TrackingWrites['linkLoggedModelMetrics'] = (runId, experimentId, metrics) =>
    loggedModels.linkLoggedModelMetrics(this.db, this.dialect, runId, experimentId, metrics);
}

export class SqlTrackingStore extends SqlTrackingOperations implements TrackingStore {
  private readonly groups: WriteGroups<Database>;

  constructor(
    db: Kysely<Database>,
    dialect: SqlDialect,
    settings: WriteGroupSettings = DEFAULT_WRITE_GROUPS,
    observer?: StoreObserver,
  ) {
    super(db, dialect);
    this.groups = new WriteGroups<Database>(
      (work) => dialect.transaction(db, work, 'row-locked'),
      (trx, runId) => runs.lockRun(trx, dialect, runId),
      settings,
      observer,
    );
  }

  async write<T>(work: (tx: TrackingWrites) => Promise<T>): Promise<T> {
    try {
      return await this.dialect.transaction(this.db, (trx) => work(new SqlTrackingOperations(trx, this.dialect)));
    } catch (error) {
      throw this.dialect.translateError(error);
    }
  }

  async writeRun<T>(
    runId: string,
    work: (tx: TrackingWrites) => Promise<T>,
    options: { rows?: number } = {},
  ): Promise<T> {
    try {
      return await this.groups.submit(runId, options.rows ?? 1, (trx) =>
        work(new SqlTrackingOperations(trx, this.dialect)),
      );
    } catch (error) {
      throw this.dialect.translateError(error);
    }
  }
}
