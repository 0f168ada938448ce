import type { Command } from 'commander';
import pino from 'pino';
import type { ArtifactRepository } from '../artifacts/artifact-repository.ts';
import { destinationUriOf, openArtifactStore, openMetadataStore, prepareSchema } from '../app.ts';
import type { Config } from '../config/config.ts';
import { isMlflowError } from '../core/errors.ts';
import type { MetadataStore } from '../store/store.ts';
import type { OnProgress } from '../transfer/progress.ts';
import { loadConfigOrReport } from './load-config.ts';
import { silentProgress, stderrProgress } from './progress.ts';

/** Options every maintenance command takes. */
export interface MaintenanceOptions {
  readonly backendStoreUri?: string | undefined;
  readonly artifactsDestination?: string | undefined;
  readonly json?: boolean | undefined;
  readonly progress?: boolean | undefined;
}

export function storeOptions(command: Command, options: { artifacts?: boolean } = {}): Command {
  command
    .option('--backend-store-uri <uri>', 'metadata store (default sqlite:///mlruns.db, or MLFLOW_BACKEND_STORE_URI)')
    .option('--json', 'print the result as JSON on stdout')
    .option('--no-progress', 'do not draw progress on stderr');
  if (options.artifacts) {
    command.option(
      '--artifacts-destination <uri>',
      'the artifact store (default ./mlartifacts, or MLFLOW_ARTIFACTS_DESTINATION)',
    );
  }
  return command;
}

export interface MaintenanceContext {
  readonly config: Config;
  readonly store: MetadataStore;
  readonly progress: OnProgress;
  /** The configured artifact store (opened on first use). */
  artifacts(): Promise<ArtifactRepository>;
  /** The URI run artifact locations under the configured store start with. */
  readonly destinationUri: string;
}

export function loadMaintenanceConfig(options: MaintenanceOptions): Config | undefined {
  return loadConfigOrReport({
    backendStoreUri: options.backendStoreUri,
    artifactsDestination: options.artifactsDestination,
  });
}

/** Prints an error the way the command's output mode asks for, and sets exit code 1. */
export function reportFailure(options: MaintenanceOptions, error: unknown): void {
  // A file-system refusal (EACCES, ENOENT, ENOSPC…) is an operator's matter, told in one line.
  const errno = (error as NodeJS.ErrnoException | null)?.code;
  const code = isMlflowError(error)
    ? error.code
    : typeof errno === 'string' && errno.startsWith('E')
      ? errno
      : undefined;
  if (code === undefined) throw error;
  const message = (error as Error).message;
  if (options.json) console.log(JSON.stringify({ error: { code, message } }, null, 2));
  console.error(`error: ${message}`);
  process.exitCode = 1;
}

/**
 * Opens the metadata store on a schema this release runs on (a brand-new database is created, as
 * a server would), runs `work`, and sets the exit code it returns; closes everything after.
 */
export async function withMaintenance(
  options: MaintenanceOptions,
  work: (context: MaintenanceContext) => Promise<number>,
): Promise<void> {
  const config = loadMaintenanceConfig(options);
  if (!config) return;
  const store = openMetadataStore(config.store);
  const progress = options.progress === false ? silentProgress : stderrProgress();
  let repository: Promise<ArtifactRepository> | undefined;
  try {
    await prepareSchema(store, pino({ level: config.logLevel }, pino.destination({ fd: 2, sync: true })));
    const code = await work({
      config,
      store,
      progress,
      // With a hot tier configured, the commands see both tiers as the server does: gc deletes hot
      // copies too, export and reconcile read objects not yet moved to the cold tier.
      artifacts: () => (repository ??= openArtifactStore(config, store)),
      destinationUri: destinationUriOf(config.artifacts.destination),
    });
    progress.end();
    process.exitCode = code;
  } catch (error) {
    progress.end();
    reportFailure(options, error);
  } finally {
    await store.close();
  }
}

/** Prints `result` as JSON, or the human lines. */
export function printResult(options: MaintenanceOptions, result: unknown, lines: () => readonly string[]): void {
  if (options.json) console.log(JSON.stringify(result, null, 2));
  else for (const line of lines()) console.log(line);
}
