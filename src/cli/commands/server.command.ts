import type { Command } from 'commander';
import { createApp } from '../../app.ts';
import { describeConfig } from '../../config/config.ts';
import { isMlflowError } from '../../core/errors.ts';
import { loadConfigOrReport } from '../load-config.ts';

export function register(program: Command): void {
  program
    .command('server')
    .description('Run the tracking server (flags mirror `mlflow server`)')
    .option('--backend-store-uri <uri>', 'metadata store, e.g. sqlite:///mlruns.db (default)')
    .option('--default-artifact-root <uri>', "root for new experiments' artifact locations")
    .option('--artifacts-destination <path>', 'where proxied artifacts are stored (default ./mlartifacts)')
    .option('--artifacts-hot <uri>', 'a hot tier on local disk in front of the destination (PLUMB_ARTIFACTS_HOT)')
    .option('--serve-artifacts', 'proxy artifact uploads and downloads (default on)')
    .option('--no-serve-artifacts', 'do not proxy artifacts')
    .option('-h, --host <host>', 'address to bind (default 127.0.0.1)')
    .option('-p, --port <port>', 'port to listen on (default 5000)')
    .option(
      '--strict-config',
      'refuse to start when the configuration differs from the live nodes (PLUMB_STRICT_CONFIG)',
    )
    .option('--metrics', 'serve Prometheus metrics at /metrics (PLUMB_METRICS)')
    .option('--metrics-port <port>', 'serve /metrics on a port of its own instead (PLUMB_METRICS_PORT)')
    .option('--expose-prometheus <dir>', "MLflow's flag: turns metrics on; the directory is not used")
    .option(
      '--allowed-client-versions <ranges>',
      "client versions served, e.g. '>=2.16 <4' for MLflow's clients; 'plumb-ts-client >=0.3' per client, ';' between",
    )
    .option('--client-version-policy <policy>', 'warn (default) or reject clients outside the allowed versions')
    .option('--reject-unrecognised-clients', 'also refuse browsers, curl and other non-MLflow, non-Plumb clients')
    .action(async (options: Record<string, string | boolean | undefined>) => {
      const config = loadConfigOrReport({
        backendStoreUri: options.backendStoreUri as string | undefined,
        defaultArtifactRoot: options.defaultArtifactRoot as string | undefined,
        artifactsDestination: options.artifactsDestination as string | undefined,
        artifactsHot: options.artifactsHot as string | undefined,
        serveArtifacts: options.serveArtifacts as boolean | undefined,
        host: options.host as string | undefined,
        port: options.port as string | undefined,
        strictConfig: options.strictConfig as boolean | undefined,
        metrics: options.metrics as boolean | undefined,
        metricsPort: options.metricsPort as string | undefined,
        exposePrometheus: options.exposePrometheus as string | undefined,
        allowedClientVersions: options.allowedClientVersions as string | undefined,
        clientVersionPolicy: options.clientVersionPolicy as string | undefined,
        rejectUnrecognisedClients: options.rejectUnrecognisedClients as boolean | undefined,
      });
      if (!config) return;
      let app;
      try {
        app = await createApp(config);
      } catch (error) {
        if (isMlflowError(error)) {
          console.error(error.message);
          process.exitCode = 1;
          return;
        }
        throw error;
      }
      app.logger.info({ config: describeConfig(config) }, 'effective configuration');
      try {
        await app.http.listen({ host: config.server.host, port: config.server.port });
        const metricsUrl = await app.telemetry.listen(config.server.host);
        if (metricsUrl) app.logger.info({ url: metricsUrl }, 'serving metrics');
      } catch (error) {
        // EADDRINUSE, EACCES, EADDRNOTAVAIL: an operator's mistake, told in one line, not a stack.
        const code = (error as NodeJS.ErrnoException).code;
        if (code === undefined || !code.startsWith('E')) throw error;
        console.error(`Cannot listen on ${config.server.host}:${config.server.port}: ${(error as Error).message}`);
        await app.close();
        process.exitCode = 1;
        return;
      }
      const stop = async () => {
        await app.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });
}
