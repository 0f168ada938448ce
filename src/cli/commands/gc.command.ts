import type { Command } from 'commander';
import { systemClock } from '../../core/clock.ts';
import { type GcReport, GcService, type Purged } from '../../transfer/gc.service.ts';
import { parseDuration } from '../duration.ts';
import { type MaintenanceOptions, printResult, storeOptions, withMaintenance } from '../maintenance.ts';

interface GcOptions extends MaintenanceOptions {
  readonly olderThan?: string;
  readonly runIds?: string;
  readonly experimentIds?: string;
  readonly dryRun?: boolean;
}

const HELP = `
Deletes by default, as \`mlflow gc\` does; --dry-run lists what it would delete and changes nothing.
Only runs and experiments already in the deleted state are touched. A deleted experiment goes with
all of its runs. Artifacts (and run snapshots, so \`plumb reconcile\` cannot bring a run back) are
removed first, then the rows; artifacts outside this server's artifact store are left and listed.
Runs that registered model versions come from are kept (their artifacts may be the model's files)
until those versions are deleted.

Exit codes: 0 done; 1 a given id is not deleted (nothing is deleted then) or something could not be
deleted (run gc again); 2 invalid options.

Examples:
  plumb gc --dry-run
  plumb gc --older-than 30d
  plumb gc --run-ids 3f2a…,77c1… --experiment-ids 12
`;

const ids = (list: string | undefined) =>
  list
    ?.split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');

function line(kind: string, item: Purged, dryRun: boolean): string {
  const rows = Object.values(item.rows).reduce((a, b) => a + b, 0);
  const name = item.name === undefined ? '' : ` '${item.name}'`;
  const where = kind === 'run' ? ` (experiment ${item.experimentId})` : '';
  const artifacts =
    item.artifactPaths.length > 0
      ? `artifacts ${item.artifactPaths.join(', ')}`
      : `artifacts kept: ${item.artifactsKept}`;
  return `${dryRun ? 'would delete' : 'deleted'} ${kind} ${item.id}${name}${where}: ${artifacts}${dryRun ? '' : `, ${rows} rows`}`;
}

function summary(report: GcReport): string[] {
  const lines = [
    ...report.runs.map((r) => line('run', r, report.dryRun)),
    ...report.experiments.map((e) => line('experiment', e, report.dryRun)),
    ...report.skipped.map((k) => `kept ${k.id}: ${k.reason}`),
    ...report.problems.map((p) => `PROBLEM ${p.id}: ${p.message}`),
  ];
  const verb = report.dryRun ? 'Dry run: would delete' : 'Deleted permanently';
  lines.push(
    `${verb} ${report.runs.length} runs and ${report.experiments.length} experiments; ${report.problems.length} problems`,
  );
  return lines;
}

export function register(program: Command): void {
  storeOptions(
    program
      .command('gc')
      .description(
        'Permanently delete runs and experiments in the deleted state, with their metrics, params, tags, inputs and artifacts; frees experiment names',
      )
      .option('--older-than <duration>', 'only what was deleted longer ago than this (#d#h#m#s, e.g. 30d, 1d12h)')
      .option('--run-ids <ids>', 'only these runs (comma-separated; each must be deleted)')
      .option(
        '--experiment-ids <ids>',
        'only these experiments, with all their runs (comma-separated; each must be deleted)',
      )
      .option('--dry-run', 'list what would be deleted, and delete nothing')
      .addHelpText('after', HELP),
    { artifacts: true },
  ).action(async (options: GcOptions) => {
    const olderThanMs = options.olderThan === undefined ? undefined : parseDuration(options.olderThan);
    if (options.olderThan !== undefined && olderThanMs === undefined) {
      console.error(`error: --older-than '${options.olderThan}' is not a duration like 30d, 12h, 1d2h3m4s`);
      process.exitCode = 2;
      return;
    }
    await withMaintenance(options, async (context) => {
      const service = new GcService({
        purge: context.store.maintenance.purge,
        manifest: context.store.artifactManifest,
        artifacts: await context.artifacts(),
        destinationUri: context.destinationUri,
        clock: systemClock,
      });
      const report = await service.gc({
        olderThanMs,
        runIds: ids(options.runIds),
        experimentIds: ids(options.experimentIds),
        dryRun: options.dryRun,
        onProgress: context.progress,
      });
      printResult(options, report, () => summary(report));
      return report.problems.length > 0 ? 1 : 0;
    });
  });
}
