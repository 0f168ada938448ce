import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import pino from 'pino';
import {
  createArtifactRepository,
  destinationUriOf,
  openMetadataStore,
  openMlflowSource,
  prepareSchema,
} from '../../app.ts';
import { redactUri } from '../../config/config.ts';
import { isMlflowError } from '../../core/errors.ts';
import type { MetadataStore } from '../../store/store.ts';
import type { MlflowSource } from '../../store/mlflow-source.ts';
import { runArtifactPathOf } from '../../tracking/artifact-locations.ts';
import { type ImportReport, MlflowImportService } from '../../transfer/mlflow-import.service.ts';
import { formatReport, progressLine } from '../import-output.ts';
import { loadConfigOrReport } from '../load-config.ts';

interface MlflowImportOptions {
  readonly from: string;
  readonly artifactsFrom?: string | undefined;
  readonly backendStoreUri?: string | undefined;
  readonly artifactsDestination?: string | undefined;
  readonly json?: boolean | undefined;
  readonly dryRun?: boolean | undefined;
}

const HELP = `
What it does:
  Reads an MLflow backend store (SQLite, PostgreSQL or MySQL; any schema from MLflow 2.0 on) and
  writes experiments, runs (params, tags, full metric history, latest metrics, datasets and inputs),
  logged models, registered models, versions, tags and aliases into Plumb with the same ids, names,
  timestamps and artifact URIs, so existing clients, runs:/ and models:/ URIs keep working.
  With --artifacts-from, copies the artifact tree (MLflow's --artifacts-destination) into Plumb's
  artifact store under the same paths and records each file's size and sha256 in the manifest.

  Each experiment, run, logged model and registered model is written in one transaction. Running it
  again (after an interruption, or to check) skips what is already there and never duplicates.
  It refuses, before writing anything, when Plumb holds different data under the same ids or names.
  It ends by counting rows per table on both sides. The MLflow database is only read.

Exit codes: 0 everything imported and verified; 1 a conflict, an error or a count mismatch;
  2 invalid options.

Example:
  plumb import mlflow --from sqlite:///mlflow.db --artifacts-from ./mlartifacts \\
    --backend-store-uri postgresql://plumb@db/plumb --artifacts-destination s3://bucket/plumb
`;

export function register(program: Command): void {
  // `plumb import` may already exist (another kind of import registered it): add to it.
  const parent =
    program.commands.find((c) => c.name() === 'import') ??
    program.command('import').description('Import data into Plumb (from MLflow: plumb import mlflow)');
  parent
    .command('mlflow')
    .description('Import an MLflow deployment: its database and, optionally, its artifacts')
    .requiredOption('--from <uri>', 'the MLflow backend store URI, e.g. sqlite:///mlflow.db or postgresql://…')
    .option('--artifacts-from <path>', "MLflow's artifact root (its --artifacts-destination): copy the files too")
    .option(
      '--backend-store-uri <uri>',
      'the Plumb metadata store (default sqlite:///mlruns.db, or MLFLOW_BACKEND_STORE_URI)',
    )
    .option(
      '--artifacts-destination <uri>',
      "Plumb's artifact store (default ./mlartifacts, or MLFLOW_ARTIFACTS_DESTINATION)",
    )
    .option('--json', 'print the report as JSON on stdout (no progress)')
    .option('--dry-run', 'plan and check for conflicts, write nothing')
    .addHelpText('after', HELP)
    .action(async (options: MlflowImportOptions) => {
      process.exitCode = await importMlflow(options);
    });
}

async function importMlflow(options: MlflowImportOptions): Promise<number> {
  const target = loadConfigOrReport({
    backendStoreUri: options.backendStoreUri,
    artifactsDestination: options.artifactsDestination,
  });
  // The source's URIs go through the same parsing as Plumb's own (MLflow's URI forms are the same).
  const from = loadConfigOrReport({
    backendStoreUri: options.from,
    artifactsDestination: options.artifactsFrom ?? '.',
  });
  if (!target || !from) return 2;
  const artifactsFrom = from.artifacts.destination;
  if (options.artifactsFrom && artifactsFrom.kind === 'local' && !existsSync(artifactsFrom.path)) {
    console.error(`error: --artifacts-from ${artifactsFrom.path} does not exist`);
    return 2;
  }
  const samePath =
    from.store.kind === 'sqlite' && target.store.kind === 'sqlite' && from.store.path === target.store.path;
  if (from.store.uri === target.store.uri || samePath) {
    console.error(
      'error: --from and --backend-store-uri name the same database; import into a separate Plumb database',
    );
    return 2;
  }
  let store: MetadataStore | undefined;
  let source: MlflowSource | undefined;
  const progress = !options.json && process.stderr.isTTY ? progressLine() : undefined;
  try {
    source = openMlflowSource(from.store);
    store = openMetadataStore(target.store);
    await prepareSchema(store, pino({ level: 'silent' }));
    const artifacts = options.artifactsFrom
      ? {
          source: await createArtifactRepository(artifactsFrom),
          destination: await createArtifactRepository(target.artifacts.destination),
          manifest: store.artifactManifest,
          clock: { now: () => Date.now() },
        }
      : undefined;
    const destination = destinationUriOf(target.artifacts.destination);
    const service = new MlflowImportService({
      source,
      target: store.imports,
      artifacts,
      onProgress: progress && ((p) => progress.update(p)),
      servesArtifactUri: (uri) => runArtifactPathOf(uri, destination) !== undefined,
    });
    const report = await service.run({ dryRun: options.dryRun === true });
    progress?.end();
    print(report, options, redactUri(target.store.uri));
    return report.ok ? 0 : 1;
  } catch (error) {
    progress?.end();
    // A driver's error (an unreachable database, a schema that is not MLflow's) is reported the same way.
    const code = isMlflowError(error) ? error.code : 'INTERNAL_ERROR';
    const message = error instanceof Error ? error.message : String(error);
    if (options.json) console.log(JSON.stringify({ ok: false, error: { code, message } }, null, 2));
    console.error(`error: ${message}`);
    return 1;
  } finally {
    await source?.close();
    await store?.close();
  }
}

function print(report: ImportReport, options: MlflowImportOptions, target: string): void {
  if (options.json) console.log(JSON.stringify({ ...report, target }, null, 2));
  else console.log(formatReport(report, target));
}
