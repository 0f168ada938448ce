import type {
  DatasetInput,
  DatasetSummary,
  Experiment,
  LifecycleStage,
  Metric,
  MetricWithRunId,
  ModelInput,
  ModelOutput,
  Run,
  RunInfo,
  RunStatus,
  Tag,
  ViewType,
} from '../core/entities.ts';
import type { Filter, OrderBy } from '../search/ast.ts';
import type { ArtifactManifestStore } from './artifact-manifest-store.ts';
import type { DiagnosticsStore } from './diagnostics-store.ts';
import type { ImportStore } from './import-store.ts';
import type { NodeRegistryStore } from './node-registry-store.ts';
import type { LoggedModelReads, LoggedModelWrites } from './logged-model-store.ts';
import type { MaintenanceStore } from './maintenance-store.ts';
import type { RegistryStore } from './registry-store.ts';
import type { WebhookStore } from './webhook-store.ts';

/**
 * The metadata port. Implementations hold SQL only; the rules (what may be written when) live in
 * the services, which compose these operations inside `write()` so that each API call is one
 * transaction.
 */
export interface MetadataStore {
  readonly tracking: TrackingStore;
  readonly artifactManifest: ArtifactManifestStore;
  /** Backups, dumps, reconcile and gc (`plumb backup`, `export`, `reconcile`, `gc`). */
  readonly maintenance: MaintenanceStore;
  readonly registry: RegistryStore;
  readonly webhooks: WebhookStore;
  readonly nodes: NodeRegistryStore;
  readonly schema: SchemaControl;
  /** Cross-table integrity checks and safe repairs, for `plumb doctor`. */
  readonly diagnostics: DiagnosticsStore;
  /** Writes with explicit ids, for `plumb import mlflow`. */
  readonly imports: ImportStore;
  /** The connection pool's use right now; undefined for SQLite's single embedded connection. */
  connectionPool(): ConnectionPoolUse | undefined;
  close(): Promise<void>;
}

/** How busy a server's database connection pool is (exported as metrics, shown per node). */
export interface ConnectionPoolUse {
  /** Connections the pool may open at most (`pool_size`). */
  readonly max: number;
  /** Connections open now, busy or idle. */
  readonly open: number;
  readonly idle: number;
  /** Queries queued because every connection is busy: above zero for long, the pool is too small. */
  readonly waiting: number;
}

/** The versioned schema: what is applied, what this release would apply, and applying it. */
export interface SchemaControl {
  status(): Promise<SchemaStatus>;
  /** Applies pending migrations under the database's migration lock; returns what it applied. */
  upgrade(): Promise<readonly PlannedMigration[]>;
  /**
   * Under the migration lock, creates the schema if the database is empty; returns what it
   * applied and the status under the lock (a concurrent creator has finished by then).
   */
  createIfEmpty(): Promise<{ created: readonly PlannedMigration[]; status: SchemaStatus }>;
  /** Read-only: the status plus the tables and indexes applied migrations created that are missing. */
  check(): Promise<SchemaCheck>;
}

export interface SchemaCheck extends SchemaStatus {
  readonly missingTables: readonly string[];
  readonly missingIndexes: readonly string[];
  /** Unique keys (primary keys, unique constraints, unique indexes) the migrations declare, as `table(columns)`. */
  readonly missingUniqueKeys: readonly string[];
}

export interface PlannedMigration {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
  readonly statements: readonly string[];
}

export interface AppliedMigration {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
  readonly minServerRelease: string;
}

export interface SchemaStatus {
  /** True when the database holds no table at all: a brand-new database. */
  readonly empty: boolean;
  readonly applied: readonly AppliedMigration[];
  readonly pending: readonly PlannedMigration[];
  /** Applied migrations this release does not know (a newer release applied them). */
  readonly unknown: readonly AppliedMigration[];
  readonly checksumMismatches: readonly { version: number; recorded: string; expected: string }[];
  readonly latestKnownVersion: number;
}

export interface TrackingStore extends TrackingReads {
  /**
   * Runs `work` in one database transaction: everything it writes is committed together, or
   * nothing is when it throws (the error is rethrown). Writes are serialised per database, so a
   * read inside `work` sees a state no concurrent writer can change before the commit.
   */
  write<T>(work: (tx: TrackingWrites) => Promise<T>): Promise<T>;
  /**
   * `write` for work on one run (logging, tags, run updates): the transaction first locks the
   * run's row, so writers of one run take turns and each sees what the previous one committed,
   * while writers of different runs never wait for each other. Every write to a run's params,
   * tags and metrics goes through here; that is what makes their read-then-write steps safe
   * without a serializable snapshot. A run that does not exist locks nothing.
   *
   * Concurrent calls are group-committed: several requests' work may share one transaction, each
   * in a savepoint of its own, so one that throws leaves its neighbours' writes intact; the
   * promise settles only after the transaction holding its writes has committed. `rows` (how
   * many rows the work writes, about) sizes the groups; when too many rows are already waiting
   * the call is refused with TEMPORARILY_UNAVAILABLE and a Retry-After.
   */
  writeRun<T>(runId: string, work: (tx: TrackingWrites) => Promise<T>, options?: { rows?: number }): Promise<T>;
}

export interface ExperimentQuery {
  readonly filter: Filter;
  readonly orderBy: readonly OrderBy[];
  readonly viewType: ViewType;
  readonly maxResults: number;
  readonly offset: number;
  /** Only experiments whose id is at most this are seen (see PagePosition). */
  readonly watermark?: number | undefined;
}

export interface RunQuery {
  readonly experimentIds: readonly string[];
  readonly filter: Filter;
  readonly orderBy: readonly OrderBy[];
  readonly viewType: ViewType;
  readonly maxResults: number;
  readonly offset: number;
  readonly watermark?: number | undefined;
}

/** A page of results plus the watermark the query ran under, for the next page's token. */
export interface SearchPage<T> {
  readonly items: readonly T[];
  readonly hasMore: boolean;
  readonly watermark: number;
}

export interface TrackingReads extends LoggedModelReads {
  getExperiment(experimentId: string): Promise<Experiment | undefined>;
  getExperimentByName(name: string): Promise<Experiment | undefined>;
  searchExperiments(query: ExperimentQuery): Promise<SearchPage<Experiment>>;
  getRunInfo(runId: string): Promise<RunInfo | undefined>;
  /** The run's info and its experiment's lifecycle stage in one read: what every write to a run checks. */
  getRunForWrite(runId: string): Promise<{ info: RunInfo; experimentStage: LifecycleStage | undefined } | undefined>;
  /** The run with its latest metrics, params, tags, inputs and outputs. */
  getRun(runId: string): Promise<Run | undefined>;
  searchRuns(query: RunQuery): Promise<SearchPage<Run>>;
  /** Points ordered by step, then timestamp, then value. */
  getMetricHistory(
    runId: string,
    key: string,
    page: { offset: number; limit?: number | undefined },
  ): Promise<{ items: readonly Metric[]; hasMore: boolean }>;
  /**
   * Every point of a history, ordered like getMetricHistory, read in keyset pages of `pageSize`
   * points: memory stays bounded by a page however long the history is.
   */
  streamMetricHistory(runId: string, key: string, pageSize?: number): AsyncIterable<Metric>;
  /**
   * A chart's view of a history within [startStep, endStep] (either may be absent): every point
   * when it holds at most maxPoints; otherwise, per step bucket (bucketWidth steps, aligned at
   * multiples of it), the points holding the bucket's least and greatest value and its latest
   * NaN, plus the range's first and last points. Never more than maxPoints, in step order.
   */
  getMetricHistoryDownsampled(runId: string, key: string, request: DownsampleRequest): Promise<DownsampledHistory>;
  /** Distinct steps at which the runs logged `key` within [startStep, endStep], ascending. */
  getMetricSteps(runId: string, key: string, startStep?: number, endStep?: number): Promise<number[]>;
  /** Every point of `key` at the given steps, ordered by step, then timestamp. */
  getMetricsAtSteps(runId: string, key: string, steps: readonly number[]): Promise<MetricWithRunId[]>;
  searchDatasets(experimentIds: readonly string[]): Promise<DatasetSummary[]>;
  getParams(runId: string, keys: readonly string[]): Promise<Map<string, string>>;
  getRunTag(runId: string, key: string): Promise<string | undefined>;
}

export interface DownsampleRequest {
  readonly startStep?: number | undefined;
  readonly endStep?: number | undefined;
  /** At least 10. */
  readonly maxPoints: number;
}

export interface DownsampledHistory {
  readonly items: readonly Metric[];
  /** Steps per bucket; absent when every point of the range is returned. */
  readonly bucketWidth?: number | undefined;
}

export interface NewExperiment {
  readonly name: string;
  /** Undefined: derive `<defaultRoot>/<id>` once the id is known. */
  readonly artifactLocation?: string | undefined;
  readonly defaultArtifactRoot: string;
  readonly creationTime: number;
  readonly tags: readonly Tag[];
}

export interface NewRun {
  readonly runId: string;
  readonly experimentId: string;
  readonly name: string;
  readonly userId: string;
  readonly status: RunStatus;
  readonly startTime: number | null;
  readonly artifactUri: string;
  readonly tags: readonly Tag[];
}

export interface TrackingWrites extends TrackingReads, LoggedModelWrites {
  /** Throws RESOURCE_ALREADY_EXISTS when the name is taken, deleted experiments included. */
  insertExperiment(experiment: NewExperiment): Promise<string>;
  /** Creates experiment 0 when the store has no experiment at all; a no-op otherwise. */
  ensureDefaultExperiment(name: string, artifactLocation: string, time: number): Promise<void>;
  renameExperiment(experimentId: string, name: string, time: number): Promise<void>;
  /** Deleting marks the experiment's active runs deleted at the same time; restoring revives exactly those. */
  setExperimentLifecycle(experimentId: string, stage: LifecycleStage, time: number): Promise<void>;
  setExperimentTag(experimentId: string, tag: Tag): Promise<void>;
  /** Returns false when the tag did not exist. */
  deleteExperimentTag(experimentId: string, key: string): Promise<boolean>;

  insertRun(run: NewRun): Promise<void>;
  updateRunInfo(
    runId: string,
    patch: { status?: RunStatus | undefined; endTime?: number | undefined; name?: string | undefined },
  ): Promise<void>;
  setRunLifecycle(runId: string, stage: LifecycleStage, time: number): Promise<void>;
  /** Inserts params whose keys are new; the caller has checked existing keys carry the same value. */
  insertParams(runId: string, params: readonly Tag[]): Promise<void>;
  /** Upserts; within the list the last value for a key wins. */
  setRunTags(runId: string, tags: readonly Tag[]): Promise<void>;
  deleteRunTag(runId: string, key: string): Promise<boolean>;
  /**
   * Appends points (an identical point already stored is skipped) and moves each key's latest
   * value forward to the greatest (step, timestamp, value).
   */
  insertMetrics(runId: string, metrics: readonly MetricToStore[]): Promise<void>;
  logInputs(
    runId: string,
    experimentId: string,
    datasets: readonly DatasetInput[],
    models: readonly ModelInput[],
  ): Promise<void>;
  logOutputs(runId: string, models: readonly ModelOutput[]): Promise<void>;
}

export interface MetricToStore extends Metric {
  readonly datasetName?: string | undefined;
  readonly datasetDigest?: string | undefined;
  readonly modelId?: string | undefined;
}
