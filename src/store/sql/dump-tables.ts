import type { DumpColumnKind } from '../maintenance-store.ts';

/** A data table as backups and dumps see it: the key that orders its rows and its id generator, if any. */
export interface DumpTableSpec {
  readonly name: string;
  /** The primary key (or another unique, non-null key): rows are read in this order, a page at a time. */
  readonly key: readonly string[];
  /** The auto-increment column, whose generator must move past loaded ids. */
  readonly serial?: string;
}

/**
 * Every data table of the schema, parents before children, so that loading them in this order
 * satisfies every foreign key. A migration that adds a table adds it here too
 * (test/maintenance/dump-format.test.ts fails until it does).
 */
export const DUMP_TABLES: readonly DumpTableSpec[] = [
  { name: 'experiments', key: ['experiment_id'], serial: 'experiment_id' },
  { name: 'experiment_tags', key: ['experiment_id', 'key'] },
  { name: 'runs', key: ['row_id'], serial: 'row_id' },
  { name: 'params', key: ['seq'], serial: 'seq' },
  { name: 'tags', key: ['seq'], serial: 'seq' },
  { name: 'metrics', key: ['run_uuid', 'key', 'step', 'timestamp', 'value', 'is_nan'] },
  { name: 'latest_metrics', key: ['seq'], serial: 'seq' },
  { name: 'metric_rollups', key: ['run_uuid', 'key', 'width', 'bucket'] },
  { name: 'datasets', key: ['dataset_uuid'] },
  { name: 'inputs', key: ['input_uuid'] },
  { name: 'input_tags', key: ['input_uuid', 'name'] },
  { name: 'run_outputs', key: ['run_uuid', 'model_id'] },
  { name: 'logged_models', key: ['row_id'], serial: 'row_id' },
  { name: 'logged_model_tags', key: ['model_id', 'tag_key'] },
  { name: 'logged_model_params', key: ['model_id', 'param_key'] },
  {
    name: 'logged_model_metrics',
    key: ['model_id', 'metric_name', 'metric_timestamp_ms', 'metric_step', 'run_id', 'dataset_name', 'dataset_digest'],
  },
  { name: 'artifact_manifest', key: ['path_hash'] },
  { name: 'registered_models', key: ['id'], serial: 'id' },
  { name: 'registered_model_tags', key: ['registered_model_id', 'key'] },
  { name: 'model_versions', key: ['seq'], serial: 'seq' },
  { name: 'model_version_tags', key: ['registered_model_id', 'version', 'key'] },
  { name: 'registered_model_aliases', key: ['registered_model_id', 'alias'] },
  { name: 'registry_events', key: ['id'], serial: 'id' },
  { name: 'webhooks', key: ['seq'], serial: 'seq' },
  { name: 'webhook_subscriptions', key: ['webhook_id', 'entity', 'action'] },
  { name: 'webhook_deliveries', key: ['seq'], serial: 'seq' },
  { name: 'webhook_delivery_attempts', key: ['seq'], serial: 'seq' },
];

/**
 * Tables that are not data: the schema history travels in a dump's header, live nodes
 * re-register themselves (a restored heartbeat would only describe a process that is gone), and
 * client sightings describe the traffic of the database they were counted on.
 */
export const SCHEMA_TABLES: readonly string[] = ['schema_migrations', 'server_nodes', 'client_versions'];

/** The kind of a column from the type the engine reports (SQLite: as declared; PostgreSQL: int8, float8…). */
export function columnKind(dataType: string): DumpColumnKind {
  const type = dataType.toLowerCase();
  if (/int|serial/.test(type)) return 'integer';
  if (/double|float|real|numeric|decimal/.test(type)) return 'number';
  return 'text';
}
