import { Readable, Transform } from 'node:stream';
import type { BlockBlobClient } from '@azure/storage-blob';
import { MlflowError } from '../../core/errors.ts';
import type { ObjectInfo } from '../artifact-repository.ts';
import { cancelled } from './azure-errors.ts';
import { newUploadId, putBlockId } from './block-ids.ts';

/** Azure's largest block (Put Block), in bytes. */
export const MAX_BLOCK_BYTES = 4000 * 1024 * 1024;
/** A part sent without a length is buffered to learn it; beyond this it must come with one. */
export const MAX_BUFFERED_PART_BYTES = 64 * 1024 * 1024;

export function unquoteEtag(etag: string | undefined): string {
  return (etag ?? '').replace(/^"(.*)"$/, '$1');
}

export interface BlockUploadOptions {
  readonly blockSize: number;
  /** Blocks staged at once: memory use is about (concurrency + 1) × blockSize per put. */
  readonly concurrency: number;
  readonly contentLength?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Names the object in error messages. */
  readonly what: string;
  /** Create only: Azure refuses the commit (409/412) when a blob already exists at the name. */
  readonly ifAbsent?: boolean | undefined;
}

/** `If-None-Match: *`: the service decides atomically that nothing exists at the name yet. */
export function onlyIfAbsent(options: { ifAbsent?: boolean | undefined }): { ifNoneMatch?: string } {
  return options.ifAbsent ? { ifNoneMatch: '*' } : {};
}

/**
 * Streams `body` into `blob` as staged blocks and commits them at the end, so the blob changes,
 * atomically, only when the whole body has arrived. A body that fits in one block is sent as one
 * Put Blob instead, after it has ended, so a failed small upload sends nothing at all. When the
 * body fails or `signal` aborts, nothing is committed: the blocks staged so far stay uncommitted,
 * invisible to reads and listings, until Azure garbage-collects them (about a week) or the next
 * commit to the name discards them.
 */
export async function uploadInBlocks(
  blob: BlockBlobClient,
  body: Readable,
  options: BlockUploadOptions,
): Promise<ObjectInfo> {
  const { blockSize, concurrency, signal, what } = options;
  if (signal?.aborted) {
    body.destroy();
    throw cancelled(what);
  }
  // Destroying the body makes the read loop below throw, wherever it is waiting.
  const onAbort = (): void => void body.destroy(cancelled(what));
  signal?.addEventListener('abort', onAbort, { once: true });
  const requests = new AbortController();
  const putId = newUploadId();
  const blockIds: string[] = [];
  const inFlight = new Set<Promise<void>>();
  let stageFailure: unknown;
  const stage = (data: Buffer): void => {
    const id = putBlockId(putId, blockIds.length);
    blockIds.push(id);
    const request: Promise<void> = blob.stageBlock(id, data, data.length, { abortSignal: requests.signal }).then(
      () => void inFlight.delete(request),
      (error: unknown) => {
        stageFailure ??= error;
        inFlight.delete(request);
      },
    );
    inFlight.add(request);
  };
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let size = 0;
  try {
    for await (const chunk of body) {
      let data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      size += data.length;
      while (pendingBytes + data.length >= blockSize) {
        const take = blockSize - pendingBytes;
        stage(Buffer.concat([...pending, data.subarray(0, take)]));
        pending = [];
        pendingBytes = 0;
        data = data.subarray(take);
        while (inFlight.size >= concurrency && stageFailure === undefined) await Promise.race(inFlight);
        if (stageFailure !== undefined) throw stageFailure;
      }
      if (data.length > 0) {
        pending.push(data);
        pendingBytes += data.length;
      }
    }
    if (options.contentLength !== undefined && options.contentLength !== size) {
      throw MlflowError.invalidParameter(
        `${what}: received ${size} bytes, but ${options.contentLength} were announced`,
      );
    }
    if (blockIds.length === 0) {
      const whole = Buffer.concat(pending);
      const response = await blob.upload(whole, whole.length, {
        abortSignal: signal,
        conditions: onlyIfAbsent(options),
      });
      return { size, etag: unquoteEtag(response.etag) };
    }
    if (pendingBytes > 0) stage(Buffer.concat(pending));
    await Promise.all(inFlight);
    if (stageFailure !== undefined) throw stageFailure;
    if (signal?.aborted) throw cancelled(what);
    const response = await blob.commitBlockList(blockIds, { abortSignal: signal, conditions: onlyIfAbsent(options) });
    return { size, etag: unquoteEtag(response.etag) };
  } catch (error) {
    requests.abort();
    await Promise.allSettled(inFlight);
    body.destroy();
    throw signal?.aborted ? cancelled(what) : error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

async function readAtMost(body: Readable, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += data.length;
    if (size > limit) {
      throw MlflowError.invalidParameter(`${what}: a part without a Content-Length may be at most ${limit} bytes`);
    }
    chunks.push(data);
  }
  return Buffer.concat(chunks);
}

/**
 * Stages `body` as the single block `blockId`; returns its size. With a known length the body is
 * streamed straight through. The SDK's HTTP client neither notices a failing request body nor can
 * replay a consumed one, so both are turned into an abort of the request here: otherwise a client
 * that disconnects mid-part would leave the request hanging.
 */
export async function stageBlockFromStream(
  blob: BlockBlobClient,
  blockId: string,
  body: Readable,
  options: { contentLength?: number | undefined; signal?: AbortSignal | undefined; what: string },
): Promise<number> {
  const { contentLength, signal, what } = options;
  if (signal?.aborted) throw cancelled(what);
  if (contentLength === undefined) {
    const data = await readAtMost(body, MAX_BUFFERED_PART_BYTES, what);
    await blob.stageBlock(blockId, data, data.length, { abortSignal: signal });
    return data.length;
  }
  if (!Number.isSafeInteger(contentLength) || contentLength < 0 || contentLength > MAX_BLOCK_BYTES) {
    throw MlflowError.invalidParameter(`${what}: a part must be from 0 to ${MAX_BLOCK_BYTES} bytes`);
  }
  const request = new AbortController();
  let failure: unknown;
  const fail = (error: unknown): void => {
    failure ??= error;
    request.abort();
    body.destroy();
  };
  let seen = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > contentLength)
        callback(MlflowError.invalidParameter(`${what}: more than ${contentLength} bytes sent`));
      else callback(null, chunk);
    },
    flush(callback) {
      if (seen < contentLength)
        callback(MlflowError.invalidParameter(`${what}: ${seen} of ${contentLength} bytes sent`));
      else callback();
    },
  });
  counted.on('error', fail);
  body.on('error', fail);
  const onAbort = (): void => fail(cancelled(what));
  signal?.addEventListener('abort', onAbort, { once: true });
  body.pipe(counted);
  let sends = 0;
  const source = (): Readable => {
    if (++sends > 1) {
      // A retry by the SDK after part of the body went out: it cannot be sent again. Aborting
      // later than now, because the HTTP client only listens for the abort once it has the body.
      setImmediate(() => fail(new MlflowError('TEMPORARILY_UNAVAILABLE', `${what}: the upload broke; send it again`)));
    }
    return counted;
  };
  try {
    await blob.stageBlock(blockId, source, contentLength, { abortSignal: request.signal });
    return contentLength;
  } catch (error) {
    throw failure ?? error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
