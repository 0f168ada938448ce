import type { Generated } from 'kysely';

/**
 * Row types of the metadata database, as the Kysely queries in this folder see them.
 * Column names follow MLflow's SQL schema where one exists, so that SQL written by people who
 * know MLflow's database reads naturally here and the importer maps tables one to one.
 */
export interface Database {
  experiments: ExperimentsTable;
  experiment_tags: KeyValueTable & { experiment_id: number };
  runs: RunsTable;
  params: KeyValueTable & { seq: Generated<number>; run_uuid: string };
  tags: KeyValueTable & { seq: Generated<number>; run_uuid: string };
  metrics: MetricsTable;
  latest_metrics: LatestMetricsTable;
  metric_rollups: MetricRollupsTable;
  datasets: DatasetsTable;
  inputs: InputsTable;
  input_tags: { input_uuid: string; name: string; value: string };
  run_outputs: { run_uuid: string; model_id: string; step: number };
  schema_migrations: SchemaMigrationsTable;
  artifact_manifest: ArtifactManifestTable;
  registered_models: RegisteredModelsTable;
  registered_model_tags: KeyValueTable & { registered_model_id: number };
  model_versions: ModelVersionsTable;
  model_version_tags: KeyValueTable & { registered_model_id: number; version: number };
  registered_model_aliases: { registered_model_id: number; alias: string; version: number };
  registry_events: RegistryEventsTable;
  logged_models: LoggedModelsTable;
  logged_model_tags: { model_id: string; tag_key: string; tag_value: string };
  logged_model_params: { model_id: string; param_key: string; param_value: string };
  logged_model_metrics: LoggedModelMetricsTable;
}

interface KeyValueTable {
  key: string;
  value: string;
}

export interface ExperimentsTable {
  experiment_id: Generated<number>;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: number;
  last_update_time: number;
  deleted_time: number | null;
}

export interface RunsTable {
  /** Monotonic insertion order: page tokens use it as a snapshot watermark. */
  row_id: Generated<number>;
  run_uuid: string;
  name: string;
  experiment_id: number;
  user_id: string;
  status: string;
  start_time: number | null;
  end_time: number | null;
  deleted_time: number | null;
  lifecycle_stage: string;
  artifact_uri: string;
}

export interface MetricsTable {
  run_uuid: string;
  key: string;
  value: number;
  timestamp: number;
  step: number;
  /** NaN cannot be stored portably: it is kept as value 0 with is_nan = 1, as MLflow does. */
  is_nan: number;
  dataset_name: string | null;
  dataset_digest: string | null;
  model_id: string | null;
}

export interface LatestMetricsTable {
  seq: Generated<number>;
  run_uuid: string;
  key: string;
  value: number;
  timestamp: number;
  step: number;
  is_nan: number;
}

/**
 * The extreme points of one step bucket of one history, at one bucket width (see
 * metric-rollups.ts): the point with the least value, the one with the greatest value and the
 * latest NaN. A group is NULL when the bucket has no such point (only NaN, or no NaN).
 */
export interface MetricRollupsTable {
  run_uuid: string;
  key: string;
  width: number;
  bucket: number;
  min_value: number | null;
  min_step: number | null;
  min_timestamp: number | null;
  max_value: number | null;
  max_step: number | null;
  max_timestamp: number | null;
  nan_step: number | null;
  nan_timestamp: number | null;
}

export interface DatasetsTable {
  dataset_uuid: string;
  experiment_id: number;
  name: string;
  digest: string;
  dataset_source_type: string;
  dataset_source: string;
  dataset_schema: string | null;
  dataset_profile: string | null;
}

export interface InputsTable {
  input_uuid: string;
  source_type: string;
  source_id: string;
  destination_type: string;
  destination_id: string;
}

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  checksum: string;
  min_server_release: string;
  applied_at: number;
}

export interface ArtifactManifestTable {
  path_hash: string;
  path: string;
  run_uuid: string | null;
  size: number;
  sha256: string;
  etag: string;
  recorded_at: number;
  /** Migration 10: 'hot' | 'cold'; null (older rows) means the destination, i.e. cold. */
  tier?: string | null;
  hot_node?: string | null;
  move_started_at?: number | null;
}

/** Registry tables (migration 3). Models are keyed by a surrogate id, so a rename touches one row. */
export interface RegisteredModelsTable {
  id: Generated<number>;
  name: string;
  /** The name percent-decoded until stable; unique (see modelNameKey). */
  name_key: string;
  description: string | null;
  creation_time: number;
  last_updated_time: number;
  revision: number;
  next_version: number;
}

export interface ModelVersionsTable {
  /** Monotonic insertion order: page tokens use it as a snapshot watermark. */
  seq: Generated<number>;
  registered_model_id: number;
  version: number;
  creation_time: number;
  last_updated_time: number;
  description: string | null;
  user_id: string | null;
  current_stage: string;
  source: string | null;
  storage_location: string | null;
  run_id: string | null;
  run_link: string | null;
  status: string;
  status_message: string | null;
  /** The MLflow 3 logged model this version was registered from. */
  model_id: string | null;
}

export interface RegistryEventsTable {
  id: Generated<number>;
  /** No foreign key: a deleted model's history stays readable. */
  registered_model_id: number;
  model_name: string;
  version: number | null;
  kind: string;
  before_json: string | null;
  after_json: string | null;
  actor: string | null;
  revision: number;
  event_time: number;
}

/** Logged models (migration 4), with MLflow's column names. */
export interface LoggedModelsTable {
  /** Monotonic insertion order: page tokens use it as a snapshot watermark. */
  row_id: Generated<number>;
  model_id: string;
  experiment_id: number;
  name: string;
  artifact_location: string;
  creation_timestamp_ms: number;
  last_updated_timestamp_ms: number;
  status: string;
  status_message: string | null;
  model_type: string | null;
  source_run_id: string | null;
  lifecycle_stage: string;
}

export interface LoggedModelMetricsTable {
  model_id: string;
  metric_name: string;
  metric_timestamp_ms: number;
  metric_step: number;
  metric_value: number;
  is_nan: number;
  experiment_id: number;
  run_id: string;
  /** '' when the metric names no dataset. */
  dataset_name: string;
  dataset_digest: string;
}
