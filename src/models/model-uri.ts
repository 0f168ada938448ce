import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PlumbClient } from '../client/index.ts';
import { MlflowError } from '../core/errors.ts';

/** The model URIs `plumb models` accepts, as MLflow spells them. */
export type ModelUri =
  | { readonly kind: 'alias'; readonly name: string; readonly alias: string }
  | { readonly kind: 'version'; readonly name: string; readonly version: string }
  /** `models:/<name>/latest` or `models:/<name>/<stage>`: the newest version (in that stage). */
  | { readonly kind: 'latest'; readonly name: string; readonly stage?: string }
  | { readonly kind: 'run'; readonly runId: string; readonly path: string }
  | { readonly kind: 'local'; readonly dir: string };

export function parseModelUri(uri: string, cwd: string = process.cwd()): ModelUri {
  if (uri.startsWith('models:/')) {
    const rest = uri.slice('models:/'.length).replace(/\/+$/, '');
    const at = rest.lastIndexOf('@');
    if (at > 0 && !rest.slice(at).includes('/'))
      return { kind: 'alias', name: rest.slice(0, at), alias: rest.slice(at + 1) };
    const slash = rest.lastIndexOf('/');
    const version = rest.slice(slash + 1);
    if (slash > 0 && /^\d+$/.test(version)) return { kind: 'version', name: rest.slice(0, slash), version };
    if (slash > 0 && version.toLowerCase() === 'latest') return { kind: 'latest', name: rest.slice(0, slash) };
    if (slash > 0 && /^[A-Za-z]+$/.test(version)) return { kind: 'latest', name: rest.slice(0, slash), stage: version };
    throw MlflowError.invalidParameter(
      `Not a model URI: '${uri}'. Use models:/<name>/<version>, models:/<name>/latest, models:/<name>/<stage> or models:/<name>@<alias>`,
    );
  }
  if (uri.startsWith('runs:/')) {
    const match = /^runs:\/+([^/]+)\/?(.*)$/.exec(uri);
    if (!match || match[1] === '')
      throw MlflowError.invalidParameter(`Not a run URI: '${uri}'. Use runs:/<run_id>/<path>`);
    return { kind: 'run', runId: match[1]!, path: match[2]!.replace(/\/+$/, '') };
  }
  const dir = uri.startsWith('file:') ? fileURLToPath(uri) : resolve(cwd, uri);
  return { kind: 'local', dir };
}

export interface ResolvedModel {
  /** The local directory holding MLmodel. */
  readonly dir: string;
  /** The registered version served, for models:/ URIs. */
  readonly version?: string;
  /** Files whose sha256 matched the server's artifact manifest, and files the manifest does not list. */
  readonly verifiedFiles: number;
  readonly unverifiedFiles: readonly string[];
}

/**
 * Turns a model URI into a local directory: models:/ and runs:/ resolve through the Plumb server
 * (tracking URI from MLFLOW_TRACKING_URI unless a client is given) and download into `cacheDir`,
 * each file checked against the sha256 the server's artifact manifest recorded (a mismatch throws
 * ArtifactIntegrityError and leaves no file behind; a file with no current record is refused
 * unless allowUnverified).
 */
export class ModelResolver {
  constructor(
    private readonly deps: {
      readonly cacheDir: string;
      readonly client?: PlumbClient;
      /** Accept files the manifest has no current record of (refused by default). */
      readonly allowUnverified?: boolean;
    },
  ) {}

  private clientOf(): PlumbClient {
    return this.deps.client ?? new PlumbClient();
  }

  /** The version an alias points at now. */
  async aliasVersion(name: string, alias: string): Promise<string> {
    return (await this.clientOf().registry.getModelVersionByAlias(name, alias)).version;
  }

  async resolve(uri: ModelUri): Promise<ResolvedModel> {
    switch (uri.kind) {
      case 'local':
        if (!existsSync(join(uri.dir, 'MLmodel'))) {
          throw MlflowError.invalidParameter(`No MLmodel file in '${uri.dir}': not an MLflow model directory`);
        }
        return { dir: uri.dir, verifiedFiles: 0, unverifiedFiles: [] };
      case 'alias':
        return this.resolveVersion(uri.name, await this.aliasVersion(uri.name, uri.alias));
      case 'version':
        return this.resolveVersion(uri.name, uri.version);
      case 'latest':
        return this.resolveVersion(uri.name, await this.latestVersion(uri.name, uri.stage));
      case 'run': {
        const dir = join(this.deps.cacheDir, 'runs', uri.runId, uri.path || 'root');
        return { dir, ...(await this.download(await this.runLocation(uri.runId, uri.path), dir)) };
      }
      default: {
        const unreachable: never = uri;
        throw MlflowError.invalidParameter(`unknown model URI ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** The highest version of a model, or of its versions in `stage` (compared case-insensitively, as MLflow does). */
  private async latestVersion(name: string, stage: string | undefined): Promise<string> {
    const model = await this.clientOf().registry.getRegisteredModel(name);
    const candidates = (model.latest_versions ?? []).filter(
      (v) => stage === undefined || (v.current_stage ?? 'None').toLowerCase() === stage.toLowerCase(),
    );
    const newest = candidates.reduce<string | undefined>(
      (best, v) => (best === undefined || Number(v.version) > Number(best) ? v.version : best),
      undefined,
    );
    if (newest === undefined) {
      throw MlflowError.invalidParameter(
        `Registered model '${name}' has no version${stage ? ` in stage '${stage}'` : ''}`,
      );
    }
    return newest;
  }

  async resolveVersion(name: string, version: string): Promise<ResolvedModel> {
    const location = await this.clientOf().registry.getModelVersionDownloadUri(name, version);
    const dir = join(this.deps.cacheDir, 'models', encodeURIComponent(name), version);
    return { dir, version, ...(await this.download(await this.proxyPath(location), dir)) };
  }

  private async runLocation(runId: string, path: string): Promise<string> {
    const run = await this.clientOf().tracking.getRun(runId);
    const root = await this.proxyPath(run.info.artifact_uri ?? '');
    return path === '' ? root : `${root}/${path}`;
  }

  /** A stored location as a path under the server's artifact proxy. */
  private async proxyPath(location: string): Promise<string> {
    if (location.startsWith('runs:/')) {
      const run = parseModelUri(location);
      if (run.kind === 'run') return this.runLocation(run.runId, run.path);
    }
    if (location.startsWith('mlflow-artifacts:')) {
      return new URL(location).pathname.replace(/^\/+|\/+$/g, '');
    }
    throw MlflowError.invalidParameter(
      `The model's artifacts are at '${location}', which is not served by the Plumb server's artifact proxy (mlflow-artifacts:/)`,
    );
  }

  /** Downloads every file under `path`; a complete earlier download of the same version is reused. */
  private async download(
    path: string,
    dir: string,
  ): Promise<{ verifiedFiles: number; unverifiedFiles: readonly string[] }> {
    const client = this.clientOf();
    const files = await this.listFiles(client, path, '');
    if (!files.includes('MLmodel')) {
      throw MlflowError.invalidParameter(`No MLmodel file under '${path}': not an MLflow model`);
    }
    let verifiedFiles = 0;
    const unverifiedFiles: string[] = [];
    for (const file of files) {
      const local = join(dir, file);
      await mkdir(dirname(local), { recursive: true });
      const result = await client.artifacts.download(`${path}/${file}`, local);
      if (result.verified) verifiedFiles++;
      else unverifiedFiles.push(file);
    }
    if (unverifiedFiles.length > 0 && !this.deps.allowUnverified) {
      await rm(dir, { recursive: true, force: true });
      throw new MlflowError(
        'DATA_LOSS',
        `The server's artifact manifest has no current sha256 for ${unverifiedFiles.join(', ')} under '${path}' ` +
          '(never recorded, or the stored bytes changed after upload): refusing to serve files that cannot be verified. ' +
          'Check them with `plumb doctor`; --allow-unverified serves them anyway.',
      );
    }
    return { verifiedFiles, unverifiedFiles };
  }

  private async listFiles(client: PlumbClient, root: string, prefix: string): Promise<string[]> {
    const entries = await client.artifacts.list(prefix === '' ? root : `${root}/${prefix}`);
    const files: string[] = [];
    for (const entry of entries) {
      const name = entry.path.split('/').at(-1)!;
      const relative = prefix === '' ? name : `${prefix}/${name}`;
      if (entry.is_dir) files.push(...(await this.listFiles(client, root, relative)));
      else files.push(relative);
    }
    return files;
  }
}
