import type { Command } from 'commander';
import { type ReconcileReport, ReconcileService } from '../../transfer/reconcile.service.ts';
import { type MaintenanceOptions, printResult, storeOptions, withMaintenance } from '../maintenance.ts';

function summary(report: ReconcileReport): string[] {
  const did = (verb: string) => (report.dryRun ? `to ${verb}` : `${verb}d`);
  const recreated = report.runs.filter((r) => r.action === 'recreate').length;
  const lines = report.runs.map(
    (r) =>
      `${report.dryRun ? 'would ' : ''}${r.action} run ${r.runId} (experiment ${r.experimentId}): ${r.params} params, ${r.tags} tags, ${r.metricPoints} metric points, ${r.inputs} inputs`,
  );
  for (const e of report.experiments) {
    const renamed = e.originalName === undefined ? '' : ` (its name '${e.originalName}' is taken now)`;
    lines.push(`${report.dryRun ? 'would ' : ''}recreate experiment ${e.experimentId} as '${e.name}'${renamed}`);
  }
  for (const p of report.problems) lines.push(`PROBLEM ${p.snapshot}: ${p.message}`);
  lines.push(
    `${report.dryRun ? 'Dry run: ' : ''}${report.snapshots} snapshots; runs: ${recreated} ${did('recreate')}, ${report.runs.length - recreated} ${did('complete')}, ${report.upToDate} up to date; experiments: ${report.experiments.length} ${did('recreate')}; ${report.problems.length} problems`,
  );
  return lines;
}

export function register(program: Command): void {
  storeOptions(
    program
      .command('reconcile')
      .description(
        'Recreate runs (params, tags, metrics, inputs) the database lacks from the run snapshots in the artifact store; never overwrites what the database has',
      )
      .option('--dry-run', 'list what would be recreated, and write nothing'),
    { artifacts: true },
  ).action(async (options: MaintenanceOptions & { dryRun?: boolean }) => {
    await withMaintenance(options, async (context) => {
      const service = new ReconcileService({
        tracking: context.store.tracking,
        recovery: context.store.maintenance.recovery,
        artifacts: await context.artifacts(),
      });
      const report = await service.reconcile({ dryRun: options.dryRun, onProgress: context.progress });
      printResult(options, report, () => summary(report));
      return report.problems.length > 0 ? 1 : 0;
    });
  });
}
