import { createHash } from 'node:crypto';
import { type Readable, Transform } from 'node:stream';
import type { ArtifactRepository, FileInfo } from '../artifacts/artifact-repository.ts';
import { ARTIFACT_ROOT, type ArtifactPath } from '../core/artifact-path.ts';
import type { Clock } from '../core/clock.ts';
import type { ArtifactManifestStore } from '../store/artifact-manifest-store.ts';

/**
 * Copies an MLflow artifact tree into Plumb's artifact store under the same relative paths
 * (`mlflow-artifacts:/<path>` is `<root>/<path>` on both sides, so every imported artifact URI
 * keeps resolving), recording each file in the manifest with its size and sha256 as an upload
 * would. Resumable: a file whose manifest entry still describes the stored object is skipped.
 */
export interface ArtifactCopyDeps {
  readonly source: ArtifactRepository;
  readonly destination: ArtifactRepository;
  readonly manifest: ArtifactManifestStore;
  readonly clock: Clock;
}

export interface ArtifactCopyResult {
  readonly files: number;
  readonly bytes: number;
  readonly copied: number;
  /** Already stored and recorded (an earlier run of the import, or the same directory on both sides). */
  readonly present: number;
}

/** `<experiment id>/<run id>/artifacts/…`: run artifacts, as Plumb's artifact service recognises them. */
const RUN_ARTIFACT_PATH = /^\d+\/([0-9a-f]{32})\/artifacts(?:\/|$)/;

/** Every file below the root, depth first, in path order. */
export async function* walkFiles(
  repository: ArtifactRepository,
  path: ArtifactPath = ARTIFACT_ROOT,
): AsyncGenerator<FileInfo> {
  let pageToken: string | undefined;
  do {
    const page = await repository.list(path, { pageToken });
    for (const entry of page.files) {
      if (entry.isDir) yield* walkFiles(repository, entry.path);
      else yield entry;
    }
    pageToken = page.nextPageToken;
  } while (pageToken);
}

class Hashing extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  override _transform(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null, data?: Buffer) => void,
  ) {
    this.size += chunk.length;
    this.hash.update(chunk);
    callback(null, chunk);
  }
}

async function sha256Of(body: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of body) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function copyArtifacts(
  deps: ArtifactCopyDeps,
  options: { readonly dryRun: boolean; readonly onFile?: (done: number) => void },
): Promise<ArtifactCopyResult> {
  let files = 0;
  let bytes = 0;
  let copied = 0;
  let present = 0;
  for await (const file of walkFiles(deps.source)) {
    files++;
    bytes += file.size ?? 0;
    if (await isPresent(deps, file, options.dryRun)) present++;
    else {
      if (!options.dryRun) await copyOne(deps, file.path);
      copied++;
    }
    options.onFile?.(files);
  }
  return { files, bytes, copied, present };
}

/**
 * Present: the manifest describes the object now stored (same size and etag) and the source file
 * has that size. An object of the right size with no manifest entry (the destination is the MLflow
 * directory itself, or a copy made by hand) is recorded once its content is found equal.
 */
async function isPresent(deps: ArtifactCopyDeps, file: FileInfo, dryRun: boolean): Promise<boolean> {
  const stored = await deps.destination.stat(file.path);
  if (!stored || stored.size !== file.size) return false;
  const entry = await deps.manifest.get(file.path);
  if (entry) return entry.size === stored.size && entry.etag === stored.etag;
  const sourceSha = await sha256Of((await deps.source.get(file.path)).body);
  const { body, info } = await deps.destination.get(file.path);
  if ((await sha256Of(body)) !== sourceSha) return false;
  if (!dryRun) await record(deps, file.path, info.size, sourceSha, info.etag);
  return true;
}

async function copyOne(deps: ArtifactCopyDeps, path: ArtifactPath): Promise<void> {
  const { body, info: sourceInfo } = await deps.source.get(path);
  const hashing = new Hashing();
  body.on('error', (error) => hashing.destroy(error));
  const stored = await deps.destination.put(path, body.pipe(hashing), { contentLength: sourceInfo.size });
  await record(deps, path, stored.size, hashing.hash.digest('hex'), stored.etag);
}

function record(deps: ArtifactCopyDeps, path: ArtifactPath, size: number, sha256: string, etag: string) {
  const runId = RUN_ARTIFACT_PATH.exec(path)?.[1];
  return deps.manifest.record({ path, runId, size, sha256, etag, recordedAt: deps.clock.now() });
}

/** Files of the source whose manifest entry in Plumb has the source's size: the verification's count. */
export async function countRecordedFiles(
  deps: Pick<ArtifactCopyDeps, 'source' | 'manifest'>,
): Promise<{ source: number; recorded: number }> {
  let source = 0;
  let recorded = 0;
  for await (const file of walkFiles(deps.source)) {
    source++;
    const entry = await deps.manifest.get(file.path);
    if (entry && entry.size === file.size) recorded++;
  }
  return { source, recorded };
}
