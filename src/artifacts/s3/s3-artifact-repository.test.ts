import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { brokenStream, readAll } from '../../../test/contract/artifact-repository.contract.ts';
import { createTestBucket, ensureTestS3, type TestBucket, type TestS3 } from '../../../test/helpers/s3-service.ts';
import { ARTIFACT_ROOT, parseArtifactPath } from '../../core/artifact-path.ts';
import { createS3ArtifactRepository, type S3ArtifactRepository } from './s3-artifact-repository.ts';

/** What the contract cannot see: the keys behind the port, other tenants of the bucket, S3 quirks. */
const p = (path: string) => parseArtifactPath(path, { allowRoot: true });
const MiB = 1024 * 1024;
const PREFIX = 'tenant/artifacts';

void describe('S3ArtifactRepository on Ceph radosgw', () => {
  let s3: TestS3;
  let bucket: TestBucket;
  let repo: S3ArtifactRepository;
  const open = (prefix: string, bucketName = bucket.name) =>
    createS3ArtifactRepository({
      bucket: bucketName,
      prefix,
      endpoint: s3.endpoint,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
  const rawPut = (key: string, body = 'x') =>
    bucket.client.send(new PutObjectCommand({ Bucket: bucket.name, Key: key, Body: body }));
  const keysUnder = async (prefix: string) =>
    ((await bucket.client.send(new ListObjectsV2Command({ Bucket: bucket.name, Prefix: prefix }))).Contents ?? []).map(
      (o) => o.Key,
    );
  const pendingUploads = async (prefix: string) =>
    (
      (await bucket.client.send(new ListMultipartUploadsCommand({ Bucket: bucket.name, Prefix: prefix }))).Uploads ?? []
    ).map((u) => u.Key);

  before(async () => {
    s3 = await ensureTestS3();
    bucket = await createTestBucket(s3, 's3-repository');
    repo = open(PREFIX);
  });
  after(async () => {
    repo.destroy();
    await bucket.close();
  });

  void it('describes itself as s3://bucket/prefix, without credentials', () => {
    assert.equal(repo.description, `s3://${bucket.name}/${PREFIX}`);
    assert.equal(open('/x/').description, `s3://${bucket.name}/x`);
    assert.equal(open('').description, `s3://${bucket.name}`);
  });

  void it('stores an artifact at <prefix>/<path> with one slash between them', async () => {
    await repo.put(p('run-1/model/weights.bin'), Readable.from([Buffer.from('w')]));
    assert.deepEqual(await keysUnder('tenant/'), ['tenant/artifacts/run-1/model/weights.bin']);
    const slashy = open('/tenant/artifacts/');
    await slashy.put(p('run-1/b.txt'), Readable.from([Buffer.from('b')]));
    assert.ok((await keysUnder('tenant/artifacts/run-1/')).includes('tenant/artifacts/run-1/b.txt'));
    slashy.destroy();
  });

  void it('never lists or deletes objects outside its prefix, nor keys that are not artifact paths', async () => {
    await repo.put(p('iso/mine.txt'), Readable.from([Buffer.from('m')]));
    const outside = ['tenant/artifacts-sibling/iso/x.txt', 'tenant/other.txt', 'root.txt', 'iso/mine.txt'];
    for (const key of outside) await rawPut(key);
    // Written by other tools: a directory marker, an empty segment, a dot-dot segment.
    for (const key of ['tenant/artifacts/iso/dir/', 'tenant/artifacts/iso//double', 'tenant/artifacts/iso/../up']) {
      await rawPut(key);
    }
    assert.deepEqual((await repo.list(p('iso'))).files, [
      { path: 'iso/dir', isDir: true },
      { path: 'iso/mine.txt', isDir: false, size: 1 },
    ]);
    const top = (await repo.list(ARTIFACT_ROOT)).files.map((f) => f.path);
    assert.ok(!top.some((path) => path.includes('sibling') || path === 'root.txt'), top.join(', '));
    await repo.delete(p('iso'));
    for (const key of outside) assert.deepEqual(await keysUnder(key), [key], `${key} survives`);
    assert.deepEqual(await keysUnder('tenant/artifacts/iso/'), []);
  });

  void it('keeps two repositories on one bucket apart', async () => {
    const neighbour = open('tenant/artifacts-sibling');
    await neighbour.put(p('shared-name.txt'), Readable.from([Buffer.from('neighbour')]));
    assert.equal(await repo.stat(p('shared-name.txt')), undefined);
    await repo.put(p('shared-name.txt'), Readable.from([Buffer.from('mine')]));
    await repo.delete(p('shared-name.txt'));
    assert.equal((await readAll((await neighbour.get(p('shared-name.txt'))).body)).toString(), 'neighbour');
    neighbour.destroy();
  });

  void it('cleanup aborts only old uploads below its prefix', async () => {
    const foreign = await bucket.client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket.name, Key: 'tenant/artifacts-sibling/pending.bin' }),
    );
    assert.ok(foreign.UploadId);
    const mine = await repo.createMultipartUpload(p('cleanup/pending.bin'));
    assert.equal(await repo.cleanupAbandonedUploads(60 * 60_000), 0, 'nothing is an hour old');
    assert.equal(await repo.cleanupAbandonedUploads(60 * 60_000, Date.now() + 2 * 60 * 60_000), 1);
    assert.deepEqual(await pendingUploads('tenant/'), ['tenant/artifacts-sibling/pending.bin']);
    await assert.rejects(
      repo.uploadPart(p('cleanup/pending.bin'), mine, 1, Readable.from([Buffer.from('x')]), {
        contentLength: 1,
      }),
      { code: 'RESOURCE_DOES_NOT_EXIST' },
    );
  });

  void it('a put larger than one part goes up in parts and reports the ETag RGW leaves out of its answer', async () => {
    const bytes = randomBytes(17 * MiB + 5);
    const info = await repo.put(p('big/multi.bin'), Readable.from([bytes]));
    const head = await bucket.client.send(
      new HeadObjectCommand({ Bucket: bucket.name, Key: 'tenant/artifacts/big/multi.bin' }),
    );
    assert.equal(info.size, bytes.length);
    assert.equal(`"${info.etag}"`, head.ETag);
    assert.match(info.etag, /-3$/, 'a three-part ETag');
    assert.deepEqual(await readAll((await repo.get(p('big/multi.bin'))).body), bytes);
  });

  /** A body of `mib` MiB that, once S3 shows its multipart upload pending, does `then` and stalls. */
  const bodyThatStalls = (key: string, mib: number, then: (body: Readable) => void) => {
    let sent = 0;
    let waiting = false;
    return new Readable({
      read() {
        if (sent < mib) {
          sent++;
          this.push(randomBytes(MiB));
          return;
        }
        if (waiting) return;
        waiting = true;
        const poll = async (): Promise<void> => {
          if ((await pendingUploads(key)).length > 0) then(this);
          else setTimeout(() => void poll(), 20);
        };
        void poll();
      },
    });
  };

  void it('a put whose body fails after its multipart upload began leaves no pending upload', async () => {
    const key = 'tenant/artifacts/partial/broken.bin';
    const body = bodyThatStalls(key, 12, (b) => b.destroy(new Error('client went away')));
    await assert.rejects(repo.put(p('partial/broken.bin'), body), /client went away/);
    assert.deepEqual(await pendingUploads('tenant/artifacts/partial/'), []);
    assert.deepEqual(await keysUnder('tenant/artifacts/partial/'), []);
  });

  void it('a put aborted after its multipart upload began leaves no pending upload', async () => {
    const key = 'tenant/artifacts/partial/aborted.bin';
    const controller = new AbortController();
    const body = bodyThatStalls(key, 12, () => controller.abort());
    await assert.rejects(repo.put(p('partial/aborted.bin'), body, { signal: controller.signal }), {
      code: 'CANCELLED',
    });
    assert.deepEqual(await pendingUploads('tenant/artifacts/partial/'), []);
    assert.deepEqual(await keysUnder('tenant/artifacts/partial/'), []);
  });

  void it('an empty put stores an empty object', async () => {
    const info = await repo.put(p('empty/zero.bin'), Readable.from([]), { contentLength: 0 });
    assert.equal(info.size, 0);
    assert.equal((await readAll((await repo.get(p('empty/zero.bin'))).body)).length, 0);
    assert.deepEqual((await repo.list(p('empty'))).files, [{ path: 'empty/zero.bin', isDir: false, size: 0 }]);
  });

  void it('a put whose body does not match its declared length stores nothing', async () => {
    await assert.rejects(repo.put(p('len/short.bin'), Readable.from([randomBytes(100)]), { contentLength: 101 }), {
      code: 'INVALID_PARAMETER_VALUE',
    });
    await assert.rejects(repo.put(p('len/long.bin'), Readable.from([randomBytes(100)]), { contentLength: 99 }), {
      code: 'INVALID_PARAMETER_VALUE',
    });
    assert.deepEqual(await keysUnder('tenant/artifacts/len/'), []);
  });

  void it('a part whose body fails rejects promptly with that failure and stores no part', async () => {
    const path = p('parts/broken.bin');
    const uploadId = await repo.createMultipartUpload(path);
    const started = Date.now();
    await assert.rejects(
      repo.uploadPart(path, uploadId, 1, brokenStream(randomBytes(MiB), 300_000), { contentLength: MiB }),
      /client went away/,
    );
    assert.ok(Date.now() - started < 5000, 'no wait for a socket timeout');
    await assert.rejects(repo.uploadPart(path, uploadId, 1, Readable.from([randomBytes(10)]), { contentLength: 11 }), {
      code: 'INVALID_PARAMETER_VALUE',
    });
    await assert.rejects(repo.uploadPart(path, uploadId, 1, Readable.from([randomBytes(10)])), {
      code: 'INVALID_PARAMETER_VALUE',
      message: /length of part 1 is required/,
    });
    await assert.rejects(repo.completeMultipartUpload(path, uploadId, [{ partNumber: 1, etag: 'none' }]), {
      code: 'INVALID_PARAMETER_VALUE',
    });
    await repo.abortMultipartUpload(path, uploadId);
  });

  void it('multipart errors: unknown or aborted uploads do not exist, bad part numbers are refused', async () => {
    const path = p('parts/gone.bin');
    const uploadId = await repo.createMultipartUpload(path);
    const etag = await repo.uploadPart(path, uploadId, 1, Readable.from([Buffer.from('abc')]), { contentLength: 3 });
    await repo.abortMultipartUpload(path, uploadId);
    // RGW answers this with a 500 ("completion already in progress"); the port promises not-found.
    await assert.rejects(repo.completeMultipartUpload(path, uploadId, [{ partNumber: 1, etag }]), {
      code: 'RESOURCE_DOES_NOT_EXIST',
    });
    await assert.rejects(
      repo.uploadPart(path, 'no-such-upload', 1, Readable.from([Buffer.from('x')]), { contentLength: 1 }),
      { code: 'RESOURCE_DOES_NOT_EXIST' },
    );
    for (const partNumber of [0, 10_001, 1.5]) {
      await assert.rejects(repo.uploadPart(path, uploadId, partNumber, Readable.from([])), {
        code: 'INVALID_PARAMETER_VALUE',
      });
    }
    await assert.rejects(repo.completeMultipartUpload(path, uploadId, []), { code: 'INVALID_PARAMETER_VALUE' });
  });

  void it('get streams, and its signal stops the stream mid-read', async () => {
    await repo.put(p('read/big.bin'), Readable.from([randomBytes(12 * MiB)]));
    const controller = new AbortController();
    const { body, info } = await repo.get(p('read/big.bin'), { signal: controller.signal });
    assert.equal(info.size, 12 * MiB);
    let received = 0;
    const reading = (async () => {
      for await (const chunk of body) {
        received += (chunk as Buffer).length;
        controller.abort();
      }
    })();
    await assert.rejects(reading);
    assert.equal(body.destroyed, true);
    assert.ok(received < 12 * MiB, `stopped after ${received} bytes`);
  });

  void it('a missing bucket is a server error, not a missing artifact or an empty directory', async () => {
    const lost = open(PREFIX, `${bucket.name}-missing`);
    await assert.rejects(lost.get(p('a.txt')), { code: 'INTERNAL_ERROR', message: /NoSuchBucket/ });
    await assert.rejects(lost.list(ARTIFACT_ROOT), { code: 'INTERNAL_ERROR', message: /NoSuchBucket/ });
    // (stat cannot tell: HeadObject's 404 has no body to name the bucket, so it says "no object".)
    lost.destroy();
  });

  void it('list refuses a page size below one and caps it at S3’s 1000', async () => {
    await assert.rejects(repo.list(ARTIFACT_ROOT, { maxResults: 0 }), { code: 'INVALID_PARAMETER_VALUE' });
    assert.ok((await repo.list(ARTIFACT_ROOT, { maxResults: 5000 })).files.length > 0);
  });
});
