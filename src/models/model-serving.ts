import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PlumbClient } from '../client/index.ts';
import { MlflowError } from '../core/errors.ts';
import { type FlavorPlugin, toPredictor } from './flavor-plugin.ts';
import { type MlModel, parseMlModel } from './mlmodel.ts';
import { ModelResolver, parseModelUri, type ResolvedModel } from './model-uri.ts';
import { onnxFlavor } from './onnx-flavor.ts';
import { ScoringServer, type ServedModel } from './scoring-server.ts';

export async function readMlModel(dir: string): Promise<MlModel> {
  let text: string;
  try {
    text = await readFile(join(dir, 'MLmodel'), 'utf8');
  } catch {
    throw MlflowError.invalidParameter(`No MLmodel file in '${dir}': not an MLflow model directory`);
  }
  return parseMlModel(text);
}

/** Loads a model directory with the first flavor it declares that a plugin (first) or a built-in handles. */
export async function loadModel(dir: string, plugins: readonly FlavorPlugin[], label: string): Promise<ServedModel> {
  const mlmodel = await readMlModel(dir);
  const handlers = [...plugins, onnxFlavor];
  const flavors = Object.keys(mlmodel.flavors);
  const handler = handlers.find((h) => flavors.includes(h.flavor));
  if (!handler) {
    const known = [...new Set(handlers.map((h) => h.flavor))].join(', ');
    throw MlflowError.invalidParameter(
      `No loader for this model's flavors (${flavors.join(', ') || 'none'}). Plumb serves: ${known}. ` +
        'Pass --flavor-plugin <module> for another flavor (docs/models.md, "Flavor plugins").',
    );
  }
  const predictor = toPredictor(handler.flavor, await handler.load(dir, mlmodel));
  return { mlmodel, predictor, label };
}

export interface ServeOptions {
  readonly uri: string;
  readonly port: number;
  readonly host?: string;
  readonly plugins?: readonly FlavorPlugin[];
  /** Where models:/ and runs:/ downloads go. */
  readonly cacheDir: string;
  /** With a models:/name@alias URI: check the alias every `pollMs` and switch when it moves. */
  readonly followAlias?: boolean;
  readonly pollMs?: number;
  readonly client?: PlumbClient;
  /** Serve files the artifact manifest cannot vouch for (refused by default). */
  readonly allowUnverified?: boolean;
  readonly log?: (line: string) => void;
}

export interface RunningServer {
  readonly url: string;
  readonly server: ScoringServer;
  /** The version being served (models:/ URIs), updated when a followed alias moves. */
  version(): string | undefined;
  close(): Promise<void>;
}

const describe = (resolved: ResolvedModel) =>
  `${resolved.verifiedFiles} file(s) verified against the artifact manifest` +
  (resolved.unverifiedFiles.length > 0 ? `, not in the manifest: ${resolved.unverifiedFiles.join(', ')}` : '');

/**
 * Resolves, downloads, loads and serves a model. Following an alias: a new version is downloaded
 * and loaded beside the old one and swapped in only once it loads, so no request fails during the
 * switch; a version that fails to load is logged and the old one keeps serving.
 */
export async function serveModel(options: ServeOptions): Promise<RunningServer> {
  const log = options.log ?? (() => undefined);
  const uri = parseModelUri(options.uri);
  if (options.followAlias && uri.kind !== 'alias') {
    throw MlflowError.invalidParameter('--follow-alias needs a models:/<name>@<alias> URI');
  }
  const resolver = new ModelResolver({
    cacheDir: options.cacheDir,
    ...(options.client && { client: options.client }),
    ...(options.allowUnverified && { allowUnverified: true }),
  });
  const plugins = options.plugins ?? [];
  const resolved = await resolver.resolve(uri);
  if (uri.kind !== 'local') log(`downloaded ${options.uri} to ${resolved.dir}: ${describe(resolved)}`);
  let version = resolved.version;
  const server = new ScoringServer(log);
  await server.swap(await loadModel(resolved.dir, plugins, `${options.uri}${version ? ` (version ${version})` : ''}`));
  const url = await server.listen(options.port, options.host);
  log(`serving ${options.uri}${version ? ` (version ${version})` : ''} at ${url}`);

  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> = Promise.resolve();
  let closed = false;
  if (options.followAlias && uri.kind === 'alias') {
    const poll = async () => {
      try {
        const now = await resolver.aliasVersion(uri.name, uri.alias);
        if (now === version || closed) return;
        const next = await resolver.resolveVersion(uri.name, now);
        const model = await loadModel(next.dir, plugins, `${options.uri} (version ${now})`);
        if (closed) {
          await model.predictor.close();
          return;
        }
        await server.swap(model);
        log(`alias ${uri.alias} moved from version ${version} to ${now}: now serving ${now} (${describe(next)})`);
        version = now;
      } catch (error) {
        log(`following ${options.uri}: ${(error as Error).message}; still serving version ${version}`);
      }
    };
    const schedule = () => {
      timer = setTimeout(() => {
        polling = poll().finally(() => {
          if (!closed) schedule();
        });
      }, options.pollMs ?? 5_000);
    };
    schedule();
  }
  return {
    url,
    server,
    version: () => version,
    async close() {
      closed = true;
      clearTimeout(timer);
      await polling;
      await server.close();
    },
  };
}
