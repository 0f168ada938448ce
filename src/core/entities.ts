/** Domain entities of the tracking service, camelCase; the wire shapes live in api/. */

export const LIFECYCLE_STAGES = ['active', 'deleted'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

export const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const VIEW_TYPES = ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'] as const;
export type ViewType = (typeof VIEW_TYPES)[number];

export interface Tag {
  readonly key: string;
  readonly value: string;
}

export type Param = Tag;

export interface Experiment {
  readonly experimentId: string;
  readonly name: string;
  readonly artifactLocation: string;
  readonly lifecycleStage: LifecycleStage;
  readonly creationTime: number;
  readonly lastUpdateTime: number;
  readonly tags: readonly Tag[];
}

export interface Metric {
  readonly key: string;
  /** May be NaN; ±Infinity is stored as ±Number.MAX_VALUE, as MLflow's SQL store does. */
  readonly value: number;
  readonly timestamp: number;
  readonly step: number;
}

export interface MetricWithRunId extends Metric {
  readonly runId: string;
}

export interface RunInfo {
  readonly runId: string;
  readonly experimentId: string;
  readonly runName: string;
  readonly userId: string;
  readonly status: RunStatus;
  readonly startTime: number | null;
  readonly endTime: number | null;
  readonly artifactUri: string;
  readonly lifecycleStage: LifecycleStage;
}

export interface Dataset {
  readonly name: string;
  readonly digest: string;
  readonly sourceType: string;
  readonly source: string;
  readonly schema?: string | undefined;
  readonly profile?: string | undefined;
}

export interface DatasetInput {
  readonly tags: readonly Tag[];
  readonly dataset: Dataset;
}

export interface ModelInput {
  readonly modelId: string;
}

export interface ModelOutput {
  readonly modelId: string;
  readonly step: number;
}

export interface Run {
  readonly info: RunInfo;
  readonly data: {
    readonly metrics: readonly Metric[];
    readonly params: readonly Param[];
    readonly tags: readonly Tag[];
  };
  readonly inputs: {
    readonly datasetInputs: readonly DatasetInput[];
    readonly modelInputs: readonly ModelInput[];
  };
  readonly outputs: {
    readonly modelOutputs: readonly ModelOutput[];
  };
}

export interface DatasetSummary {
  readonly experimentId: string;
  readonly name: string;
  readonly digest: string;
  readonly context?: string | undefined;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextPageToken?: string | undefined;
}

/** Tags the MLflow UI and clients treat specially. */
export const SYSTEM_TAGS = {
  runName: 'mlflow.runName',
  user: 'mlflow.user',
  parentRunId: 'mlflow.parentRunId',
  logModelHistory: 'mlflow.log-model.history',
  datasetContext: 'mlflow.data.context',
} as const;

export const DEFAULT_EXPERIMENT_ID = '0';
export const DEFAULT_EXPERIMENT_NAME = 'Default';
