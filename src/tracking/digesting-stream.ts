import { createHash } from 'node:crypto';
import { type Readable, Transform } from 'node:stream';
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

export function digestOf(body: Readable, expectedSize?: number): Digesting {
  const digesting = new Digesting(expectedSize);
  body.on('error', (error) => digesting.destroy(error));
  return body.pipe(digesting);
}
