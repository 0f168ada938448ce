import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MlflowError } from '../../core/errors.ts';
import { isS3NotFound, s3Error } from './s3-errors.ts';

/** The shape of an SDK service exception: the S3 code as `name`, the HTTP answer in $metadata. */
function sdkError(name: string, status: number, message = 'from S3'): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status, requestId: 'tx-1' } });
}

void describe('s3Error', () => {
  void it('turns a missing key, object or upload into RESOURCE_DOES_NOT_EXIST with the subject named', () => {
    for (const [name, status] of [
      ['NoSuchKey', 404],
      ['NotFound', 404],
      ['NoSuchUpload', 404],
    ] as const) {
      const error = s3Error(sdkError(name, status), 'GetObject', "Artifact 'a/b.txt'");
      assert.equal(error.code, 'RESOURCE_DOES_NOT_EXIST');
      assert.equal(error.message, "Artifact 'a/b.txt' does not exist");
      assert.deepEqual(error.details, { operation: 'GetObject', s3Code: name, httpStatus: status, requestId: 'tx-1' });
    }
  });

  void it('turns refused multipart input into INVALID_PARAMETER_VALUE', () => {
    for (const name of ['InvalidPart', 'InvalidPartOrder', 'EntityTooSmall', 'MalformedXML', 'InvalidArgument']) {
      const error = s3Error(sdkError(name, 400), 'CompleteMultipartUpload', "Upload 'u' for 'x'");
      assert.equal(error.code, 'INVALID_PARAMETER_VALUE', name);
      assert.match(error.message, new RegExp(`^S3 CompleteMultipartUpload failed for upload 'u' for 'x': ${name}`));
    }
  });

  void it('does not pass off a missing bucket or bad credentials as a missing artifact or a client error', () => {
    for (const [name, status] of [
      ['NoSuchBucket', 404],
      ['AccessDenied', 403],
      ['InvalidAccessKeyId', 403],
      ['SignatureDoesNotMatch', 403],
      ['InternalError', 500],
    ] as const) {
      const error = s3Error(sdkError(name, status), 'PutObject', "Artifact 'a'");
      assert.equal(error.code, 'INTERNAL_ERROR', name);
      assert.equal(isS3NotFound(error), false);
    }
  });

  void it('says the store is temporarily unavailable when S3 throttles or cannot be reached', () => {
    assert.equal(s3Error(sdkError('SlowDown', 503), 'PutObject', 'x').code, 'TEMPORARILY_UNAVAILABLE');
    assert.equal(s3Error(sdkError('Whatever', 503), 'PutObject', 'x').code, 'TEMPORARILY_UNAVAILABLE');
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    assert.equal(s3Error(refused, 'GetObject', 'x').code, 'TEMPORARILY_UNAVAILABLE');
  });

  void it("reports the SDK's abort as CANCELLED", () => {
    const aborted = Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    const error = s3Error(aborted, 'GetObject', "Artifact 'a'");
    assert.equal(error.code, 'CANCELLED');
    assert.equal(error.message, "GetObject of artifact 'a' was cancelled");
  });

  void it('passes MlflowErrors through and wraps anything else as INTERNAL_ERROR', () => {
    const own = MlflowError.invalidParameter('mine');
    assert.equal(s3Error(own, 'PutObject', 'x'), own);
    const odd = s3Error('a string', 'PutObject', "Artifact 'a'");
    assert.equal(odd.code, 'INTERNAL_ERROR');
    assert.equal(odd.message, "S3 PutObject failed for artifact 'a': Error: Error");
  });
});

void describe('isS3NotFound', () => {
  void it('recognises raw and translated not-found errors only', () => {
    assert.equal(isS3NotFound(sdkError('NoSuchUpload', 404)), true);
    assert.equal(isS3NotFound(MlflowError.notFound('gone')), true);
    assert.equal(isS3NotFound(sdkError('NoSuchBucket', 404)), false);
    assert.equal(isS3NotFound(undefined), false);
  });
});
