import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { MlflowError } from '../../core/errors.ts';
import { isS3NotFound } from './s3-errors.ts';

/**
 * The two operations that walk many keys: deleting everything below a key prefix, and aborting
 * stale multipart uploads below one. Both page through S3's listings (1000 entries a page) and
 * never look outside `prefix`. Raw SDK errors propagate: the caller names what failed.
 */

/** Deletes every object whose key starts with `prefix` (which ends with '/'), a page at a time. */
export async function deleteAllUnder(client: S3Client, bucket: string, prefix: string): Promise<void> {
  let token: string | undefined;
  do {
    // Each page goes by continuation token rather than re-listing from the start, so a key that
    // cannot be deleted is reported once instead of being met again forever.
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    const objects = (page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [{ Key: o.Key }]));
    if (objects.length > 0) {
      const result = await client.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }),
      );
      const failed = result.Errors ?? [];
      if (failed.length > 0) {
        throw new MlflowError(
          'INTERNAL_ERROR',
          `S3 DeleteObjects could not delete ${failed.length} object(s) below '${prefix}': ${failed[0]?.Code}`,
          { keys: failed.slice(0, 10).map((f) => f.Key) },
        );
      }
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/**
 * Aborts the multipart uploads below `prefix` that S3 says were initiated at least `olderThanMs`
 * before `now`; returns how many. Uploads that vanish meanwhile (completed or aborted by someone
 * else) are not counted.
 */
export async function abortUploadsOlderThan(
  client: S3Client,
  bucket: string,
  prefix: string,
  olderThanMs: number,
  now: number,
): Promise<number> {
  let removed = 0;
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const page = await client.send(
      new ListMultipartUploadsCommand({
        Bucket: bucket,
        Prefix: prefix,
        KeyMarker: keyMarker,
        UploadIdMarker: uploadIdMarker,
      }),
    );
    for (const pending of page.Uploads ?? []) {
      const { Key: key, UploadId: id, Initiated: initiated } = pending;
      if (key === undefined || id === undefined || initiated === undefined) continue;
      // The Prefix parameter already filters; checking again costs nothing if a server ignores it.
      if (!key.startsWith(prefix) || now - initiated.getTime() < olderThanMs) continue;
      try {
        await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: id }));
        removed++;
      } catch (error) {
        if (!isS3NotFound(error)) throw error;
      }
    }
    if (!page.IsTruncated) return removed;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
  }
}

/** Every multipart upload below `prefix` that S3 lists as open, a page at a time. */
export async function* uploadsUnder(
  client: S3Client,
  bucket: string,
  prefix: string,
): AsyncIterable<{ key: string; uploadId: string; initiated: Date }> {
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const page = await client.send(
      new ListMultipartUploadsCommand({
        Bucket: bucket,
        Prefix: prefix,
        KeyMarker: keyMarker,
        UploadIdMarker: uploadIdMarker,
      }),
    );
    for (const { Key: key, UploadId: uploadId, Initiated: initiated } of page.Uploads ?? []) {
      if (key !== undefined && uploadId !== undefined && initiated !== undefined && key.startsWith(prefix)) {
        yield { key, uploadId, initiated };
      }
    }
    if (!page.IsTruncated) return;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
  }
}
