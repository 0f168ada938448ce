import { createHash } from 'node:crypto';
import { type Readable, Transform, pipeline } from 'node:stream';
import { MlflowError } from '../core/errors.ts';

/** Counts and hashes a stream on its way through; fails it when the byte count is not the announced one. */
export class Digesting extends Transform {
  readonly hash = createHash('sha256');
  size = 0;

  constructor(private readonly expectedSize?: number) {
    super();
  }

  override _transform(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null, data?: Buffer) => void,
  ) {
    this.size += chunk.length;
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: (error?: Error | null) => void) {
    if (this.expectedSize !== undefined && this.size !== this.expectedSize) {
      callback(
        MlflowError.invalidParameter(`The upload ended after ${this.size} of ${this.expectedSize} announced bytes`),
      );
    } else callback();
  }
}

/**
 * Pipes `body` through a Digesting stream. `pipeline` (not `pipe`) so that a source that failed or
 * was destroyed before anyone listened — a client gone right after its headers — still ends the
 * digest with an error instead of leaving it waiting forever; the error reaches whoever consumes
 * the digest, and is never an unhandled 'error' event in between.
 */
export function digestOf(body: Readable, expectedSize?: number): Digesting {
  const digesting = new Digesting(expectedSize);
  pipeline(body, digesting, () => {
    // Failures surface through `digesting` to its consumer.
  });
  return digesting;
}

/** Fails the stream once more than `maxBytes` have passed: a limit that chunked bodies cannot dodge. */
export function limitBytes(body: Readable, maxBytes: number, message: string): Readable {
  let seen = 0;
  const limited = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      callback(seen > maxBytes ? MlflowError.invalidParameter(message) : null, chunk);
    },
  });
  pipeline(body, limited, () => {
    // As in digestOf: the consumer of `limited` sees the failure.
  });
  return limited;
}
