import type { Tag } from '../core/entities.ts';
import type { NewRegistryEvent } from './registry-store.ts';

/**
 * The metadata port's write side for imports (`plumb import mlflow`): entities are written with the
 * ids, names and timestamps they had elsewhere, not with new ones. The rules (what is already
 * there, what conflicts, how MLflow's values map to Plumb's) live in `src/transfer`; this holds SQL
 * only. Every `write` is one transaction, so an imported entity is either whole or absent.
 */
export interface ImportStore extends ImportReads {
  /**
   * How many `write` transactions may usefully run at once: 1 where the database has one writer
   * (SQLite), a few where independent transactions proceed side by side (PostgreSQL, MySQL).
   */
  readonly parallelWrites: number;
  /** Runs `work` in one transaction, committed together or not at all (the error is rethrown). */
  write<T>(work: (tx: ImportWrites) => Promise<T>): Promise<T>;
  /**
   * Rows per kind of entity that belong to the given experiments, runs, logged models and
   * registered models, in the keys of the MLflow source's counts, for the verification pass.
   */
  countImported(scope: ImportScope): Promise<ImportCounts>;
  /** Gathers the planner's statistics after the import's bulk writes, so the first searches plan well. */
  refreshStatistics(): Promise<void>;
}

/** What the verification pass counts on both sides; `other_inputs` are MLflow input edges Plumb has no place for. */
export const IMPORT_COUNT_KEYS = [
  'experiments',
  'experiment_tags',
  'runs',
  'params',
  'tags',
  'metrics',
  'latest_metrics',
  'datasets',
  'dataset_inputs',
  'model_inputs',
  'model_outputs',
  'other_inputs',
  'input_tags',
  'logged_models',
  'logged_model_params',
  'logged_model_tags',
  'logged_model_metrics',
  'registered_models',
  'registered_model_tags',
  'model_versions',
  'model_version_tags',
  'registered_model_aliases',
] as const;
export type ImportCountKey = (typeof IMPORT_COUNT_KEYS)[number];
export type ImportCounts = Record<ImportCountKey, number>;

/** The imported entities, by id: only their rows count, not what the database held besides. */
export interface ImportScope {
  readonly experimentIds: readonly number[];
  readonly runIds: readonly string[];
  readonly loggedModelIds: readonly string[];
  readonly registeredModelNames: readonly string[];
}

export interface StoredExperiment {
  readonly experimentId: number;
  readonly name: string;
  readonly artifactLocation: string;
  readonly lifecycleStage: string;
  readonly creationTime: number;
  readonly lastUpdateTime: number;
  readonly runCount: number;
  readonly tagCount: number;
}

export interface StoredDataset {
  readonly datasetUuid: string;
  readonly experimentId: number;
  readonly name: string;
  readonly digest: string;
}

/** A registered model as far as deciding "already imported" needs: its versions and where they came from. */
export interface StoredRegisteredModel {
  readonly name: string;
  readonly versions: readonly {
    readonly version: number;
    readonly runId: string | null;
    readonly source: string | null;
  }[];
}

export interface ImportReads {
  getExperiment(experimentId: number): Promise<StoredExperiment | undefined>;
  /** The id of the experiment of this name, deleted ones included. */
  experimentIdOfName(name: string): Promise<number | undefined>;
  /** The datasets with these ids, or with the same (experiment, name, digest) as one of `datasets`. */
  findDatasets(datasets: readonly ImportedDataset[]): Promise<StoredDataset[]>;
  /** Run id → experiment id, for those of `runIds` that exist. */
  findRuns(runIds: readonly string[]): Promise<Map<string, number>>;
  /** Logged-model id → experiment id, for those of `modelIds` that exist. */
  findLoggedModels(modelIds: readonly string[]): Promise<Map<string, number>>;
  getRegisteredModel(name: string): Promise<StoredRegisteredModel | undefined>;
  /** The name of a registered model whose name key is `nameKey` (see modelNameKey). */
  registeredModelNameOfKey(nameKey: string): Promise<string | undefined>;
}

export interface ImportWrites extends ImportReads {
  /** With the experiment's own id; later ids the database assigns come after it. */
  insertExperiment(experiment: ImportedExperiment): Promise<void>;
  /** Overwrites the row and the tags of an experiment of the same id (an empty, auto-created Default). */
  replaceExperiment(experiment: ImportedExperiment): Promise<void>;
  insertDatasets(datasets: readonly ImportedDataset[]): Promise<void>;
  /** The run with every row it owns. */
  insertRun(run: ImportedRun): Promise<void>;
  insertLoggedModel(model: ImportedLoggedModel): Promise<void>;
  /**
   * The model with its tags, versions, version tags, aliases and history; the model's revision is
   * the number of events, which carry revisions 1, 2, … (their `modelId` is filled in here).
   */
  insertRegisteredModel(model: ImportedRegisteredModel): Promise<void>;
}

export interface ImportedExperiment {
  readonly experimentId: number;
  readonly name: string;
  readonly artifactLocation: string;
  readonly lifecycleStage: 'active' | 'deleted';
  readonly creationTime: number;
  readonly lastUpdateTime: number;
  readonly deletedTime: number | null;
  readonly tags: readonly Tag[];
}

export interface ImportedDataset {
  readonly datasetUuid: string;
  readonly experimentId: number;
  readonly name: string;
  readonly digest: string;
  readonly sourceType: string;
  readonly source: string;
  readonly schema: string | null;
  readonly profile: string | null;
}

/** A metric point as Plumb stores it: NaN as value 0 with isNan 1, ±Infinity as ±Number.MAX_VALUE. */
export interface ImportedMetric {
  readonly key: string;
  readonly value: number;
  readonly timestamp: number;
  readonly step: number;
  readonly isNan: 0 | 1;
}

export interface ImportedRun {
  readonly runId: string;
  readonly experimentId: number;
  readonly name: string;
  readonly userId: string;
  readonly status: string;
  readonly startTime: number | null;
  readonly endTime: number | null;
  readonly deletedTime: number | null;
  readonly lifecycleStage: 'active' | 'deleted';
  readonly artifactUri: string;
  /** In the order they are to be listed in. */
  readonly params: readonly Tag[];
  readonly tags: readonly Tag[];
  readonly metrics: readonly ImportedMetric[];
  readonly latestMetrics: readonly ImportedMetric[];
  /** Plumb's `inputs` rows: DATASET→RUN and MODEL→RUN. */
  readonly inputs: readonly {
    readonly inputUuid: string;
    readonly sourceType: 'DATASET' | 'MODEL';
    readonly sourceId: string;
  }[];
  readonly inputTags: readonly { readonly inputUuid: string; readonly name: string; readonly value: string }[];
  readonly outputs: readonly { readonly modelId: string; readonly step: number }[];
}

export interface ImportedLoggedModel {
  readonly modelId: string;
  readonly experimentId: number;
  readonly name: string;
  readonly artifactLocation: string;
  readonly creationTime: number;
  readonly lastUpdatedTime: number;
  readonly status: string;
  readonly statusMessage: string | null;
  readonly modelType: string | null;
  readonly sourceRunId: string | null;
  readonly lifecycleStage: 'active' | 'deleted';
  readonly params: readonly Tag[];
  readonly tags: readonly Tag[];
  readonly metrics: readonly (ImportedMetric & {
    readonly runId: string;
    /** '' when the metric names no dataset. */
    readonly datasetName: string;
    readonly datasetDigest: string;
  })[];
}

export interface ImportedModelVersion {
  readonly version: number;
  readonly creationTime: number;
  readonly lastUpdatedTime: number;
  readonly description: string | null;
  readonly userId: string | null;
  readonly currentStage: string;
  readonly source: string | null;
  readonly storageLocation: string | null;
  readonly runId: string | null;
  readonly runLink: string | null;
  readonly status: string;
  readonly statusMessage: string | null;
  readonly modelId: string | null;
  readonly tags: readonly Tag[];
}

export interface ImportedRegisteredModel {
  readonly name: string;
  readonly nameKey: string;
  readonly description: string | null;
  readonly creationTime: number;
  readonly lastUpdatedTime: number;
  /** The number the next version created in Plumb gets: above every number MLflow ever used. */
  readonly nextVersion: number;
  readonly tags: readonly Tag[];
  readonly versions: readonly ImportedModelVersion[];
  readonly aliases: readonly { readonly alias: string; readonly version: number }[];
  readonly events: readonly Omit<NewRegistryEvent, 'modelId'>[];
}
