import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { MlflowError } from '../../core/errors.ts';
import { GuardedBody } from './guarded-body.ts';

async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const translate = (e: unknown) => new MlflowError('INTERNAL_ERROR', String(e));

void describe('GuardedBody', () => {
  void it('passes the bytes through and counts them', async () => {
    const guard = new GuardedBody(Readable.from([Buffer.from('abc'), Buffer.from('de')]), 'x', { contentLength: 5 });
    assert.equal((await drain(guard.stream)).toString(), 'abcde');
    assert.equal(guard.size, 5);
    assert.equal(guard.failure, undefined);
    assert.equal(guard.signal.aborted, false);
    guard.dispose();
  });

  void it('fails, and aborts the request, when the body is shorter or longer than declared', async () => {
    for (const contentLength of [4, 6]) {
      const guard = new GuardedBody(Readable.from([Buffer.from('abcde')]), "Artifact 'a'", { contentLength });
      await assert.rejects(drain(guard.stream), { code: 'INVALID_PARAMETER_VALUE', message: /declared length/ });
      assert.equal(guard.signal.aborted, true);
      assert.equal((guard.explain(new Error('s3'), translate) as MlflowError).code, 'INVALID_PARAMETER_VALUE');
      guard.dispose();
    }
  });

  void it("reports the body's own error, not the request's, when the body fails", async () => {
    const broken = new Readable({ read() {} });
    broken.push(Buffer.from('partial'));
    const guard = new GuardedBody(broken, 'x', { contentLength: 100 });
    const reading = drain(guard.stream);
    const cause = new Error('client went away');
    broken.destroy(cause);
    await assert.rejects(reading);
    assert.equal(guard.failure, cause);
    assert.equal(guard.signal.aborted, true);
    assert.equal(guard.explain(new Error('socket hang up'), translate), cause);
  });

  void it("turns the caller's abort into CANCELLED and stops the body", async () => {
    const controller = new AbortController();
    const endless = new Readable({ read() {} });
    const guard = new GuardedBody(endless, "Artifact 'a'", { signal: controller.signal });
    const reading = drain(guard.stream);
    controller.abort();
    await assert.rejects(reading);
    assert.equal(guard.signal.aborted, true);
    assert.equal(endless.destroyed, true);
    const error = guard.explain(new Error('aborted'), translate) as MlflowError;
    assert.equal(error.code, 'CANCELLED');
    assert.equal(error.message, "The upload of Artifact 'a' was cancelled");
  });

  void it('fails at once for a signal that was already aborted', () => {
    const guard = new GuardedBody(Readable.from([Buffer.from('x')]), 'x', { signal: AbortSignal.abort() });
    assert.equal(guard.signal.aborted, true);
    assert.equal((guard.failure as MlflowError).code, 'CANCELLED');
  });

  void it('translates the S3 failure when the body had none, and stops reading the body', async () => {
    const endless = new Readable({ read() {} });
    endless.push(Buffer.from('abc'));
    const guard = new GuardedBody(endless, 'x');
    assert.equal((guard.explain(new Error('NoSuchBucket'), translate) as MlflowError).code, 'INTERNAL_ERROR');
    guard.dispose();
    assert.equal(endless.destroyed, true);
  });

  void it('refuses a negative or fractional content length', () => {
    for (const contentLength of [-1, 1.5, Number.NaN]) {
      assert.throws(() => new GuardedBody(Readable.from([]), 'x', { contentLength }), {
        code: 'INVALID_PARAMETER_VALUE',
      });
    }
  });
});
