/**
 * Entities as the REST API carries them: MLflow's proto field names in snake_case. The typed API
 * methods take and return these shapes unchanged, so what MLflow's REST docs say applies as is;
 * fields at their default value may be absent, as the server omits them.
 */
export interface KeyValue {
  readonly key: string;
  readonly value: string;
}

export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

export interface Experiment {
  readonly experiment_id: string;
  readonly name: string;
  readonly artifact_location?: string;
  readonly lifecycle_stage: string;
  readonly last_update_time?: number;
  readonly creation_time?: number;
  readonly tags?: readonly KeyValue[];
}

export interface RunInfo {
  readonly run_id: string;
  readonly run_uuid?: string;
  readonly run_name?: string;
  readonly experiment_id: string;
  readonly user_id?: string;
  readonly status: RunStatus;
  readonly start_time?: number;
  readonly end_time?: number;
  readonly artifact_uri?: string;
  readonly lifecycle_stage: string;
}

/** A metric point. `value` is a number here even for NaN and ±Infinity, which the wire carries as strings. */
export interface Metric {
  readonly key: string;
  readonly value: number;
  readonly timestamp: number;
  readonly step: number;
  readonly run_id?: string;
  readonly dataset_name?: string;
  readonly dataset_digest?: string;
  readonly model_id?: string;
}

/** A dataset as runs/log-inputs takes it: `digest` identifies the content, `source` where it came from. */
export interface DatasetWire {
  readonly name: string;
  readonly digest: string;
  readonly source_type: string;
  readonly source: string;
  readonly schema?: string;
  readonly profile?: string;
}

export interface Run {
  readonly info: RunInfo;
  readonly data: {
    readonly metrics?: readonly Metric[];
    readonly params?: readonly KeyValue[];
    readonly tags?: readonly KeyValue[];
  };
  readonly inputs?: Readonly<Record<string, unknown>>;
  readonly outputs?: Readonly<Record<string, unknown>>;
}

export interface FileInfo {
  readonly path: string;
  readonly is_dir: boolean;
  readonly file_size?: number;
}

export interface ModelVersion {
  readonly name: string;
  readonly version: string;
  readonly creation_timestamp: number;
  readonly last_updated_timestamp?: number;
  readonly current_stage?: string;
  readonly description?: string;
  readonly source?: string;
  readonly run_id?: string;
  readonly run_link?: string;
  readonly status: string;
  readonly status_message?: string;
  readonly user_id?: string;
  readonly tags?: readonly KeyValue[];
  readonly aliases?: readonly string[];
  readonly model_id?: string;
}

export interface RegisteredModel {
  readonly name: string;
  readonly creation_timestamp: number;
  readonly last_updated_timestamp?: number;
  readonly user_id?: string;
  readonly description?: string;
  readonly latest_versions?: readonly ModelVersion[];
  readonly tags?: readonly KeyValue[];
  readonly aliases?: readonly { readonly alias: string; readonly version: string }[];
}

/** A metric value as proto JSON writes it: JSON has no NaN or Infinity, so those travel as strings. */
export function encodeMetricValue(value: number): number | string {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

export function decodeMetricValue(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity' || value === 'inf') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity' || value === '-inf') return Number.NEGATIVE_INFINITY;
  return Number(value);
}

export function decodeMetric(wire: Metric): Metric {
  return typeof wire.value === 'number' ? wire : { ...wire, value: decodeMetricValue(wire.value) };
}

/** A run with its latest metric values decoded (NaN and ±Infinity arrive as strings). */
export function decodeRun(wire: Run): Run {
  const metrics = wire.data?.metrics;
  return metrics === undefined ? wire : { ...wire, data: { ...wire.data, metrics: metrics.map(decodeMetric) } };
}
