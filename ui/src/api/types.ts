/** MLflow's wire shapes (snake_case, as /ajax-api/2.0/mlflow answers them), as far as the UI reads them. */
export interface KeyValue {
  readonly key: string;
  readonly value: string;
}

export interface Experiment {
  readonly experiment_id: string;
  readonly name: string;
  readonly artifact_location?: string;
  readonly lifecycle_stage: 'active' | 'deleted';
  readonly last_update_time?: number;
  readonly creation_time?: number;
  readonly tags?: readonly KeyValue[];
}

export interface Metric {
  readonly key: string;
  readonly value: number | string;
  readonly timestamp: number;
  readonly step: number;
}

export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface RunInfo {
  readonly run_id: string;
  readonly run_name?: string;
  readonly experiment_id: string;
  readonly user_id?: string;
  readonly status: RunStatus;
  readonly start_time?: number;
  readonly end_time?: number;
  readonly artifact_uri?: string;
  readonly lifecycle_stage: 'active' | 'deleted';
}

export interface DatasetInput {
  readonly tags?: readonly KeyValue[];
  readonly dataset: {
    readonly name: string;
    readonly digest: string;
    readonly source_type: string;
    readonly source: string;
    readonly schema?: string;
    readonly profile?: string;
  };
}

export interface Run {
  readonly info: RunInfo;
  readonly data: {
    readonly metrics?: readonly Metric[];
    readonly params?: readonly KeyValue[];
    readonly tags?: readonly KeyValue[];
  };
  readonly inputs?: { readonly dataset_inputs?: readonly DatasetInput[]; readonly model_inputs?: readonly unknown[] };
  readonly outputs?: { readonly model_outputs?: readonly { model_id: string; step: number }[] };
}

export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextPageToken?: string | undefined;
}

export interface DownsampledHistory {
  readonly metrics: readonly Metric[];
  /** Present when the points were bucketed: each bucket's least and greatest point are kept. */
  readonly stepBucketWidth?: number | undefined;
}

export interface NodeInfo {
  readonly node_id: string;
  readonly host: string;
  readonly port: number;
  readonly version: string;
  readonly schema_version: number;
  readonly started_at: number;
  readonly heartbeat_at: number;
  readonly config_fingerprint: string;
  /** The settings the fingerprint covers, by top-level name. */
  readonly config_summary?: Record<string, unknown>;
  /** True when this node's configuration differs from the reference (the majority's, the oldest on a tie). */
  readonly drift?: boolean;
}

export interface ModelVersion {
  readonly name: string;
  readonly version: string;
  readonly creation_timestamp?: number;
  readonly last_updated_timestamp?: number;
  readonly current_stage?: string;
  readonly description?: string;
  readonly source?: string;
  readonly run_id?: string;
  readonly status?: string;
  readonly tags?: readonly KeyValue[];
  readonly aliases?: readonly string[];
}

/** One store as the answering node probed it just now (GET /ajax-api/2.0/plumb/status). */
export interface StoreProbe {
  readonly reachable: boolean;
  readonly latency_ms: number;
  readonly error?: string;
}

export interface StoreStatus {
  readonly database: StoreProbe & {
    readonly engine: string;
    readonly schema_version?: number;
    readonly pending_migrations?: readonly number[];
  };
  readonly artifact_store: StoreProbe & { readonly description: string };
}

/** One input or output of a model signature, as MLflow writes it: a column, or a tensor. */
export interface SignatureSpec {
  readonly type: string;
  readonly name?: string;
  readonly required?: boolean;
  readonly 'tensor-spec'?: { readonly dtype: string; readonly shape: readonly number[] };
}

/** A model's MLmodel file as the server's parser (the one `plumb models` uses) reads it. */
export interface MlModelSummary {
  readonly flavors: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly signature?: { readonly inputs?: readonly SignatureSpec[]; readonly outputs?: readonly SignatureSpec[] };
  readonly mlflow_version?: string;
  readonly utc_time_created?: string;
  readonly run_id?: string;
  readonly model_uuid?: string;
}

/** One entry of Plumb's registry event log; `before`/`after` hold what the change replaced and wrote. */
export interface RegistryEvent {
  readonly id: string;
  readonly name: string;
  readonly version?: string;
  readonly kind: string;
  readonly revision: number;
  readonly actor?: string;
  readonly time: number;
  readonly before?: Record<string, unknown>;
  readonly after?: Record<string, unknown>;
}

export interface RegisteredModel {
  readonly name: string;
  readonly creation_timestamp?: number;
  readonly last_updated_timestamp?: number;
  readonly description?: string;
  readonly latest_versions?: readonly ModelVersion[];
  readonly tags?: readonly KeyValue[];
  readonly aliases?: readonly { alias: string; version: string }[];
}

export interface LoggedModel {
  readonly info: {
    readonly model_id: string;
    readonly experiment_id: string;
    readonly name: string;
    readonly creation_timestamp_ms?: number;
    readonly artifact_uri?: string;
    readonly status?: string;
    readonly model_type?: string;
    readonly source_run_id?: string;
  };
  readonly data?: { readonly params?: readonly KeyValue[]; readonly metrics?: readonly Metric[] };
}
