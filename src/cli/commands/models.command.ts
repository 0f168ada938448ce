import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { MlflowApiError } from '../../client/index.ts';
import { MlflowError } from '../../core/errors.ts';
import { type FlavorPlugin, loadFlavorPlugin } from '../../models/flavor-plugin.ts';
import { formatInspection, listModelFiles } from '../../models/inspect.ts';
import { readMlModel, serveModel } from '../../models/model-serving.ts';
import { ModelResolver, parseModelUri } from '../../models/model-uri.ts';

const HELP_SERVE = `
Serves an MLflow model with MLflow's scoring protocol: POST /invocations (dataframe_split,
dataframe_records, instances, inputs, optional params; or text/csv), GET /ping, /health, /version.
models:/ and runs:/ URIs resolve through the Plumb server named by MLFLOW_TRACKING_URI; every file
is checked against the server's artifact manifest. ONNX models need onnxruntime-node; other flavors
load through --flavor-plugin modules (docs/models.md).

Examples:
  MLFLOW_TRACKING_URI=http://127.0.0.1:5000 plumb models serve -m models:/pricing@champion --port 8080 --follow-alias
  plumb models serve -m ./model --flavor-plugin ./examples/flavor-plugins/json-linear.js
`;

interface ServeOptions {
  readonly modelUri: string;
  readonly port: string;
  readonly host: string;
  readonly flavorPlugin: string[];
  readonly followAlias?: boolean;
  readonly pollInterval: string;
  readonly cacheDir?: string;
  readonly allowUnverified?: boolean;
}

const defaultCache = () => join(tmpdir(), 'plumb-models');

function fail(error: unknown): void {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = isUsageError(error) ? 2 : 1;
}

export function register(program: Command): void {
  const models = program.command('models').description('Inspect and serve MLflow models');

  models
    .command('inspect')
    .description("Print a model's flavors, signature, requirement files and files (models:/…, runs:/… or a path)")
    .argument('<model-uri>', 'models:/<name>/<version>, models:/<name>@<alias>, runs:/<run_id>/<path> or a directory')
    .option('--json', 'print the parsed MLmodel and the file list as JSON')
    .option('--cache-dir <dir>', 'where remote models are downloaded', defaultCache())
    .action(async (uri: string, options: { json?: boolean; cacheDir: string }) => {
      try {
        const resolved = await new ModelResolver({ cacheDir: options.cacheDir }).resolve(parseModelUri(uri));
        const mlmodel = await readMlModel(resolved.dir);
        const files = await listModelFiles(resolved.dir);
        if (options.json) console.log(JSON.stringify({ uri, version: resolved.version, mlmodel, files }, null, 2));
        else console.log(formatInspection(uri, mlmodel, files));
      } catch (error) {
        fail(error);
      }
    });

  models
    .command('serve')
    .description("Serve a model over MLflow's scoring protocol")
    .requiredOption('-m, --model-uri <uri>', 'models:/<name>@<alias>, models:/<name>/<version>, runs:/… or a path')
    .option('-p, --port <port>', 'port to listen on', '5001')
    .option('-h, --host <host>', 'address to bind', '127.0.0.1')
    .option(
      '--flavor-plugin <module>',
      'a module exporting flavor and load(modelDir, mlmodel) (repeatable)',
      (value: string, all: string[]) => [...all, value],
      [] as string[],
    )
    .option('--follow-alias', 'with models:/<name>@<alias>: switch to the new version when the alias moves')
    .option('--poll-interval <ms>', 'how often --follow-alias checks the alias', '5000')
    .option('--cache-dir <dir>', 'where remote models are downloaded', defaultCache())
    .option('--allow-unverified', 'serve files the artifact manifest has no current sha256 for')
    .addHelpText('after', HELP_SERVE)
    .action(async (options: ServeOptions) => {
      try {
        const plugins: FlavorPlugin[] = [];
        for (const specifier of options.flavorPlugin) plugins.push(await loadFlavorPlugin(specifier));
        const port = Number(options.port);
        const pollMs = Number(options.pollInterval);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw MlflowError.invalidParameter('--port must be 0-65535');
        if (!Number.isFinite(pollMs) || pollMs < 100)
          throw MlflowError.invalidParameter('--poll-interval must be ≥ 100 ms');
        const running = await serveModel({
          uri: options.modelUri,
          port,
          host: options.host,
          plugins,
          cacheDir: options.cacheDir ?? defaultCache(),
          followAlias: options.followAlias ?? false,
          pollMs,
          allowUnverified: options.allowUnverified ?? false,
          log: (line) => console.error(`[plumb models serve] ${line}`),
        });
        const stop = () => {
          void running.close().then(() => process.exit(0));
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      } catch (error) {
        fail(error);
      }
    });
}

/** A refusal of what the user asked (bad option, unknown model, invalid project): exit code 2. */
function isUsageError(error: unknown): boolean {
  if (error instanceof MlflowError) return error.httpStatus < 500;
  return error instanceof MlflowApiError && error.status < 500;
}
