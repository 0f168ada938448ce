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
    .option('--serve-artifacts', 'proxy artifact uploads and downloads (default on)')
    .option('--no-serve-artifacts', 'do not proxy artifacts')
    .option('-h, --host <host>', 'address to bind (default 127.0.0.1)')
    .option('-p, --port <port>', 'port to listen on (default 5000)')
    .option(
      '--strict-config',
      'refuse to start when the configuration differs from the live nodes (PLUMB_STRICT_CONFIG)',
    )
    .action(async (options: Record<string, string | boolean | undefined>) => {
      const config = loadConfigOrReport({
        backendStoreUri: options.backendStoreUri as string | undefined,
        defaultArtifactRoot: options.defaultArtifactRoot as string | undefined,
        artifactsDestination: options.artifactsDestination as string | undefined,
        serveArtifacts: options.serveArtifacts as boolean | undefined,
        host: options.host as string | undefined,
        port: options.port as string | undefined,
        strictConfig: options.strictConfig as boolean | undefined,
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
