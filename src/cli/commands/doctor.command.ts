import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { type DoctorServices, openDoctor } from '../../app.ts';
import { redactUri } from '../../config/config.ts';
import { isMlflowError } from '../../core/errors.ts';
import { parseConfigBaseline } from '../../doctor/config-baseline.ts';
import { parseAllowedClients } from '../../doctor/client-versions.ts';
import { checkFailed, DOCTOR_GROUPS, type DoctorGroup, type RepairOutcome } from '../../doctor/finding.ts';
import {
  confirm,
  type DoctorReport,
  exitCodeOf,
  type GroupedFinding,
  parseDuration,
  progressLine,
  renderJson,
  renderText,
} from '../doctor-output.ts';
import { loadConfigOrReport } from '../load-config.ts';

interface DoctorOptions {
  backendStoreUri?: string;
  artifactsDestination?: string;
  json?: boolean;
  fix?: boolean;
  yes?: boolean;
  stuckAfter: string;
  staleAfter: string;
  full?: boolean;
  sample: string;
  limit: string;
  baseline?: string;
  writeBaseline?: string;
  allowedClients?: string;
  clientsSince: string;
}

function usage(message: string): void {
  console.error(`plumb doctor: ${message}`);
  process.exitCode = 2;
}

function positiveInt(text: string): number | undefined {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export function register(program: Command): void {
  program
    .command('doctor')
    .description(
      'Check configuration, database and artifact store; report findings with repairs (--fix repairs what is safe)',
    )
    .argument('[group]', `one of ${DOCTOR_GROUPS.join(', ')} (default: all)`)
    .option('--backend-store-uri <uri>', 'metadata store (Plumb or MLflow database; default sqlite:///mlruns.db)')
    .option('--artifacts-destination <uri>', 'artifact store to check (default ./mlartifacts)')
    .option('--json', 'print the findings as JSON')
    .option('--fix', 'repair what is safe (asks first on a terminal)')
    .option('--yes', 'with --fix: do not ask')
    .option('--stuck-after <duration>', 'a RUNNING run with no activity this long is stuck', '24h')
    .option('--stale-after <duration>', 'an upload open this long is abandoned', '24h')
    .option('--full', 'hash every recorded artifact (default: a sample)')
    .option('--sample <n>', 'how many recorded artifacts to hash without --full', '100')
    .option('--limit <n>', 'items listed per finding', '20')
    .option('--baseline <file>', 'compare the effective configuration with this baseline; drift is an error')
    .option('--write-baseline <file>', 'write the effective configuration as a baseline file and exit')
    .option(
      '--allowed-clients <ranges>',
      "client versions allowed, e.g. 'mlflow-python-client >=2.20 <4; mlflow-java-client >=2.16'; others are errors",
    )
    .option('--clients-since <duration>', 'list the client versions seen within this window', '7d')
    .addHelpText(
      'after',
      '\nExit status: 0 when no error-severity finding is left, 1 when one is, 2 on a usage error.\nDurations: 90s, 15m, 24h, 7d.',
    )
    .action(async (group: string | undefined, options: DoctorOptions) => {
      if (group !== undefined && !(DOCTOR_GROUPS as readonly string[]).includes(group)) {
        return usage(`unknown check group '${group}' (choose ${DOCTOR_GROUPS.join(', ')})`);
      }
      const stuckAfterMs = parseDuration(options.stuckAfter);
      const staleAfterMs = parseDuration(options.staleAfter);
      const sample = positiveInt(options.sample);
      const listCap = positiveInt(options.limit);
      if (stuckAfterMs === undefined) return usage(`--stuck-after '${options.stuckAfter}' is not a duration like 24h`);
      if (staleAfterMs === undefined) return usage(`--stale-after '${options.staleAfter}' is not a duration like 24h`);
      if (sample === undefined || listCap === undefined) return usage('--sample and --limit take a positive integer');
      const clientsWithinMs = parseDuration(options.clientsSince);
      if (clientsWithinMs === undefined) {
        return usage(`--clients-since '${options.clientsSince}' is not a duration like 7d`);
      }
      let allowedClients;
      try {
        allowedClients = options.allowedClients ? parseAllowedClients(options.allowedClients) : undefined;
      } catch (error) {
        return usage(`--allowed-clients: ${error instanceof Error ? error.message : String(error)}`);
      }
      let baseline;
      if (options.baseline) {
        try {
          baseline = {
            file: options.baseline,
            content: parseConfigBaseline(readFileSync(options.baseline, 'utf8'), options.baseline),
          };
        } catch (error) {
          return usage(error instanceof Error ? error.message : String(error));
        }
      }
      const config = loadConfigOrReport({
        backendStoreUri: options.backendStoreUri,
        artifactsDestination: options.artifactsDestination,
      });
      if (!config) return;
      const groups: readonly DoctorGroup[] = group ? [group as DoctorGroup] : DOCTOR_GROUPS;
      let doctor: DoctorServices;
      try {
        doctor = await openDoctor(config, { repair: options.fix === true && !options.writeBaseline });
      } catch (error) {
        if (!isMlflowError(error)) throw error;
        console.error(error.message);
        process.exitCode = 1;
        return;
      }
      try {
        if (options.writeBaseline) {
          writeFileSync(options.writeBaseline, `${JSON.stringify(doctor.config.baseline(new Date()), null, 2)}\n`);
          console.log(`wrote the configuration baseline to ${options.writeBaseline}`);
          return;
        }
        const storeArgument = options.backendStoreUri
          ? `--backend-store-uri '${redactUri(config.store.uri)}'`
          : undefined;
        const progress = progressLine(process.stderr.isTTY === true && !options.json);
        const findings: GroupedFinding[] = [];
        const targets: Partial<Record<DoctorGroup, string>> = {};
        const dbOptions = { stuckAfterMs, listCap, storeArgument };
        const artifactOptions = { full: options.full, sample, staleAfterMs, listCap, progress: progress.update };
        for (const g of groups) {
          switch (g) {
            case 'config':
              findings.push(
                ...(await doctor.config.run({ baseline, listCap, clientsWithinMs, allowedClients })).map((f) => ({
                  ...f,
                  group: g,
                })),
              );
              break;
            case 'db': {
              targets.db = redactUri(config.store.uri);
              progress.update('checking the database…');
              const report = await doctor.db.run(dbOptions);
              findings.push(...report.findings.map((f) => ({ ...f, group: g })));
              break;
            }
            case 'artifacts': {
              targets.artifacts = redactUri(
                config.artifacts.destination.kind === 'local'
                  ? config.artifacts.destination.path
                  : config.artifacts.destination.uri,
              );
              const artifacts = await doctor.artifacts().catch((error: unknown) => {
                const repair = 'Check --artifacts-destination and the store credentials.';
                findings.push({ ...checkFailed(g, 'open the artifact store', error, repair), group: g });
                return undefined;
              });
              if (artifacts) findings.push(...(await artifacts.run(artifactOptions)).map((f) => ({ ...f, group: g })));
              break;
            }
            default: {
              const unknown: never = g;
              throw new Error(`unknown group ${String(unknown)}`);
            }
          }
          progress.clear();
        }
        const repairs: RepairOutcome[] = [];
        let fixNote: string | undefined;
        if (options.fix) {
          const fixable = findings.filter((f) => f.fixable);
          if (fixable.length === 0) fixNote = '--fix: nothing here can be repaired automatically.';
          else if (!options.yes && process.stdin.isTTY !== true) {
            fixNote = `--fix: not repairing ${fixable.length} finding(s) without confirmation; stdin is not a terminal, so add --yes.`;
          } else if (options.yes || (await confirm(`Repair ${fixable.map((f) => f.id).join(', ')}?`))) {
            const ids = fixable.map((f) => f.id);
            if (groups.includes('db')) repairs.push(...(await doctor.db.repair(ids, dbOptions)));
            if (groups.includes('artifacts'))
              repairs.push(...(await (await doctor.artifacts()).repair(ids, { staleAfterMs })));
          } else fixNote = '--fix: not confirmed; nothing was changed.';
        }
        const report: DoctorReport = { groups, targets, findings, repairs, fixNote };
        process.stdout.write(options.json ? renderJson(report) : renderText(report));
        process.exitCode = exitCodeOf(report);
      } finally {
        await doctor.close();
      }
    });
}
