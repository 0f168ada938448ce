import type { Command } from 'commander';
import { createNativeBackup, openMetadataStore } from '../../app.ts';
import { systemClock } from '../../core/clock.ts';
import { type BackupManifest, BackupService, type RestoreReport } from '../../transfer/backup.service.ts';
import { PLUMB_VERSION } from '../../version.ts';
import { loadMaintenanceConfig, type MaintenanceOptions, printResult, reportFailure } from '../maintenance.ts';
import { silentProgress, stderrProgress } from '../progress.ts';

function storeFlags(command: Command): Command {
  return command
    .option('--backend-store-uri <uri>', 'metadata store (default sqlite:///mlruns.db, or MLFLOW_BACKEND_STORE_URI)')
    .option('--json', 'print the result as JSON on stdout')
    .option('--no-progress', 'do not draw progress on stderr');
}

async function withBackups(
  options: MaintenanceOptions,
  work: (service: BackupService, progress: ReturnType<typeof stderrProgress>) => Promise<number>,
): Promise<void> {
  const config = loadMaintenanceConfig(options);
  if (!config) return;
  const progress = options.progress === false ? silentProgress : stderrProgress();
  try {
    const service = new BackupService({
      openStore: () => openMetadataStore(config.store),
      native: await createNativeBackup(config.store),
      clock: systemClock,
      version: PLUMB_VERSION,
    });
    const code = await work(service, progress);
    progress.end();
    process.exitCode = code;
  } catch (error) {
    progress.end();
    reportFailure(options, error);
  }
}

const total = (counts: Readonly<Record<string, number>>) => Object.values(counts).reduce((a, b) => a + b, 0);

function backupLines(dir: string, m: BackupManifest): string[] {
  const schema = m.migrations.at(-1)?.version ?? 0;
  return [
    `Backed up ${m.engine} with ${m.tool} (${m.method}) to ${dir}: ${m.file}, ${m.bytes} bytes, sha256 ${m.sha256}`,
    `schema version ${schema} (${m.migrations.length} migrations); ${total(m.rowCounts)} rows in ${Object.keys(m.rowCounts).length} tables${m.rowCountsExact ? '' : ' (counted just before the copy)'}`,
  ];
}

function restoreLines(dir: string, r: RestoreReport): string[] {
  const lines = [
    `Restored ${dir} (${r.manifest.engine}, ${r.manifest.tool}, made by Plumb ${r.manifest.plumbVersion}): ${total(r.rowCounts)} rows in ${Object.keys(r.rowCounts).length} tables`,
  ];
  for (const m of r.countMismatches)
    lines.push(`MISMATCH ${m.table}: ${m.actual} rows, the backup recorded ${m.expected}`);
  if (r.nextStep) lines.push(r.nextStep);
  else lines.push('The schema is current; servers can start.');
  return lines;
}

export function register(program: Command): void {
  storeFlags(
    program
      .command('backup <dir>')
      .description(
        "Write a consistent backup of the metadata database to a new directory: SQLite online backup, pg_dump or mysqldump when installed (else Plumb's logical dump), plus manifest.json with schema version, row counts and sha256",
      )
      .option('--logical', "write Plumb's portable logical dump even when the engine's own tool is installed"),
  ).action(async (dir: string, options: MaintenanceOptions & { logical?: boolean }) => {
    await withBackups(options, async (service, progress) => {
      const manifest = await service.backup(dir, { logical: options.logical, onProgress: progress });
      printResult(options, { dir, ...manifest }, () => backupLines(dir, manifest));
      return 0;
    });
  });
  storeFlags(
    program
      .command('restore <dir>')
      .description(
        'Restore a backup made by `plumb backup` after verifying its checksum and schema; refuses a backup from a schema this release does not know',
      )
      .option('--force', 'replace a database that holds data (stop every server on it first)'),
  ).action(async (dir: string, options: MaintenanceOptions & { force?: boolean }) => {
    await withBackups(options, async (service, progress) => {
      const report = await service.restore(dir, { force: options.force, onProgress: progress });
      printResult(options, { dir, ...report }, () => restoreLines(dir, report));
      return report.countMismatches.length > 0 ? 1 : 0;
    });
  });
}
