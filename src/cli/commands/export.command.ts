import type { Command } from 'commander';
import { openMetadataStore } from '../../app.ts';
import { systemClock } from '../../core/clock.ts';
import { type DumpSummary, DumpService } from '../../transfer/dump.service.ts';
import { PLUMB_VERSION } from '../../version.ts';
import { loadMaintenanceConfig, type MaintenanceOptions, printResult, reportFailure } from '../maintenance.ts';
import { silentProgress, stderrProgress } from '../progress.ts';

function storeFlags(command: Command): Command {
  return command
    .option('--backend-store-uri <uri>', 'metadata store (default sqlite:///mlruns.db, or MLFLOW_BACKEND_STORE_URI)')
    .option('--json', 'print the summary as JSON on stdout')
    .option('--no-progress', 'do not draw progress on stderr');
}

async function withDumps(
  options: MaintenanceOptions,
  work: (service: DumpService, progress: ReturnType<typeof stderrProgress>) => Promise<DumpSummary>,
  lines: (summary: DumpSummary) => string[],
): Promise<void> {
  const config = loadMaintenanceConfig(options);
  if (!config) return;
  const store = openMetadataStore(config.store);
  const progress = options.progress === false ? silentProgress : stderrProgress();
  try {
    const service = new DumpService({
      dump: store.maintenance.dump,
      schema: store.schema,
      clock: systemClock,
      version: PLUMB_VERSION,
    });
    const summary = await work(service, progress);
    progress.end();
    printResult(options, summary, () => lines(summary));
  } catch (error) {
    progress.end();
    reportFailure(options, error);
  } finally {
    await store.close();
  }
}

function describe(summary: DumpSummary): string {
  const rows = Object.values(summary.tables).reduce((a, b) => a + b, 0);
  const schema = summary.header.migrations.at(-1)?.version ?? 0;
  return `${rows} rows in ${Object.keys(summary.tables).length} tables, schema version ${schema}, ${summary.bytes} bytes, sha256 ${summary.sha256}`;
}

/**
 * Adds `dump <file>` to the `import` command (`plumb import dump`), which `plumb import mlflow`
 * shares; exported so that whichever file creates `import` can hook it in.
 */
export function registerImportDump(importCommand: Command): void {
  if (importCommand.commands.some((c) => c.name() === 'dump')) return;
  storeFlags(
    importCommand
      .command('dump <file>')
      .description(
        "Load a dump made by `plumb export` (or a logical backup's metadata.jsonl.gz) into an empty database, in one transaction, on any engine",
      ),
  ).action(async (file: string, options: MaintenanceOptions) => {
    await withDumps(
      options,
      (service, progress) => service.import(file, { onProgress: progress }),
      (s) => [
        `Imported ${s.file} (from ${s.header.engine}, Plumb ${s.header.plumbVersion}): ${describe(s)}`,
        'Artifacts are not part of a dump: point the new server at the same artifact store (or copy it).',
      ],
    );
  });
}

export function register(program: Command): void {
  storeFlags(
    program
      .command('export <file>')
      .description(
        "Write the whole metadata database to a new file in Plumb's versioned dump format (JSON lines; gzip when the name ends in .gz), from one consistent snapshot, for `plumb import dump` on any engine",
      ),
  ).action(async (file: string, options: MaintenanceOptions) => {
    await withDumps(
      options,
      (service, progress) => service.export(file, { onProgress: progress }),
      (s) => [`Exported to ${s.file}: ${describe(s)}`],
    );
  });
  // `plumb import` may exist already (`plumb import mlflow` registers it too): add to it.
  const importCommand =
    program.commands.find((c) => c.name() === 'import') ??
    program
      .command('import')
      .description('Import data into Plumb: a Plumb dump (import dump) or an MLflow deployment (import mlflow)');
  registerImportDump(importCommand);
}
