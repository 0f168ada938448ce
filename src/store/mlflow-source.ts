import type { ImportCounts } from './import-store.ts';

/**
 * A foreign MLflow tracking + registry database (SQLite, PostgreSQL or MySQL, any schema from
 * MLflow 2.0 on), read for `plumb import mlflow`. Read-only: an implementation never writes.
 *
 * Rows come back as MLflow stored them (nullable columns stay null, NaN metrics as `isNan` with
 * whatever value was stored, logged-model statuses as MLflow's integers); turning them into
 * Plumb's representation is the importer's job. Tables and columns that older schemas lack read
 * as empty or as their MLflow default, never as an error.
 */
export interface MlflowSource {
  /** The database, for messages (no password). */
  readonly description: string;
  inspect(): Promise<MlflowSchemaInfo>;
  /**
   * Rows per kind of entity, in the same keys as Plumb's import counts, for the verification pass.
   * Excluded, as MLflow's API never returns them: model versions in stage `Deleted_Internal`, their
   * tags, and aliases that point at such (or missing) versions.
   */
  countRows(): Promise<ImportCounts>;
  /** Every experiment with its tags and datasets, by id. */
  listExperiments(): Promise<MlflowExperiment[]>;
  /** Every run's id, experiment (-1 for none) and metric point count, by experiment id, start time and run id. */
  listRunKeys(): Promise<MlflowEntityKey[]>;
  /** The runs with all their rows, in the order of `runIds`; ids that do not exist are left out. */
  readRuns(runIds: readonly string[]): Promise<MlflowRun[]>;
  /** Every logged model's id and experiment (none before MLflow 3). */
  listLoggedModelKeys(): Promise<MlflowEntityKey[]>;
  readLoggedModels(modelIds: readonly string[]): Promise<MlflowLoggedModel[]>;
  /** Every registered model with its tags, versions (`Deleted_Internal` ones included), version tags and aliases, by name. */
  listRegisteredModels(): Promise<MlflowRegisteredModel[]>;
  close(): Promise<void>;
}

export interface MlflowSchemaInfo {
  /** `alembic_version.version_num`; null when the table is missing or empty (not an MLflow database). */
  readonly alembicRevision: string | null;
  /** Tables present, lower case. */
  readonly tables: readonly string[];
  /** Workspaces that hold experiments or registered models (MLflow 3.x workspaces); `default` alone usually. */
  readonly workspaces: readonly string[];
  /** Tables of MLflow features Plumb has no place for (traces, scorers, …) that hold rows, with their row counts. */
  readonly unsupportedRows: readonly { readonly table: string; readonly rows: number }[];
}

export interface MlflowEntityKey {
  readonly id: string;
  readonly experimentId: number;
  /** Rows that come with it, as far as cheaply known (a run's metric points): sizes the read batches. */
  readonly rows?: number | undefined;
}

/** Tag values are nullable in MLflow's schema. */
export interface MlflowTag {
  readonly key: string;
  readonly value: string | null;
}

export interface MlflowExperiment {
  readonly experimentId: number;
  readonly name: string;
  readonly artifactLocation: string | null;
  readonly lifecycleStage: string | null;
  readonly creationTime: number | null;
  readonly lastUpdateTime: number | null;
  readonly tags: readonly MlflowTag[];
  readonly datasets: readonly MlflowDataset[];
}

export interface MlflowDataset {
  readonly datasetUuid: string;
  readonly experimentId: number;
  readonly name: string;
  readonly digest: string;
  readonly sourceType: string;
  readonly source: string;
  readonly schema: string | null;
  readonly profile: string | null;
}

export interface MlflowMetric {
  readonly key: string;
  /** Null only where the database held NULL (never for a well-formed row). */
  readonly value: number | null;
  readonly timestamp: number | null;
  readonly step: number;
  readonly isNan: boolean;
}

/** A row of MLflow's `inputs`: DATASET→RUN, RUN_INPUT→MODEL_INPUT or RUN_OUTPUT→MODEL_OUTPUT. */
export interface MlflowInput {
  readonly inputUuid: string;
  readonly sourceType: string;
  readonly sourceId: string;
  readonly destinationType: string;
  readonly destinationId: string;
  /** 0 before MLflow 3 added the column. */
  readonly step: number;
}

export interface MlflowRun {
  readonly runId: string;
  readonly experimentId: number;
  readonly name: string | null;
  readonly userId: string | null;
  readonly status: string | null;
  readonly startTime: number | null;
  readonly endTime: number | null;
  /** Null before MLflow added the column, and for active runs. */
  readonly deletedTime: number | null;
  readonly lifecycleStage: string | null;
  readonly artifactUri: string | null;
  readonly params: readonly MlflowTag[];
  readonly tags: readonly MlflowTag[];
  readonly metrics: readonly MlflowMetric[];
  readonly latestMetrics: readonly MlflowMetric[];
  /** Every `inputs` row that names this run, as source or destination. */
  readonly inputs: readonly MlflowInput[];
  readonly inputTags: readonly { readonly inputUuid: string; readonly name: string; readonly value: string }[];
}

export interface MlflowLoggedModelMetric {
  readonly key: string;
  readonly timestamp: number;
  readonly step: number;
  /** MLflow keeps no is_nan column for these: NaN was stored as NULL. */
  readonly value: number | null;
  readonly runId: string;
  readonly datasetName: string | null;
  readonly datasetDigest: string | null;
}

export interface MlflowLoggedModel {
  readonly modelId: string;
  readonly experimentId: number;
  readonly name: string;
  readonly artifactLocation: string;
  readonly creationTime: number;
  readonly lastUpdatedTime: number;
  /** MLflow stores the LoggedModelStatus enum's number (1 PENDING, 2 READY, 3 UPLOAD_FAILED). */
  readonly status: number | string;
  readonly statusMessage: string | null;
  readonly modelType: string | null;
  readonly sourceRunId: string | null;
  readonly lifecycleStage: string | null;
  readonly params: readonly MlflowTag[];
  readonly tags: readonly MlflowTag[];
  readonly metrics: readonly MlflowLoggedModelMetric[];
}

export interface MlflowModelVersion {
  readonly version: number;
  readonly creationTime: number | null;
  readonly lastUpdatedTime: number | null;
  readonly description: string | null;
  readonly userId: string | null;
  /** `Deleted_Internal` marks a version MLflow deleted softly; its fields are redacted. */
  readonly currentStage: string | null;
  readonly source: string | null;
  readonly runId: string | null;
  readonly runLink: string | null;
  readonly status: string | null;
  readonly statusMessage: string | null;
  /** Null before MLflow 2.9 added the column. */
  readonly storageLocation: string | null;
  readonly tags: readonly MlflowTag[];
}

export interface MlflowRegisteredModel {
  readonly name: string;
  readonly creationTime: number | null;
  readonly lastUpdatedTime: number | null;
  readonly description: string | null;
  readonly tags: readonly MlflowTag[];
  /** Ascending by version. */
  readonly versions: readonly MlflowModelVersion[];
  readonly aliases: readonly { readonly alias: string; readonly version: number }[];
}
