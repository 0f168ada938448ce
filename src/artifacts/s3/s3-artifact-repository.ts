import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ARTIFACT_ROOT, type ArtifactPath } from '../../core/artifact-path.ts';
import { MlflowError } from '../../core/errors.ts';
import type {
  ArtifactRepository,
  CompletedPart,
  FileInfo,
  ListPage,
  ObjectInfo,
  PendingUpload,
} from '../artifact-repository.ts';
import { GuardedBody } from './guarded-body.ts';
import { type S3ArtifactRepositoryOptions, s3ClientConfig } from './s3-client-config.ts';
import { isS3NotFound, s3Error } from './s3-errors.ts';
import { compareKeys, S3KeyMap, unquoteEtag } from './s3-keys.ts';
import { abortUploadsOlderThan, deleteAllUnder, uploadsUnder } from './s3-sweeps.ts';

const MiB = 1024 * 1024;
/** S3 allows 10,000 parts; 8 MiB parts take an unsized stream to ~78 GiB. */
const MAX_PARTS = 10_000;
const DEFAULT_PART_SIZE = 8 * MiB;
/** Parts buffered at once by one put: memory per put is about (queue + 1) × part size. */
const PUT_QUEUE_SIZE = 2;
/** S3's page limit for listings and DeleteObjects. */
const MAX_PAGE = 1000;

const artifact = (path: ArtifactPath) => `Artifact '${path}'`;
const upload = (path: ArtifactPath, uploadId: string) => `Upload '${uploadId}' for '${path}'`;

/**
 * Artifacts in an S3 (or S3-compatible) bucket below a key prefix.
 *
 * Visibility comes from S3 itself: a PutObject or CompleteMultipartUpload makes the whole object
 * visible at once, and an upload that is never completed is never visible. A put whose body fails
 * or is aborted therefore aborts its multipart upload (if it had started one) before it rejects.
 */
export class S3ArtifactRepository implements ArtifactRepository {
  readonly capabilities = { multipartUpload: true };
  readonly description: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly keys: S3KeyMap;

  constructor(deps: { client: S3Client; bucket: string; prefix: string }) {
    this.client = deps.client;
    this.bucket = deps.bucket;
    this.keys = new S3KeyMap(deps.prefix);
    this.description = this.keys.root === '' ? `s3://${deps.bucket}` : `s3://${deps.bucket}/${this.keys.root}`;
  }

  /** Closes the client's idle connections. */
  destroy(): void {
    this.client.destroy();
  }

  /**
   * Streams through lib-storage: parts of DEFAULT_PART_SIZE (more when `contentLength` needs it),
   * a single PutObject when the body fits in one part. A body failure or abort destroys the stream
   * lib-storage reads, which makes it abort its multipart upload before `done()` rejects. (Its own
   * `abort()` would settle `done()` first and abort the upload later, in the background.) An abort
   * that arrives after the whole body was read no longer stops the write, as on local disk.
   * `ifAbsent`: see `refuseExisting`.
   */
  async put(
    path: ArtifactPath,
    body: Readable,
    options: { contentLength?: number; signal?: AbortSignal; ifAbsent?: boolean } = {},
  ): Promise<ObjectInfo> {
    const key = this.keys.objectKey(path);
    const guard = new GuardedBody(body, artifact(path), options);
    try {
      if (options.ifAbsent) await this.refuseExisting(path, key);
    } catch (error) {
      guard.dispose();
      throw error;
    }
    const partSize = Math.max(DEFAULT_PART_SIZE, Math.ceil((options.contentLength ?? 0) / MAX_PARTS));
    const transfer = new Upload({
      client: this.client,
      // lib-storage passes IfNoneMatch on to PutObject or CompleteMultipartUpload, whichever it ends with.
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: guard.stream,
        ChecksumAlgorithm: 'CRC32',
        ...(options.ifAbsent && { IfNoneMatch: '*' }),
      },
      partSize,
      queueSize: PUT_QUEUE_SIZE,
      leavePartsOnError: false,
    });
    let etag: string;
    try {
      etag = unquoteEtag((await transfer.done()).ETag);
    } catch (error) {
      throw guard.explain(error, (e) => s3Error(e, 'PutObject', artifact(path)));
    } finally {
      guard.dispose();
    }
    // Ceph RGW answers CompleteMultipartUpload with an empty ETag: ask for it.
    if (etag === '') return this.headObject(path, key);
    return { size: guard.size, etag };
  }

  async get(path: ArtifactPath, options: { signal?: AbortSignal } = {}): Promise<{ body: Readable; info: ObjectInfo }> {
    if (path === ARTIFACT_ROOT) throw MlflowError.notFound(`${artifact(path)} does not exist`);
    const key = this.keys.objectKey(path);
    try {
      // The signal also covers the body: aborting destroys the response stream mid-read.
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
        abortSignal: options.signal,
      });
      if (!(out.Body instanceof Readable)) {
        throw new MlflowError('INTERNAL_ERROR', `S3 GetObject returned no stream for ${artifact(path)}`);
      }
      return { body: out.Body, info: { size: out.ContentLength ?? 0, etag: unquoteEtag(out.ETag) } };
    } catch (error) {
      throw s3Error(error, 'GetObject', artifact(path));
    }
  }

  async stat(path: ArtifactPath): Promise<ObjectInfo | undefined> {
    if (path === ARTIFACT_ROOT) return undefined;
    try {
      return await this.headObject(path, this.keys.objectKey(path));
    } catch (error) {
      if (isS3NotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * One ListObjectsV2 page with Delimiter '/': objects are files, common prefixes directories.
   * The page token is S3's continuation token. Entries come in S3's key order, where a directory
   * sorts as its path plus '/', so pages join up without gaps or repeats. Keys that are not valid
   * artifact paths (written by other tools) are left out, so a page may hold fewer entries.
   */
  async list(path: ArtifactPath, options: { pageToken?: string; maxResults?: number } = {}): Promise<ListPage> {
    const max = options.maxResults ?? MAX_PAGE;
    if (!Number.isInteger(max) || max < 1) {
      throw MlflowError.invalidParameter(`Invalid max results ${max}: it must be a positive integer`);
    }
    const prefix = this.keys.dirPrefix(path);
    let out;
    try {
      out = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          Delimiter: '/',
          MaxKeys: Math.min(max, MAX_PAGE),
          ContinuationToken: options.pageToken || undefined,
        }),
      );
    } catch (error) {
      throw s3Error(error, 'ListObjectsV2', `Directory '${path}'`);
    }
    const entries: { key: string; file: FileInfo }[] = [];
    for (const object of out.Contents ?? []) {
      const child = object.Key === undefined ? undefined : this.keys.pathOf(object.Key);
      if (child !== undefined && object.Key !== undefined) {
        entries.push({ key: object.Key, file: { path: child, isDir: false, size: object.Size ?? 0 } });
      }
    }
    for (const common of out.CommonPrefixes ?? []) {
      const child = common.Prefix === undefined ? undefined : this.keys.pathOf(common.Prefix.slice(0, -1));
      if (child !== undefined && common.Prefix !== undefined) {
        entries.push({ key: common.Prefix, file: { path: child, isDir: true } });
      }
    }
    entries.sort((a, b) => compareKeys(a.key, b.key));
    return {
      files: entries.map((e) => e.file),
      nextPageToken: out.IsTruncated ? out.NextContinuationToken : undefined,
    };
  }

  /**
   * Deletes the object at `path` and every key below `path/` (S3 allows both at once), in pages of
   * DeleteObjects. The root is never deleted as a whole, as on local disk.
   */
  async delete(path: ArtifactPath): Promise<void> {
    if (path === ARTIFACT_ROOT) return;
    const key = this.keys.objectKey(path);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
      await deleteAllUnder(this.client, this.bucket, `${key}/`);
    } catch (error) {
      throw s3Error(error, 'DeleteObjects', artifact(path));
    }
  }

  async createMultipartUpload(path: ArtifactPath): Promise<string> {
    const key = this.keys.objectKey(path);
    try {
      const out = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key }));
      if (!out.UploadId) throw new MlflowError('INTERNAL_ERROR', `S3 returned no upload id for ${artifact(path)}`);
      return out.UploadId;
    } catch (error) {
      throw s3Error(error, 'CreateMultipartUpload', artifact(path));
    }
  }

  /**
   * Streams one part. S3 needs its length up front (a stream without one would need aws-chunked
   * encoding, which not every S3-compatible server accepts), so `contentLength` is required.
   */
  async uploadPart(
    path: ArtifactPath,
    uploadId: string,
    partNumber: number,
    body: Readable,
    options: { contentLength?: number; signal?: AbortSignal } = {},
  ): Promise<string> {
    const key = this.keys.objectKey(path);
    checkPartNumber(partNumber);
    if (options.contentLength === undefined) {
      body.destroy();
      throw MlflowError.invalidParameter(`The length of part ${partNumber} is required to store it in S3`);
    }
    const guard = new GuardedBody(body, `part ${partNumber} of ${artifact(path)}`, options);
    try {
      const out = await this.client.send(
        new UploadPartCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: guard.stream,
          ContentLength: options.contentLength,
        }),
        { abortSignal: guard.signal },
      );
      if (!out.ETag) throw new MlflowError('INTERNAL_ERROR', `S3 returned no ETag for part ${partNumber}`);
      return out.ETag;
    } catch (error) {
      throw guard.explain(error, (e) => s3Error(e, 'UploadPart', upload(path, uploadId)));
    } finally {
      guard.dispose();
    }
  }

  /**
   * Completes the upload, then reads the object's size and ETag with HeadObject: the response to
   * CompleteMultipartUpload carries no size, and Ceph RGW's carries an empty ETag.
   */
  async completeMultipartUpload(
    path: ArtifactPath,
    uploadId: string,
    parts: readonly CompletedPart[],
    options: { ifAbsent?: boolean } = {},
  ): Promise<ObjectInfo> {
    const key = this.keys.objectKey(path);
    if (parts.length === 0) throw MlflowError.invalidParameter('A multipart upload needs at least one part');
    for (const part of parts) checkPartNumber(part.partNumber);
    if (new Set(parts.map((p) => p.partNumber)).size !== parts.length) {
      throw MlflowError.invalidParameter('Each part number may appear only once');
    }
    const ordered = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    if (options.ifAbsent) await this.refuseExisting(path, key);
    try {
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: ordered.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
          ...(options.ifAbsent && { IfNoneMatch: '*' }),
        }),
      );
    } catch (error) {
      const translated = s3Error(error, 'CompleteMultipartUpload', upload(path, uploadId));
      if (translated.code === 'RESOURCE_CONFLICT') throw s3Error(error, 'CompleteMultipartUpload', artifact(path));
      // Ceph RGW answers 500 "completion already in progress" for an upload that was aborted.
      if (translated.code === 'INTERNAL_ERROR' && !(await this.uploadExists(key, uploadId))) {
        throw MlflowError.notFound(`${upload(path, uploadId)} does not exist`);
      }
      throw translated;
    }
    return this.headObject(path, key);
  }

  async abortMultipartUpload(path: ArtifactPath, uploadId: string): Promise<void> {
    const key = this.keys.objectKey(path);
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }));
    } catch (error) {
      if (isS3NotFound(error)) return;
      throw s3Error(error, 'AbortMultipartUpload', upload(path, uploadId));
    }
  }

  /** Aborts the uploads below the prefix started at least `olderThanMs` before `now`; nothing outside it. */
  async cleanupAbandonedUploads(olderThanMs: number, now = Date.now()): Promise<number> {
    const prefix = this.keys.dirPrefix(ARTIFACT_ROOT);
    try {
      return await abortUploadsOlderThan(this.client, this.bucket, prefix, olderThanMs, now);
    } catch (error) {
      throw s3Error(error, 'ListMultipartUploads', `Uploads below '${prefix}'`);
    }
  }

  /** The open multipart uploads below the prefix, aged by S3's `Initiated` time. */
  async *listPendingUploads(now = Date.now()): AsyncIterable<PendingUpload> {
    const prefix = this.keys.dirPrefix(ARTIFACT_ROOT);
    try {
      for await (const upload of uploadsUnder(this.client, this.bucket, prefix)) {
        const startedAt = upload.initiated.getTime();
        yield { uploadId: upload.uploadId, path: this.keys.pathOf(upload.key), startedAt, ageMs: now - startedAt };
      }
    } catch (error) {
      throw s3Error(error, 'ListMultipartUploads', `Uploads below '${prefix}'`);
    }
  }

  /**
   * Create-only writes send `If-None-Match: *`, so S3 itself refuses an existing object atomically
   * (412 → RESOURCE_CONFLICT). Ceph RGW 16 honours that on PutObject but ignores it on
   * CompleteMultipartUpload (and CopyObject), so this HEAD first refuses an object that is already
   * there; only a writer racing in between the HEAD and the completion can slip past it there.
   */
  private async refuseExisting(path: ArtifactPath, key: string): Promise<void> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (isS3NotFound(error)) return;
      throw s3Error(error, 'HeadObject', artifact(path));
    }
    throw new MlflowError('RESOURCE_CONFLICT', `${artifact(path)} already exists`);
  }

  private async headObject(path: ArtifactPath, key: string): Promise<ObjectInfo> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: out.ContentLength ?? 0, etag: unquoteEtag(out.ETag) };
    } catch (error) {
      throw s3Error(error, 'HeadObject', artifact(path));
    }
  }

  private async uploadExists(key: string, uploadId: string): Promise<boolean> {
    try {
      await this.client.send(new ListPartsCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, MaxParts: 1 }));
      return true;
    } catch (error) {
      return !isS3NotFound(error);
    }
  }
}

function checkPartNumber(partNumber: number): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PARTS) {
    throw MlflowError.invalidParameter(`Invalid part number ${partNumber}: it must be from 1 to ${MAX_PARTS}`);
  }
}

/**
 * A repository over `s3://bucket/prefix`. Credentials default to the SDK's standard chain; the
 * caller (config) passes the endpoint, so nothing here reads the environment.
 */
export function createS3ArtifactRepository(options: S3ArtifactRepositoryOptions): S3ArtifactRepository {
  const client = new S3Client(s3ClientConfig(options));
  return new S3ArtifactRepository({ client, bucket: options.bucket, prefix: options.prefix });
}

export type { S3ArtifactRepositoryOptions } from './s3-client-config.ts';
