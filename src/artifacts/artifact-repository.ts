import type { Readable } from 'node:stream';
import type { ArtifactPath } from '../core/artifact-path.ts';

/** One entry of a directory listing: `path` is relative to the repository root. */
export interface FileInfo {
  readonly path: ArtifactPath;
  readonly isDir: boolean;
  /** Bytes; absent for directories. */
  readonly size?: number | undefined;
}

export interface ObjectInfo {
  readonly size: number;
  /** The storage's own version tag (S3/Azure ETag, or size+mtime on disk), recorded in the manifest. */
  readonly etag: string;
}

export interface ListPage {
  readonly files: readonly FileInfo[];
  readonly nextPageToken?: string | undefined;
}

export interface PutOptions {
  readonly contentLength?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Create only: fail with RESOURCE_CONFLICT when an object is already at the path. */
  readonly ifAbsent?: boolean | undefined;
}

/** An upload that was begun and never completed or aborted (see `listPendingUploads`). */
export interface PendingUpload {
  /** The multipart upload id, or the name of a put's temporary data. */
  readonly uploadId: string;
  /** The path it would complete to; undefined where the backend records none (a put's temporary file). */
  readonly path?: ArtifactPath | undefined;
  /** When it was started or last written to, epoch ms. */
  readonly startedAt: number;
  /** How long ago that was, by the storage's own clock where it reports one. */
  readonly ageMs: number;
}

export interface CompletedPart {
  readonly partNumber: number;
  readonly etag: string;
}

/**
 * Blob storage for artifacts (the ARTIFACT PORT). Paths are ArtifactPaths, relative to the
 * repository's root; a backend never reads or writes outside that root, whatever the path.
 *
 * Visibility: an object written by `put` or assembled by `completeMultipartUpload` becomes visible
 * (to get/list/stat) only once it is complete. A write that fails or is aborted part-way leaves
 * no visible object and — after `abortMultipartUpload` or the backend's own cleanup — nothing
 * behind. Overwriting replaces the old object atomically.
 *
 * Errors: RESOURCE_DOES_NOT_EXIST for a missing object or upload; anything else as thrown.
 */
export interface ArtifactRepository {
  readonly capabilities: {
    /** Clients may upload large files in parts (mpu/create, upload part, mpu/complete). */
    readonly multipartUpload: boolean;
  };
  /** A short description for logs and doctor output, e.g. `s3://bucket/prefix` (no credentials). */
  readonly description: string;

  /**
   * Streams `body` into storage. Rejects (and stores nothing) if the stream errors or `signal` aborts.
   * With `ifAbsent`, the storage itself decides atomically that no object exists at `path` yet;
   * otherwise the write fails with RESOURCE_CONFLICT and changes nothing.
   */
  put(path: ArtifactPath, body: Readable, options?: PutOptions): Promise<ObjectInfo>;
  /** Streams an object; throws RESOURCE_DOES_NOT_EXIST when there is none (directories included). */
  get(path: ArtifactPath, options?: { signal?: AbortSignal }): Promise<{ body: Readable; info: ObjectInfo }>;
  /** The object's size and etag, or undefined when there is no object at `path`. */
  stat(path: ArtifactPath): Promise<ObjectInfo | undefined>;
  /**
   * The immediate children of the directory `path` (files and subdirectories), ordered by path.
   * An empty list when the directory does not exist. `pageToken` comes from a previous page.
   */
  list(path: ArtifactPath, options?: { pageToken?: string; maxResults?: number }): Promise<ListPage>;
  /** Deletes the object at `path`, or everything below it when it is a directory. Missing is not an error. */
  delete(path: ArtifactPath): Promise<void>;

  /** Starts a multipart upload; returns its id. Nothing is visible until completion. */
  createMultipartUpload(path: ArtifactPath): Promise<string>;
  /** Stores one part (1-based number); returns the part's etag that completion needs. */
  uploadPart(
    path: ArtifactPath,
    uploadId: string,
    partNumber: number,
    body: Readable,
    options?: { contentLength?: number; signal?: AbortSignal },
  ): Promise<string>;
  /** Assembles the parts, in part-number order, into the object at `path`, atomically; `ifAbsent` as for put. */
  completeMultipartUpload(
    path: ArtifactPath,
    uploadId: string,
    parts: readonly CompletedPart[],
    options?: { ifAbsent?: boolean },
  ): Promise<ObjectInfo>;
  /** Discards an upload and its parts. Unknown ids are not an error. */
  abortMultipartUpload(path: ArtifactPath, uploadId: string): Promise<void>;
  /**
   * Discards uploads that were started more than `olderThanMs` ago and never completed or
   * aborted (clients that disconnected); returns how many. Run at start-up and periodically.
   */
  cleanupAbandonedUploads(olderThanMs: number): Promise<number>;
  /**
   * Read-only: the uploads below the root that are still open (multipart uploads never completed
   * or aborted, and temporary data a put left behind), in no particular order. These are what
   * `cleanupAbandonedUploads` discards once they are old enough; `plumb doctor` reports them.
   */
  listPendingUploads(): AsyncIterable<PendingUpload>;
}
