/**
 * The MLflow database fixture (../shared/fixtures/mlflow-db, made by a real MLflow 3 server) and
 * a way to run `plumb import mlflow` on it from tests, through the same factories as the command.
 * The fixture is read-only: tests copy mlflow.db into a temp dir before opening it.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { createArtifactRepository, openMetadataStore, openMlflowSource, prepareSchema } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { ImportScope, ImportStore } from '../../src/store/import-store.ts';
import type { MlflowSource } from '../../src/store/mlflow-source.ts';
import type { MetadataStore } from '../../src/store/store.ts';
import { type ImportReport, MlflowImportService } from '../../src/transfer/mlflow-import.service.ts';

export const FIXTURE_DIR =
  process.env.PLUMB_MLFLOW_DB_FIXTURE ?? join(import.meta.dirname, '../../../shared/fixtures/mlflow-db');
export const FIXTURE_ARTIFACTS = join(FIXTURE_DIR, 'mlartifacts');

export interface ExpectedCounts {
  alembic_revision: string;
  mlflow_db_sha256: string;
  counts: Record<string, number>;
  other_tables: Record<string, number>;
  details: {
    experiments: { experiment_id: number; name: string; lifecycle_stage: string; artifact_location: string }[];
    runs_by_status: Record<string, number>;
    runs_by_lifecycle: Record<string, number>;
    runs_per_experiment: Record<string, number>;
    runs_with_parent: number;
    runs_with_end_time_null: number;
    longest_metric_histories: { run_uuid: string; key: string; points: number }[];
    param_value_max_len: number;
    param_key_max_len: number;
    tag_value_max_len: number;
    registered_models: Record<
      string,
      {
        description: string;
        tags: Record<string, string>;
        aliases: Record<string, number>;
        versions: Record<string, string>;
      }
    >;
    logged_models_by_status: Record<string, number>;
    artifact_files: number;
    artifact_bytes: number;
  };
  run_ids_by_role: Record<string, string>;
  logged_model_ids_by_role: Record<string, string>;
}

export const expected = JSON.parse(readFileSync(join(FIXTURE_DIR, 'expected-counts.json'), 'utf8')) as ExpectedCounts;

export const sha256File = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A writable copy of mlflow.db in `dir`; returns its sqlite URI. */
export function copyFixtureDb(dir: string): { path: string; uri: string } {
  const path = join(dir, 'mlflow.db');
  copyFileSync(join(FIXTURE_DIR, 'mlflow.db'), path);
  chmodSync(path, 0o644);
  return { path, uri: `sqlite:///${path}` };
}

export interface ImportRun {
  readonly from: string;
  readonly target: string;
  readonly artifactsFrom?: string | undefined;
  readonly artifactsDestination?: string | undefined;
  readonly dryRun?: boolean;
  /** Lets a test narrow or break the source (an interrupted import). */
  readonly wrapSource?: (source: MlflowSource) => MlflowSource;
  readonly wrapTarget?: (target: ImportStore) => ImportStore;
}

/** `plumb import mlflow` as the command wires it, without the process around it. */
export async function runImport(options: ImportRun): Promise<ImportReport> {
  const target = loadConfig(
    {},
    { backendStoreUri: options.target, artifactsDestination: options.artifactsDestination ?? '/nonexistent' },
  );
  const from = loadConfig({}, { backendStoreUri: options.from, artifactsDestination: options.artifactsFrom ?? '.' });
  const rawSource = openMlflowSource(from.store);
  const source = options.wrapSource ? options.wrapSource(rawSource) : rawSource;
  const store = openMetadataStore(target.store);
  try {
    await prepareSchema(store, pino({ level: 'silent' }));
    const artifacts = options.artifactsFrom
      ? {
          source: await createArtifactRepository(from.artifacts.destination),
          destination: await createArtifactRepository(target.artifacts.destination),
          manifest: store.artifactManifest,
          clock: { now: () => Date.now() },
        }
      : undefined;
    const imports = options.wrapTarget ? options.wrapTarget(store.imports) : store.imports;
    return await new MlflowImportService({
      source,
      target: imports,
      artifacts,
      servesArtifactUri: (uri) => uri.startsWith('mlflow-artifacts:'),
    }).run({ dryRun: options.dryRun ?? false });
  } finally {
    await rawSource.close();
    await store.close();
  }
}

/** Opens a Plumb store for a direct look at its rows. */
export async function withPlumbStore<T>(uri: string, work: (store: MetadataStore) => Promise<T>): Promise<T> {
  const store = openMetadataStore(loadConfig({}, { backendStoreUri: uri }).store);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** A source that shows only part of the MLflow database: what an import interrupted early had seen. */
export function partialSource(
  source: MlflowSource,
  share: { runs: number; loggedModels: number; models: number },
): MlflowSource {
  return {
    description: source.description,
    inspect: () => source.inspect(),
    countRows: () => source.countRows(),
    listExperiments: () => source.listExperiments(),
    listRunKeys: async () => (await source.listRunKeys()).slice(0, share.runs),
    readRuns: (ids) => source.readRuns(ids),
    listLoggedModelKeys: async () => (await source.listLoggedModelKeys()).slice(0, share.loggedModels),
    readLoggedModels: (ids) => source.readLoggedModels(ids),
    listRegisteredModels: async () => (await source.listRegisteredModels()).slice(0, share.models),
    close: () => source.close(),
  };
}

/** Every entity of the MLflow database at `uri`, by id: what the import's verification counts. */
export async function scopeOf(uri: string): Promise<ImportScope> {
  const source = openMlflowSource(loadConfig({}, { backendStoreUri: uri }).store);
  try {
    return {
      experimentIds: (await source.listExperiments()).map((e) => e.experimentId),
      runIds: (await source.listRunKeys()).map((r) => r.id),
      loggedModelIds: (await source.listLoggedModelKeys()).map((m) => m.id),
      registeredModelNames: (await source.listRegisteredModels()).map((m) => m.name),
    };
  } finally {
    await source.close();
  }
}
