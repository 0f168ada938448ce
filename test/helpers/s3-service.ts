import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';

/** How to reach the test S3 server (Ceph radosgw started by scripts/start-test-s3.sh). */
export interface TestS3 {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Installing Ceph from Debian (~20 s) plus a cold start (~15 s), with room for a slow mirror. */
const START_TIMEOUT_MS = 5 * 60_000;
const SCRIPT = join(import.meta.dirname, '..', '..', 'scripts', 'start-test-s3.sh');

let started: Promise<TestS3> | undefined;

/**
 * Starts the test S3 server once per process (the script is idempotent and returns at once when
 * it already runs). If it cannot start, this rejects with the script's own explanation, so the
 * S3 tests fail with the reason instead of being skipped.
 */
export function ensureTestS3(): Promise<TestS3> {
  started ??= runStartScript();
  return started;
}

function runStartScript(): Promise<TestS3> {
  return new Promise((resolve, reject) => {
    execFile('bash', [SCRIPT], { timeout: START_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const values = new Map(
        stdout
          .split('\n')
          .map((line) => /^(PLUMB_TEST_S3_[A-Z_]+)=(.*)$/.exec(line.trim()))
          .flatMap((m) => (m?.[1] !== undefined && m[2] !== undefined ? [[m[1], m[2]] as const] : [])),
      );
      const endpoint = values.get('PLUMB_TEST_S3_ENDPOINT');
      const accessKeyId = values.get('PLUMB_TEST_S3_ACCESS_KEY_ID');
      const secretAccessKey = values.get('PLUMB_TEST_S3_SECRET_ACCESS_KEY');
      if (error || !endpoint || !accessKeyId || !secretAccessKey) {
        const why = error?.killed
          ? `timed out after ${START_TIMEOUT_MS / 1000} s`
          : error
            ? `exit code ${String(error.code)}`
            : 'it printed no endpoint';
        const tail = stderr.trim().split('\n').slice(-25).join('\n');
        reject(new Error(`scripts/start-test-s3.sh could not start the test S3 server (${why}):\n${tail}`));
        return;
      }
      resolve({ endpoint, accessKeyId, secretAccessKey });
    });
  });
}

/** An SDK client for the test server, set up as the S3 backend sets up its own. */
export function testS3Client(s3: TestS3): S3Client {
  return new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export interface TestBucket {
  readonly name: string;
  /** A client on the bucket's server, for looking behind the repository's back. */
  readonly client: S3Client;
  /** Empties and deletes the bucket (RGW keeps data in memory), then closes the client. */
  close(): Promise<void>;
}

/** A fresh, empty bucket: one per test file, so files never see each other's objects. */
export async function createTestBucket(s3: TestS3, label: string): Promise<TestBucket> {
  const name =
    `plumb-${label.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`.slice(0, 40) + `-${randomBytes(6).toString('hex')}`;
  const client = testS3Client(s3);
  await client.send(new CreateBucketCommand({ Bucket: name }));
  return {
    name,
    client,
    async close() {
      try {
        await emptyBucket(client, name);
        await client.send(new DeleteBucketCommand({ Bucket: name }));
      } finally {
        client.destroy();
      }
    },
  };
}

async function emptyBucket(client: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const page = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    for (const u of page.Uploads ?? []) {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }));
    }
    if (!page.IsTruncated) break;
  }
  for (;;) {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    const objects = (page.Contents ?? []).map((o) => ({ Key: o.Key }));
    if (objects.length === 0) break;
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
  }
}
