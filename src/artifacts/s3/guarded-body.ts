import { type Readable, Transform } from 'node:stream';
import { MlflowError } from '../../core/errors.ts';

/**
 * A caller's body on its way to S3: counts its bytes, enforces a declared length, and turns the
 * body failing, the length being wrong or the caller's signal aborting into one `failure` plus an
 * aborted `signal` for the S3 request.
 *
 * Why not hand the body to the SDK as it is: the SDK `pipe()`s a stream into its HTTP request,
 * and pipe does not forward errors, so a client that disconnects mid-part would leave the request
 * waiting for bytes that never come (and the body's 'error' event unhandled). A body shorter than
 * its Content-Length would hang the same way.
 */
export class GuardedBody {
  /** The stream to give the SDK (or lib-storage) in place of the caller's body. */
  readonly stream: Transform;
  /** Aborts the S3 request; fires on any failure below. */
  readonly signal: AbortSignal;
  /** Bytes that have passed so far. */
  size = 0;
  /** Why the body could not be sent: the body's own error, or an MlflowError (length, cancel). */
  failure: unknown = undefined;

  private readonly controller = new AbortController();
  private readonly onCallerAbort = () => this.fail(cancelled(this.subject));

  constructor(
    private readonly body: Readable,
    private readonly subject: string,
    private readonly options: { contentLength?: number | undefined; signal?: AbortSignal | undefined } = {},
  ) {
    this.signal = this.controller.signal;
    const expected = options.contentLength;
    if (expected !== undefined && (!Number.isSafeInteger(expected) || expected < 0)) {
      throw MlflowError.invalidParameter(`Invalid content length ${expected} for ${subject}`);
    }
    this.stream = new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        this.size += chunk.length;
        if (expected !== undefined && this.size > expected) return callback(this.lengthError(expected));
        callback(null, chunk);
      },
      flush: (callback) => {
        if (expected !== undefined && this.size !== expected) return callback(this.lengthError(expected));
        callback();
      },
    });
    // Every failure, including the transform's own, arrives here once; later ones are echoes.
    this.stream.on('error', (error) => this.fail(error));
    body.on('error', (error) => this.fail(error));
    body.pipe(this.stream);
    if (options.signal?.aborted) this.onCallerAbort();
    else options.signal?.addEventListener('abort', this.onCallerAbort, { once: true });
  }

  /** Releases the caller's signal and stops reading a body that S3 no longer wants. */
  dispose(): void {
    this.options.signal?.removeEventListener('abort', this.onCallerAbort);
    if (!this.stream.writableFinished) {
      this.body.unpipe(this.stream);
      this.body.destroy();
      this.stream.destroy();
    }
  }

  /** The error to report when the S3 call failed: the body's story if it has one, else S3's. */
  explain(s3Failure: unknown, translate: (error: unknown) => MlflowError): unknown {
    if (this.options.signal?.aborted) return cancelled(this.subject);
    return this.failure ?? translate(s3Failure);
  }

  private fail(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.controller.abort(error);
    this.body.unpipe(this.stream);
    if (!this.body.destroyed) this.body.destroy();
    if (!this.stream.destroyed) this.stream.destroy(error instanceof Error ? error : new Error(String(error)));
  }

  private lengthError(expected: number): MlflowError {
    return MlflowError.invalidParameter(
      `The body of ${this.subject} does not match its declared length of ${expected} bytes (got ${this.size}${
        this.size > expected ? ' or more' : ''
      })`,
    );
  }
}

function cancelled(subject: string): MlflowError {
  return new MlflowError('CANCELLED', `The upload of ${subject} was cancelled`);
}
