import type { Tag } from '../core/entities.ts';
import type { LoggedModel, LoggedModelStatus } from '../core/logged-model.ts';
import type { Filter } from '../search/ast.ts';
import type { MetricToStore, SearchPage } from './store.ts';

/**
 * The logged-model part of the tracking port (MLflow 3). It lives in the tracking store because a
 * metric logged to a run with a `model_id` is linked to the model in the same transaction.
 */
export interface LoggedModelReads {
  /** With tags, params and linked metrics; deleted models only when `allowDeleted`. */
  getLoggedModel(modelId: string, options?: { allowDeleted?: boolean }): Promise<LoggedModel | undefined>;
  /** One page of active models of the experiments, in the query's order; `watermark` is the highest row id seen. */
  searchLoggedModels(query: LoggedModelQuery): Promise<SearchPage<LoggedModel>>;
}

/** One `order_by` entry of logged-model search; metric keys may be scoped to a dataset. */
export interface LoggedModelOrderBy {
  /** `attribute` keys: name, model_id, model_type, status, source_run_id, experiment_id, creation_timestamp, last_updated_timestamp. */
  readonly type: 'attribute' | 'metric' | 'param' | 'tag';
  readonly key: string;
  readonly ascending: boolean;
  readonly datasetName?: string | undefined;
  readonly datasetDigest?: string | undefined;
}

export interface LoggedModelQuery {
  readonly experimentIds: readonly string[];
  /**
   * Attributes as in LoggedModelOrderBy (creation_timestamp and last_updated_timestamp numeric);
   * a metric clause matches when any linked value of the key (within `datasets`, when given) does.
   */
  readonly filter: Filter;
  readonly datasets: readonly { readonly name: string; readonly digest?: string | undefined }[];
  /** The store appends creation_timestamp DESC, then model_id ASC, as tie-breaks. */
  readonly orderBy: readonly LoggedModelOrderBy[];
  readonly maxResults: number;
  readonly offset: number;
  readonly watermark?: number | undefined;
}

export interface NewLoggedModel {
  readonly modelId: string;
  readonly experimentId: string;
  readonly name: string;
  readonly artifactLocation: string;
  readonly time: number;
  readonly modelType: string | null;
  readonly sourceRunId: string | null;
  readonly tags: readonly Tag[];
  readonly params: readonly Tag[];
}

export interface LoggedModelWrites extends LoggedModelReads {
  /** Status PENDING, lifecycle active. The caller has checked the experiment is active. */
  insertLoggedModel(model: NewLoggedModel): Promise<void>;
  /** Sets the last update time and whatever else the patch names. */
  updateLoggedModel(
    modelId: string,
    patch: {
      readonly status?: LoggedModelStatus | undefined;
      readonly lifecycleStage?: 'active' | 'deleted' | undefined;
      readonly lastUpdatedTime: number;
    },
  ): Promise<void>;
  /** Upserts; within the list the last value for a key wins. */
  setLoggedModelTags(modelId: string, tags: readonly Tag[]): Promise<void>;
  /** Returns false when the model had no such tag. */
  deleteLoggedModelTag(modelId: string, key: string): Promise<boolean>;
  /** Inserts params whose keys are new; the caller has checked existing keys carry the same value. */
  insertLoggedModelParams(modelId: string, params: readonly Tag[]): Promise<void>;
  /**
   * Links the points that carry a `modelId` to that model (an identical point already linked is
   * skipped). Points naming a model that does not exist are not linked; the run keeps them.
   */
  linkLoggedModelMetrics(runId: string, experimentId: string, metrics: readonly MetricToStore[]): Promise<void>;
}
