import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ArtifactRepository, CompletedPart, FileInfo } from '../artifacts/artifact-repository.ts';
import { type ArtifactPath, parseArtifactPath } from '../core/artifact-path.ts';
import type { Clock } from '../core/clock.ts';
import type { RunInfo } from '../core/entities.ts';
import { MlflowError } from '../core/errors.ts';
import type { ArtifactManifestStore, ManifestEntry } from '../store/artifact-manifest-store.ts';
import type { TrackingStore } from '../store/store.ts';
import { runArtifactPathOf, runIdOfArtifactPath } from './artifact-locations.ts';
import { digestOf } from './digesting-stream.ts';

export interface ArtifactServiceDeps {
  readonly repository: ArtifactRepository;
  readonly manifest: ArtifactManifestStore;
  readonly tracking: TrackingStore;
  readonly clock: Clock;
  readonly allowOverwriteFinishedRuns: boolean;
  /** The store's own URI (e.g. `s3://bucket/prefix`): run artifact URIs under it are served too. */
  readonly destinationUri: string;
  /** Set when writes land in a hot tier: entries record it (and the node holding it, unless shared). */
  readonly hotTier?: { readonly node?: string | undefined } | undefined;
}

const TERMINAL = new Set(['FINISHED', 'FAILED', 'KILLED']);

/**
 * The proxied artifact service: every completed upload is recorded in the manifest with its size
 * and sha256; finished runs' artifacts are immutable unless the operator opted out; downloads can
 * be verified against the manifest.
 */
export class ArtifactService {
  constructor(private readonly deps: ArtifactServiceDeps) {}

  get supportsMultipart(): boolean {
    return this.deps.repository.capabilities.multipartUpload;
  }

  async upload(
    path: ArtifactPath,
    body: Readable,
    options: { contentLength?: number; signal?: AbortSignal } = {},
  ): Promise<ManifestEntry> {
    const { runId, createOnly } = await this.checkWritable(path);
    const digesting = digestOf(body, options.contentLength);
    const info = await this.deps.repository.put(path, digesting, { ...options, ifAbsent: createOnly });
    return this.record(path, runId, info.size, digesting.hash.digest('hex'), info.etag);
  }

  async download(
    path: ArtifactPath,
    options: { verify?: boolean } = {},
  ): Promise<{ body: Readable; size: number; entry?: ManifestEntry | undefined }> {
    const entry = await this.deps.manifest.get(path);
    if (options.verify) await this.verify(path, entry);
    const { body, info } = await this.deps.repository.get(path);
    // A manifest entry describes this object only if the storage still holds that same version.
    const current = entry && entry.etag === info.etag && entry.size === info.size ? entry : undefined;
    return { body, size: info.size, entry: current };
  }

  /** Reads the object once and compares it with the manifest; a mismatch is DATA_LOSS, not silent data. */
  private async verify(path: ArtifactPath, entry: ManifestEntry | undefined): Promise<void> {
    if (!entry) {
      throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Artifact '${path}' has no manifest record to verify against`);
    }
    const { body } = await this.deps.repository.get(path);
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of body) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    const sha256 = hash.digest('hex');
    if (size !== entry.size || sha256 !== entry.sha256) {
      throw new MlflowError(
        'DATA_LOSS',
        `Artifact '${path}' does not match its manifest record: stored ${size} bytes with sha256 ${sha256}, recorded ${entry.size} bytes with sha256 ${entry.sha256}`,
      );
    }
  }

  /** Every immediate child of `path`; a file or a missing path has none. */
  async list(path: ArtifactPath): Promise<FileInfo[]> {
    const files: FileInfo[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.deps.repository.list(path, { pageToken });
      files.push(...page.files);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return files;
  }

  async delete(path: ArtifactPath): Promise<void> {
    // A finished run's existing artifacts (a file, or anything under a directory) are refused here.
    await this.checkWritable(path);
    await this.deps.repository.delete(path);
    await this.deps.manifest.deleteUnder(path);
  }

  async createMultipartUpload(path: ArtifactPath): Promise<string> {
    this.requireMultipart();
    await this.checkWritable(path);
    return this.deps.repository.createMultipartUpload(path);
  }

  async uploadPart(
    path: ArtifactPath,
    uploadId: string,
    partNumber: number,
    body: Readable,
    options: { contentLength?: number; signal?: AbortSignal } = {},
  ): Promise<string> {
    this.requireMultipart();
    return this.deps.repository.uploadPart(path, uploadId, partNumber, digestOf(body, options.contentLength), options);
  }

  async completeMultipartUpload(
    path: ArtifactPath,
    uploadId: string,
    parts: readonly CompletedPart[],
  ): Promise<ManifestEntry> {
    this.requireMultipart();
    const { runId, createOnly } = await this.checkWritable(path);
    const info = await this.deps.repository.completeMultipartUpload(path, uploadId, parts, { ifAbsent: createOnly });
    // Parts may arrive in any order and in parallel: the object's digest is only known once whole.
    const { body } = await this.deps.repository.get(path);
    const hash = createHash('sha256');
    for await (const chunk of body) hash.update(chunk as Buffer);
    return this.record(path, runId, info.size, hash.digest('hex'), info.etag);
  }

  async abortMultipartUpload(path: ArtifactPath, uploadId: string): Promise<void> {
    this.requireMultipart();
    await this.deps.repository.abortMultipartUpload(path, uploadId);
  }

  /**
   * The tracking API's artifacts/list: entries relative to the run's artifact root. Only runs
   * whose artifact URI this server stores can be listed: the server never reads an arbitrary URI.
   */
  async listRunArtifacts(
    runId: string,
    path: string | undefined,
  ): Promise<{ rootUri: string; files: { path: string; isDir: boolean; size?: number | undefined }[] }> {
    const info = await this.requireRun(runId);
    const root = this.requireServedRoot(info);
    const relative = path ? parseArtifactPath(path) : undefined;
    const listed = await this.list(relative ? parseArtifactPath(`${root}/${relative}`) : root);
    const files = listed.map((f) => ({ path: f.path.slice(root.length + 1), isDir: f.isDir, size: f.size }));
    return { rootUri: info.artifactUri, files };
  }

  /**
   * A file below an artifact URI this server stores (a model version's storage location, say);
   * any other URI is refused rather than read.
   */
  async downloadUnder(uri: string, path: string): Promise<Awaited<ReturnType<ArtifactService['download']>>> {
    const root = runArtifactPathOf(uri, this.deps.destinationUri);
    if (root === undefined) {
      throw MlflowError.invalidParameter(`'${uri}' is not stored by this server; read it from that location directly.`);
    }
    return this.download(parseArtifactPath(`${root}/${parseArtifactPath(path)}`));
  }

  /**
   * The entries of a directory below an artifact URI this server stores (a logged model's
   * location), relative to that URI; any other URI is refused rather than read.
   */
  async listUnder(
    uri: string,
    path: string | undefined,
  ): Promise<{ path: string; isDir: boolean; size?: number | undefined }[]> {
    const root = runArtifactPathOf(uri, this.deps.destinationUri);
    if (root === undefined) {
      throw MlflowError.invalidParameter(`'${uri}' is not stored by this server; read it from that location directly.`);
    }
    const listed = await this.list(path ? parseArtifactPath(`${root}/${parseArtifactPath(path)}`) : root);
    return listed.map((f) => ({ path: f.path.slice(root.length + 1), isDir: f.isDir, size: f.size }));
  }

  /** Where a run's artifacts live in this server's store; refused when elsewhere. */
  async runRoot(runId: string): Promise<ArtifactPath> {
    return this.requireServedRoot(await this.requireRun(runId));
  }

  private async requireRun(runId: string): Promise<RunInfo> {
    const info = await this.deps.tracking.getRunInfo(runId);
    if (!info) throw MlflowError.notFound(`Run with id=${runId} not found`);
    return info;
  }

  private requireServedRoot(info: RunInfo): ArtifactPath {
    const root = runArtifactPathOf(info.artifactUri, this.deps.destinationUri);
    if (root === undefined) {
      throw MlflowError.invalidParameter(
        `The artifacts of run ${info.runId} are at '${info.artifactUri}', which this server does not store; read them from that location directly.`,
      );
    }
    return root;
  }

  private requireMultipart(): void {
    if (!this.supportsMultipart) {
      throw new MlflowError('NOT_IMPLEMENTED', 'This artifact store does not support multipart uploads');
    }
  }

  /**
   * Returns the run the path belongs to, and whether the write must only create (the run is
   * finished): an existing artifact of a finished run is refused here already, and the storage
   * enforces create-only atomically, so two racing first uploads cannot both land.
   */
  private async checkWritable(path: ArtifactPath): Promise<{ runId?: string; createOnly: boolean }> {
    const runId = runIdOfArtifactPath(path);
    if (runId === undefined || this.deps.allowOverwriteFinishedRuns) return { runId, createOnly: false };
    const info = await this.deps.tracking.getRunInfo(runId);
    if (!info || !TERMINAL.has(info.status)) return { runId, createOnly: false };
    const existing =
      (await this.deps.repository.stat(path)) ?? (await this.deps.manifest.listUnder(path, 1)).at(0) ?? undefined;
    if (existing) {
      throw new MlflowError(
        'RESOURCE_CONFLICT',
        `Artifact '${path}' of run ${runId} already exists and the run is ${info.status}: artifacts of a finished run are immutable. Log under a new path, or start the server with PLUMB_ALLOW_OVERWRITE_FINISHED_RUNS=true.`,
      );
    }
    return { runId, createOnly: true };
  }

  /**
   * Records what was stored, unless another upload replaced the object meanwhile (its etag
   * differs): that upload records itself, and the manifest must describe what is in storage.
   */
  private async record(
    path: ArtifactPath,
    runId: string | undefined,
    size: number,
    sha256: string,
    etag: string,
  ): Promise<ManifestEntry> {
    const hot = this.deps.hotTier;
    const tiering = hot ? { tier: 'hot' as const, hotNode: hot.node } : {};
    const entry: ManifestEntry = { path, runId, size, sha256, etag, recordedAt: this.deps.clock.now(), ...tiering };
    const current = await this.deps.repository.stat(path);
    if (current === undefined || current.etag === etag) await this.deps.manifest.record(entry);
    return entry;
  }
}
