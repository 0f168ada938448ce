import type { Command } from 'commander';
import pino from 'pino';
import { createArtifactRepository, openMetadataStore, prepareSchema } from '../../app.ts';
import { openTiers } from '../../artifacts/tiered/tiers-wiring.ts';
import type { TierReport } from '../../artifacts/tiered/tier-mover.ts';
import { loadConfigOrReport } from '../load-config.ts';
import { type MaintenanceOptions, printResult, reportFailure, storeOptions } from '../maintenance.ts';

interface TierOptions extends MaintenanceOptions {
  readonly artifactsHot?: string;
  readonly run?: string;
}

const HELP = `
Runs one pass of the artifact mover: first finishes or cleans up moves a mover left half-done
(it died), then moves what the policy selects from the hot tier to the cold tier (the artifacts
destination): finished runs' artifacts older than PLUMB_ARTIFACTS_HOT_MAX_AGE_HOURS, and the
oldest objects while the hot tier holds more than PLUMB_ARTIFACTS_HOT_BUDGET_BYTES. Pinned runs,
experiments and model aliases stay hot. With --run, that run's hot artifacts move now, whatever
their age (an operator's explicit request wins over pins too).

Each move: copy, verify size and sha256 against the manifest, record the cold location in the
manifest (one transaction), delete the hot copy. Clients keep their mlflow-artifacts: URIs.

Exit codes: 0 done; 1 some moves failed (a later pass retries them); 2 invalid options.

Examples:
  plumb artifacts tier --artifacts-hot file:///fast/ssd --artifacts-destination s3://bucket/mlflow
  plumb artifacts tier --run 3f2a… --json
`;

function summary(report: TierReport): string[] {
  return [
    ...report.recovered.map((path) => `finished a half-done move of ${path}`),
    ...report.moved.map((m) => `moved ${m.path} (${m.size} bytes) to the cold tier`),
    ...report.failed.map((f) => `FAILED ${f.path}: ${f.message}`),
    `Moved ${report.moved.length} artifacts; ${report.recovered.length} half-done moves finished; ${report.failed.length} failed; ${report.pinned} pinned stay hot`,
  ];
}

export function register(program: Command): void {
  const artifacts = program.command('artifacts').description('Artifact storage maintenance');
  storeOptions(
    artifacts
      .command('tier')
      .description('Move artifacts from the hot tier to the cold tier now (one mover pass)')
      .option('--artifacts-hot <uri>', 'the hot tier, a local directory (file:///path, or PLUMB_ARTIFACTS_HOT)')
      .option('--run <id>', "move this run's hot artifacts now, whatever their age")
      .addHelpText('after', HELP),
    { artifacts: true },
  ).action(async (options: TierOptions) => {
    const config = loadConfigOrReport({
      backendStoreUri: options.backendStoreUri,
      artifactsDestination: options.artifactsDestination,
      artifactsHot: options.artifactsHot,
    });
    if (!config) return;
    if (!config.artifacts.hot) {
      console.error('error: no hot tier is configured (--artifacts-hot or PLUMB_ARTIFACTS_HOT)');
      process.exitCode = 2;
      return;
    }
    const store = openMetadataStore(config.store);
    let destination: Awaited<ReturnType<typeof createArtifactRepository>> | undefined;
    try {
      await prepareSchema(store, pino({ level: config.logLevel }, pino.destination({ fd: 2, sync: true })));
      destination = await createArtifactRepository(config.artifacts.destination);
      const tiers = openTiers(config, destination, store);
      const report = await tiers!.mover.pass({ runId: options.run });
      printResult(options, report, () => summary(report));
      process.exitCode = report.failed.length > 0 ? 1 : 0;
    } catch (error) {
      reportFailure(options, error);
    } finally {
      // The S3 client's sockets would keep the process alive.
      (destination as { destroy?: () => void } | undefined)?.destroy?.();
      await store.close();
    }
  });
}
