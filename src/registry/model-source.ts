import { posix } from 'node:path';
import { MlflowError } from '../core/errors.ts';
import { decodeUntilStable, percentDecode } from '../core/registry-validation.ts';
import type { RunInfo } from '../core/entities.ts';
import { type LoggedModel, loggedModelNotFound } from '../core/logged-model.ts';

/**
 * Where a model version's artifacts may come from (MLflow's `_validate_source_run` /
 * `_validate_source_model`, the CVE fixes for model-version sources). A local path is accepted only
 * inside the local artifact directory of the run named by `run_id`; any other URI must hold an
 * absolute, normalised path with no `..` even after repeated percent-decoding, so that a source can
 * never make the server read outside an artifact root.
 */

/** The parts of a URI that Python's urlsplit gives and these checks use. */
export interface UriParts {
  readonly scheme: string;
  readonly netloc: string;
  readonly path: string;
}

export function splitUri(uri: string): UriParts {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri);
  const scheme = match ? match[1]!.toLowerCase() : '';
  let rest = match ? uri.slice(match[0].length) : uri;
  let netloc = '';
  if (rest.startsWith('//')) {
    const end = rest.slice(2).search(/[/?#]/);
    netloc = end < 0 ? rest.slice(2) : rest.slice(2, 2 + end);
    rest = end < 0 ? '' : rest.slice(2 + end);
  }
  const cut = rest.search(/[?#]/);
  return { scheme, netloc, path: cut < 0 ? rest : rest.slice(0, cut) };
}

function hostname(netloc: string): string {
  const host = netloc.slice(netloc.lastIndexOf('@') + 1);
  return (host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!).toLowerCase();
}

const isLocalHost = (host: string) =>
  host === '' || host === 'localhost' || host === '127.0.0.1' || host.startsWith('127.');

/** MLflow's is_local_uri: no scheme, or `file:` on this host. `file:` naming another host is an error. */
export function isLocalUri(uri: string): boolean {
  const { scheme, netloc } = splitUri(uri);
  if (scheme === '') return true;
  const host = hostname(netloc);
  if (scheme === 'file') {
    if (!isLocalHost(host)) {
      throw MlflowError.invalidParameter(
        `${uri} is not a valid remote uri. For remote access on windows, please consider using a different scheme such as SMB (e.g. smb://<hostname>/<path>).`,
      );
    }
    return true;
  }
  return false;
}

/** A local URI or path as an absolute, normalised path on this machine. */
function localPath(uri: string): string {
  const path = splitUri(uri).scheme === 'file' ? percentDecode(splitUri(uri).path, false) : uri;
  return posix.resolve(path);
}

const invalidRelative = (source: string) =>
  MlflowError.invalidParameter(
    `Invalid model version source: '${source}'. If supplying a source as an http, https, local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be provided without relative path references present. Please provide an absolute path.`,
  );

/** `_validate_non_local_source_contains_relative_paths`, without resolving symlinks of this machine's disk. */
export function checkNoRelativePaths(source: string): void {
  const decoded = decodeUntilStable(source, true);
  const path = splitUri(decoded).path.replace(/\/+$/, '').replace(/\/+/g, '/');
  if (path.includes('\0') || decoded.split('/').includes('..')) throw invalidRelative(source);
  if (posix.resolve('/', path) !== path || !path.startsWith('/')) throw invalidRelative(source);
}

export interface SourceCheck {
  readonly source: string;
  readonly runId: string;
  readonly modelId: string;
  /** Prompt versions keep their text in tags and have no artifacts: MLflow does not check their source. */
  readonly isPrompt: boolean;
}

export interface SourceLookups {
  readonly getRunInfo: (runId: string) => Promise<RunInfo | undefined>;
  readonly getLoggedModel: (modelId: string) => Promise<LoggedModel | undefined>;
}

/** As MLflow: with a `model_id` the source is checked against that logged model, else against the run. */
export async function validateModelVersionSource(check: SourceCheck, lookups: SourceLookups): Promise<void> {
  if (check.isPrompt) return;
  const { source } = check;
  if (check.modelId) {
    const model = await lookups.getLoggedModel(check.modelId);
    if (!model) throw loggedModelNotFound(check.modelId);
    if (!isLocalUri(source)) return checkNoRelativePaths(source);
    if (isLocalUri(model.artifactLocation) && isInside(source, model.artifactLocation)) return;
    throw MlflowError.invalidParameter(
      `Invalid model version source: '${source}'. To use a local path as a model version source, the model_id request parameter has to be specified and the local path has to be contained within the artifact directory of the run specified by the model_id.`,
    );
  }
  if (isLocalUri(source)) {
    if (check.runId && (await isInsideRunArtifacts(source, check.runId, lookups.getRunInfo))) return;
    throw MlflowError.invalidParameter(
      `Invalid model version source: '${source}'. To use a local path as a model version source, the run_id request parameter has to be specified and the local path has to be contained within the artifact directory of the run specified by the run_id.`,
    );
  }
  checkNoRelativePaths(source);
}

async function isInsideRunArtifacts(
  source: string,
  runId: string,
  getRunInfo: (runId: string) => Promise<RunInfo | undefined>,
): Promise<boolean> {
  const run = await getRunInfo(runId);
  if (!run) throw MlflowError.notFound(`Run with id=${runId} not found`);
  return isLocalUri(run.artifactUri) && isInside(source, run.artifactUri);
}

function isInside(source: string, rootUri: string): boolean {
  const root = localPath(rootUri);
  const path = localPath(source);
  return path === root || path.startsWith(`${root}/`);
}

/** A `models:/` source, which names another registered version (or a logged model) to copy the location of. */
export type ModelsUri =
  | { readonly kind: 'version'; readonly name: string; readonly version: number }
  | { readonly kind: 'latest'; readonly name: string }
  | { readonly kind: 'stage'; readonly name: string; readonly stage: string }
  | { readonly kind: 'alias'; readonly name: string; readonly alias: string }
  | { readonly kind: 'logged-model'; readonly modelId: string };

/** MLflow's `_parse_model_uri`; undefined for sources of any other scheme. */
export function parseModelsUri(source: string): ModelsUri | undefined {
  const { scheme, path } = splitUri(source);
  if (scheme !== 'models') return undefined;
  const bad = () =>
    MlflowError.invalidParameter(
      `Not a proper models:/ URI: ${source}. Models URIs must be of the form 'models:/model_name/suffix' or 'models:/model_name@alias' where suffix is a model version, stage, or the string 'latest' and where alias is a registered model alias. Only one of suffix or alias can be defined at a time.`,
    );
  if (!path.startsWith('/')) throw bad();
  const body = path.slice(1);
  const slash = body.lastIndexOf('/');
  if (slash >= 0) {
    const [name, suffix] = [body.slice(0, slash), body.slice(slash + 1)];
    if (name === '' || suffix === '' || name.includes('@')) throw bad();
    if (suffix.toLowerCase() === 'latest') return { kind: 'latest', name };
    if (/^\d+$/.test(suffix)) return { kind: 'version', name, version: Number(suffix) };
    return { kind: 'stage', name, stage: suffix };
  }
  const at = body.indexOf('@');
  if (at >= 0) {
    const [name, alias] = [body.slice(0, at), body.slice(at + 1)];
    if (name === '' || alias === '' || alias.includes('@')) throw bad();
    return { kind: 'alias', name, alias };
  }
  if (body === '') throw bad();
  return { kind: 'logged-model', modelId: body };
}
