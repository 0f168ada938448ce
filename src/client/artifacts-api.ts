import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ArtifactIntegrityError, MlflowApiError } from './errors.ts';
import type { HttpTransport, RequestBody } from './transport.ts';
import type { FileInfo } from './wire-types.ts';

const PROXY = '/api/2.0/mlflow-artifacts';

/** Percent-encodes each segment and keeps the slashes, as the server's wildcard routes expect. */
const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

export interface MultipartSettings {
  readonly thresholdBytes: number;
  readonly partBytes: number;
  readonly concurrency: number;
}

export type UploadSource = string | Buffer | Uint8Array | Readable;

export interface DownloadResult {
  readonly bytes: number;
  readonly sha256: string;
  /** Whether the server sent its manifest's sha256 and the bytes matched it. */
  readonly verified: boolean;
}

/**
 * The artifact proxy (`/api/2.0/mlflow-artifacts`): paths are relative to the server's artifact
 * root, e.g. `<experiment_id>/<run_id>/artifacts/model.bin` (PlumbClient resolves a run's root).
 * Bodies stream both ways and never sit in memory whole.
 */
export class ArtifactsApi {
  constructor(
    private readonly http: HttpTransport,
    private readonly multipart: MultipartSettings,
  ) {}

  /**
   * Uploads a local file (by path), bytes, or a stream. A file of at least the multipart threshold
   * goes up in parts when the server's store supports it. A file or bytes may be resent on a retry;
   * a caller's stream is read once, so it is sent once.
   */
  async upload(path: string, source: UploadSource): Promise<void> {
    if (typeof source === 'string') {
      const { size } = await stat(source);
      if (size >= this.multipart.thresholdBytes && (await this.uploadMultipart(path, source, size))) return;
      await this.put(path, () => createReadStream(source), true);
    } else if (source instanceof Readable) {
      await this.put(path, () => source, false);
    } else {
      await this.put(path, () => source, true);
    }
  }

  private async put(path: string, body: () => RequestBody, replayable: boolean): Promise<void> {
    await this.http.send({
      method: 'PUT',
      path: `${PROXY}/artifacts/${encodePath(path)}`,
      headers: { 'content-type': 'application/octet-stream' },
      body,
      // The same bytes to the same path leave the same file.
      idempotent: true,
      replayable,
      read: (response) => response.arrayBuffer(),
    });
  }

  /**
   * The multipart API: create hands out one URL per part (on this server: Plumb proxies parts to
   * storage), parts go up a few at a time, complete assembles them in order. Anything failing aborts
   * the upload so no half-written object stays behind. False when the store has no multipart
   * support (501 NOT_IMPLEMENTED), so the caller sends one PUT instead.
   */
  async uploadMultipart(path: string, file: string, size: number): Promise<boolean> {
    const route = encodePath(path);
    const numParts = Math.max(1, Math.ceil(size / this.multipart.partBytes));
    let created: {
      upload_id: string;
      credentials: { url: string; part_number: number; headers?: Record<string, string> }[];
    };
    try {
      created = await this.http.json('POST', `${PROXY}/mpu/create/${route}`, {
        body: { path, num_parts: numParts },
        idempotent: false,
      });
    } catch (error) {
      if (error instanceof MlflowApiError && error.errorCode === 'NOT_IMPLEMENTED') return false;
      throw error;
    }
    const { upload_id: uploadId, credentials } = created;
    try {
      const parts = await mapLimited(credentials, this.multipart.concurrency, async (credential) => {
        const start = (credential.part_number - 1) * this.multipart.partBytes;
        const end = Math.min(size, start + this.multipart.partBytes) - 1;
        const etag = await this.http.send({
          method: 'PUT',
          path: credential.url,
          headers: { 'content-type': 'application/octet-stream', ...credential.headers },
          body: () => createReadStream(file, { start, end }),
          idempotent: true,
          read: async (response) => {
            await response.arrayBuffer();
            return response.headers.get('etag') ?? '';
          },
        });
        return { part_number: credential.part_number, etag, url: credential.url };
      });
      await this.http.json('POST', `${PROXY}/mpu/complete/${route}`, {
        body: { path, upload_id: uploadId, parts },
        idempotent: false,
      });
      return true;
    } catch (error) {
      await this.http
        .json('POST', `${PROXY}/mpu/abort/${route}`, { body: { path, upload_id: uploadId }, idempotent: true })
        .catch(() => undefined);
      throw error;
    }
  }

  /**
   * Streams an artifact into a file (written beside it and renamed into place only once complete
   * and verified) or into a writable stream (which has the bytes before they could be checked:
   * the returned promise rejects with ArtifactIntegrityError on a mismatch).
   */
  async download(path: string, destination: string | Writable): Promise<DownloadResult> {
    const response = await this.http.send({
      method: 'GET',
      path: `${PROXY}/artifacts/${encodePath(path)}`,
      idempotent: true,
      read: async (r) => r,
    });
    const expected = response.headers.get('x-plumb-sha256') ?? undefined;
    const hash = createHash('sha256');
    let bytes = 0;
    const digest = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    const body = Readable.fromWeb(response.body! as import('node:stream/web').ReadableStream);
    const check = (): DownloadResult => {
      const sha256 = hash.digest('hex');
      if (expected !== undefined && expected !== sha256) throw new ArtifactIntegrityError(path, expected, sha256);
      return { bytes, sha256, verified: expected !== undefined };
    };
    if (typeof destination !== 'string') {
      await pipeline(body, digest, destination);
      return check();
    }
    const partial = `${destination}.partial-${randomBytes(6).toString('hex')}`;
    try {
      await pipeline(body, digest, createWriteStream(partial));
      const result = check();
      await rename(partial, destination);
      return result;
    } catch (error) {
      await unlink(partial).catch(() => undefined);
      throw error;
    }
  }

  /** The entries directly under a directory of the artifact root. */
  async list(path?: string): Promise<FileInfo[]> {
    const reply = await this.http.json<{ files?: FileInfo[] }>('GET', `${PROXY}/artifacts`, {
      query: { path },
      idempotent: true,
    });
    return reply.files ?? [];
  }

  async delete(path: string): Promise<void> {
    await this.http.json('DELETE', `${PROXY}/artifacts/${encodePath(path)}`, { idempotent: false });
  }
}

/** Maps with at most `limit` calls pending; the first failure stops new calls and is rethrown. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index]!);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  // Every call settles before the caller reacts (an abort must not race parts still uploading).
  const settled = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
  return results;
}
