import { Readable } from 'node:stream';
import type { BlockBlobClient, ContainerClient, ContainerListBlobHierarchySegmentResponse } from '@azure/storage-blob';
import { type ArtifactPath, parseArtifactPath } from '../../core/artifact-path.ts';
import { MlflowError } from '../../core/errors.ts';
import type {
  ArtifactRepository,
  CompletedPart,
  FileInfo,
  ListPage,
  ObjectInfo,
  PendingUpload,
  PutOptions,
} from '../artifact-repository.ts';
import { type AzureArtifactOptions, connectAzure } from './azure-connection.ts';
import { isBlobNotFound, translateAzureError } from './azure-errors.ts';
import { newUploadId, partBlockId } from './block-ids.ts';
import { onlyIfAbsent, stageBlockFromStream, unquoteEtag, uploadInBlocks } from './block-upload.ts';
import { UPLOADS_DIR, UploadMarkers } from './upload-markers.ts';

export type { AzureArtifactOptions } from './azure-connection.ts';

const DEFAULT_PAGE = 1000;
/** Azure's cap on List Blobs `maxresults`. */
const MAX_PAGE = 5000;
const MAX_BLOB_NAME = 1024;
const MAX_PART_NUMBER = 10_000;
const DELETE_CONCURRENCY = 16;

export interface AzureRepositorySettings {
  readonly container: ContainerClient;
  /** Blob-name prefix without slashes at either end; '' for the whole container. */
  readonly prefix: string;
  readonly description: string;
  /** Bytes per staged block of a put (default 4 MiB); smaller in tests to exercise staging. */
  readonly blockSize?: number;
  /** Blocks of one put staged at the same time (default 4). */
  readonly concurrency?: number;
}

async function forEachLimited<T>(items: readonly T[], limit: number, run: (item: T) => Promise<unknown>) {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await run(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Artifacts in an Azure Blob Storage container, below a blob-name prefix (`<prefix>/<path>`).
 *
 * Writes are block blobs whose blocks are staged and then committed in one Put Block List, so an
 * object appears or is replaced atomically, and a failed write commits nothing. Uncommitted
 * blocks cannot be deleted through the API: they stay, invisible to get/stat/list, until Azure
 * garbage-collects them (about a week) or the next commit to the same name discards them.
 *
 * Multipart uploads stage each part as one block of the target blob, with a block id made from
 * (uploadId, partNumber); the part's etag is that block id. Uncommitted blocks belong to the blob
 * name, not to an upload, so every commit to a name discards all other uncommitted blocks of it.
 * Two uploads to one path therefore never mix: the first to complete (or a put that commits in
 * between) wins, and a later completion is refused with INVALID_PARAMETER_VALUE naming its
 * discarded parts; its upload id stays valid, so the client may send those parts again and
 * complete, which then replaces the object. A marker blob per open upload (see UploadMarkers)
 * makes ids live and ageable, for abort and cleanup.
 *
 * Azure has no directories: a "directory" is the set of blobs sharing a name prefix, so one
 * exists exactly while some blob lies below it. Unlike on disk, `a` and `a/b` may both be files
 * (puts do not check, as that would cost a request per path segment and still race); a listing
 * then shows `a` twice, as a file and as a directory. Listing order is Azure's: by name, where a
 * directory sorts as `name/` (so `a-b.txt` comes before the directory `a`).
 */
export class AzureBlobArtifactRepository implements ArtifactRepository {
  readonly capabilities = { multipartUpload: true };
  readonly description: string;
  private readonly container: ContainerClient;
  /** The prefix with its trailing '/', or '' for the whole container. */
  private readonly root: string;
  private readonly markers: UploadMarkers;
  private readonly blockSize: number;
  private readonly concurrency: number;

  constructor(settings: AzureRepositorySettings) {
    this.container = settings.container;
    this.root = settings.prefix === '' ? '' : `${settings.prefix}/`;
    this.description = settings.description;
    this.markers = new UploadMarkers(this.container, this.root);
    this.blockSize = settings.blockSize ?? 4 * 1024 * 1024;
    this.concurrency = settings.concurrency ?? 4;
  }

  /**
   * Refuses the reserved upload area and names Azure would store differently: the service drops
   * a trailing '.' from a URL path segment, so `model.` would silently become `model`.
   */
  private check(path: ArtifactPath): void {
    if (path === UPLOADS_DIR || path.startsWith(`${UPLOADS_DIR}/`)) {
      throw MlflowError.invalidParameter(`Invalid artifact path '${path}': '${UPLOADS_DIR}' is reserved`);
    }
    if (path.split('/').some((segment) => segment.endsWith('.'))) {
      throw MlflowError.invalidParameter(`Invalid artifact path '${path}': a name may not end with '.' in Azure`);
    }
    if (this.root.length + path.length > MAX_BLOB_NAME) {
      throw MlflowError.invalidParameter(`Invalid artifact path '${path.slice(0, 80)}…': too long for Azure`);
    }
  }

  private checkFile(path: ArtifactPath): void {
    this.check(path);
    if (path === '') throw MlflowError.invalidParameter('Invalid artifact path: a file path is required');
  }

  private blob(path: ArtifactPath): BlockBlobClient {
    return this.container.getBlockBlobClient(`${this.root}${path}`);
  }

  private dirPrefix(path: ArtifactPath): string {
    return path === '' ? this.root : `${this.root}${path}/`;
  }

  private fail(error: unknown, what: string): Error {
    return translateAzureError(error, what, this.container.containerName);
  }

  async put(path: ArtifactPath, body: Readable, options: PutOptions = {}): Promise<ObjectInfo> {
    const what = `Artifact '${path}'`;
    try {
      this.checkFile(path);
    } catch (error) {
      body.destroy();
      throw error;
    }
    try {
      return await uploadInBlocks(this.blob(path), body, {
        blockSize: this.blockSize,
        concurrency: this.concurrency,
        contentLength: options.contentLength,
        signal: options.signal,
        what,
        ifAbsent: options.ifAbsent,
      });
    } catch (error) {
      throw this.fail(error, what);
    }
  }

  async get(path: ArtifactPath, options: { signal?: AbortSignal } = {}): Promise<{ body: Readable; info: ObjectInfo }> {
    this.check(path);
    const what = `Artifact '${path}'`;
    if (path === '') throw MlflowError.notFound(`${what} does not exist`);
    try {
      // maxRetryRequests: a broken download resumes with ranged requests pinned to the etag.
      const response = await this.blob(path).download(0, undefined, {
        abortSignal: options.signal,
        maxRetryRequests: 5,
      });
      const stream = response.readableStreamBody;
      const body = stream instanceof Readable ? stream : stream ? new Readable().wrap(stream) : Readable.from([]);
      return { body, info: { size: response.contentLength ?? 0, etag: unquoteEtag(response.etag) } };
    } catch (error) {
      throw this.fail(error, what);
    }
  }

  async stat(path: ArtifactPath): Promise<ObjectInfo | undefined> {
    this.check(path);
    if (path === '') return undefined;
    try {
      const properties = await this.blob(path).getProperties();
      return { size: properties.contentLength ?? 0, etag: unquoteEtag(properties.etag) };
    } catch (error) {
      if (isBlobNotFound(error)) return undefined;
      throw this.fail(error, `Artifact '${path}'`);
    }
  }

  /** One List Blobs call: our page token is Azure's continuation marker, `maxResults` its maxresults. */
  async list(path: ArtifactPath, options: { pageToken?: string; maxResults?: number } = {}): Promise<ListPage> {
    this.check(path);
    const prefix = this.dirPrefix(path);
    const requested = Number.isFinite(options.maxResults) ? Math.trunc(options.maxResults as number) : DEFAULT_PAGE;
    const maxPageSize = Math.min(Math.max(requested, 1), MAX_PAGE);
    let page: ContainerListBlobHierarchySegmentResponse | undefined;
    try {
      const pages = this.container
        .listBlobsByHierarchy('/', { prefix })
        .byPage({ continuationToken: options.pageToken || undefined, maxPageSize });
      page = (await pages.next()).value;
    } catch (error) {
      throw this.fail(error, `Directory '${path}'`);
    }
    if (!page) return { files: [] };
    const entries = [
      ...(page.segment.blobPrefixes ?? []).map((entry) => ({ name: entry.name, isDir: true, size: undefined })),
      ...page.segment.blobItems.map((item) => ({ name: item.name, isDir: false, size: item.properties.contentLength })),
    ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const files: FileInfo[] = [];
    for (const entry of entries) {
      const relative = entry.name.slice(this.root.length, entry.isDir ? -1 : undefined);
      if (path === '' && relative === UPLOADS_DIR) continue;
      const child = this.asPath(relative);
      // Blobs whose names are no ArtifactPath (`a//b`, `dir/` markers of other tools) are skipped.
      if (child === undefined || child === path) continue;
      files.push(entry.isDir ? { path: child, isDir: true } : { path: child, isDir: false, size: entry.size ?? 0 });
    }
    return { files, nextPageToken: page.continuationToken || undefined };
  }

  private asPath(relative: string): ArtifactPath | undefined {
    try {
      const path = parseArtifactPath(relative);
      return path === relative ? path : undefined;
    } catch {
      return undefined;
    }
  }

  /** Deletes the blob at `path` and every blob below `path/`; never a blob outside the prefix. */
  async delete(path: ArtifactPath): Promise<void> {
    this.check(path);
    // As LocalArtifactRepository: the root itself is never deleted, a guard against wiping a store.
    if (path === '') return;
    try {
      await this.blob(path).deleteIfExists({ deleteSnapshots: 'include' });
      const below = this.container.listBlobsFlat({ prefix: this.dirPrefix(path) }).byPage({ maxPageSize: MAX_PAGE });
      for await (const page of below) {
        const names = page.segment.blobItems.map((item) => item.name);
        await forEachLimited(names, DELETE_CONCURRENCY, (name) =>
          this.container.getBlobClient(name).deleteIfExists({ deleteSnapshots: 'include' }),
        );
      }
    } catch (error) {
      throw this.fail(error, `Artifact '${path}'`);
    }
  }

  private async requireUpload(path: ArtifactPath, uploadId: string): Promise<void> {
    if ((await this.markers.target(uploadId)) !== path) {
      throw MlflowError.notFound(`Upload '${uploadId}' does not exist for '${path}'`);
    }
  }

  async createMultipartUpload(path: ArtifactPath): Promise<string> {
    this.checkFile(path);
    const uploadId = newUploadId();
    try {
      await this.markers.create(uploadId, path);
    } catch (error) {
      throw this.fail(error, `Upload to '${path}'`);
    }
    return uploadId;
  }

  async uploadPart(
    path: ArtifactPath,
    uploadId: string,
    partNumber: number,
    body: Readable,
    options: { contentLength?: number; signal?: AbortSignal } = {},
  ): Promise<string> {
    const what = `Part ${partNumber} of upload '${uploadId}'`;
    try {
      this.checkFile(path);
      checkPartNumber(partNumber);
      await this.requireUpload(path, uploadId);
      const blockId = partBlockId(uploadId, partNumber);
      await stageBlockFromStream(this.blob(path), blockId, body, { ...options, what });
      return blockId;
    } catch (error) {
      body.destroy();
      throw this.fail(error, what);
    }
  }

  async completeMultipartUpload(
    path: ArtifactPath,
    uploadId: string,
    parts: readonly CompletedPart[],
    options: { ifAbsent?: boolean } = {},
  ): Promise<ObjectInfo> {
    this.checkFile(path);
    const what = `Upload '${uploadId}' of '${path}'`;
    const ordered = orderParts(parts);
    const blob = this.blob(path);
    const foreign = ordered.find((part) => part.etag !== partBlockId(uploadId, part.partNumber));
    try {
      if ((await this.markers.target(uploadId)) !== path) {
        const done = foreign ? undefined : await committedAs(blob, ordered);
        if (done) return done;
        throw MlflowError.notFound(`${what} does not exist`);
      }
      if (foreign) {
        throw MlflowError.invalidParameter(
          `${what}: part ${foreign.partNumber} has the etag of another part or upload`,
        );
      }
      const staged = await uncommittedBlocks(blob);
      const missing = ordered.filter((part) => !staged.has(part.etag)).map((part) => part.partNumber);
      if (missing.length > 0) {
        throw MlflowError.invalidParameter(
          `${what}: parts ${missing.join(', ')} are not uploaded (or another upload to this path completed first)`,
        );
      }
      const response = await blob.commitBlockList(
        ordered.map((part) => part.etag),
        { conditions: onlyIfAbsent(options) },
      );
      await this.markers.remove(uploadId);
      const size = ordered.reduce((sum, part) => sum + (staged.get(part.etag) ?? 0), 0);
      return { size, etag: unquoteEtag(response.etag) };
    } catch (error) {
      throw this.fail(error, what);
    }
  }

  /** Ends the upload; its staged blocks stay uncommitted (invisible) until Azure collects them. */
  async abortMultipartUpload(path: ArtifactPath, uploadId: string): Promise<void> {
    this.check(path);
    try {
      if ((await this.markers.target(uploadId)) === path) await this.markers.remove(uploadId);
    } catch (error) {
      throw this.fail(error, `Upload '${uploadId}' of '${path}'`);
    }
  }

  /** Ends uploads whose marker is at least `olderThanMs` old (by the storage's clock). */
  async cleanupAbandonedUploads(olderThanMs: number): Promise<number> {
    try {
      return await this.markers.removeOlderThan(olderThanMs);
    } catch (error) {
      throw this.fail(error, 'Upload cleanup');
    }
  }

  /** Open multipart uploads, from their marker blobs; their staged blocks are invisible and not listed. */
  async *listPendingUploads(): AsyncIterable<PendingUpload> {
    try {
      for await (const upload of this.markers.list()) yield upload;
    } catch (error) {
      throw this.fail(error, 'Upload listing');
    }
  }
}

function checkPartNumber(partNumber: number): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw MlflowError.invalidParameter(`Invalid part number ${partNumber}: it must be from 1 to ${MAX_PART_NUMBER}`);
  }
}

function orderParts(parts: readonly CompletedPart[]): CompletedPart[] {
  if (parts.length === 0) throw MlflowError.invalidParameter('A multipart upload needs at least one part');
  const ordered = [...parts].sort((a, b) => a.partNumber - b.partNumber);
  ordered.forEach((part, i) => {
    checkPartNumber(part.partNumber);
    if (i > 0 && ordered[i - 1]?.partNumber === part.partNumber) {
      throw MlflowError.invalidParameter(`Part ${part.partNumber} is listed twice`);
    }
  });
  return ordered;
}

/** Uncommitted block id → size; empty when the blob has neither committed nor uncommitted blocks. */
async function uncommittedBlocks(blob: BlockBlobClient): Promise<Map<string, number>> {
  try {
    const list = await blob.getBlockList('uncommitted');
    return new Map((list.uncommittedBlocks ?? []).map((block) => [block.name, block.size]));
  } catch (error) {
    if (isBlobNotFound(error)) return new Map();
    throw error;
  }
}

/**
 * The object when it already consists of exactly these parts: a completion retried after its
 * answer was lost (the marker is gone by then) succeeds again instead of answering 404.
 */
async function committedAs(blob: BlockBlobClient, parts: readonly CompletedPart[]): Promise<ObjectInfo | undefined> {
  let list;
  try {
    list = await blob.getBlockList('committed');
  } catch (error) {
    if (isBlobNotFound(error)) return undefined;
    throw error;
  }
  const blocks = list.committedBlocks ?? [];
  if (blocks.length !== parts.length || blocks.some((block, i) => block.name !== parts[i]?.etag)) return undefined;
  return { size: blocks.reduce((sum, block) => sum + block.size, 0), etag: unquoteEtag(list.etag) };
}

/** Builds a repository from MLflow-style settings (see AzureArtifactOptions); validates them first. */
export function createAzureArtifactRepository(options: AzureArtifactOptions): AzureBlobArtifactRepository {
  const connection = connectAzure(options);
  return new AzureBlobArtifactRepository({
    container: connection.service.getContainerClient(connection.container),
    prefix: connection.prefix,
    description: connection.description,
  });
}
