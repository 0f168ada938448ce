import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { ArtifactRepository, PendingUpload } from '../../src/artifacts/artifact-repository.ts';
import { type ArtifactPath, parseArtifactPath } from '../../src/core/artifact-path.ts';

/**
 * The artifact port's contract, run against every backend (local disk, S3, Azure Blob). Each runner
 * passes a factory for a repository over a fresh, empty root.
 */
export interface ArtifactBackendUnderTest {
  readonly repository: ArtifactRepository;
  /** Bytes below the root as the backend itself sees them, including in-progress/temporary data. */
  close(): Promise<void>;
}

const p = (path: string): ArtifactPath => parseArtifactPath(path, { allowRoot: true });
const MiB = 1024 * 1024;

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

/** A stream that yields `bytes`, then fails: a client that disconnects mid-upload. */
export function brokenStream(bytes: Buffer, failAfter: number): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(bytes.subarray(0, failAfter));
        setImmediate(() => this.destroy(new Error('client went away')));
      }
    },
  });
}

async function collectAll(repository: ArtifactRepository, path: ArtifactPath): Promise<string[]> {
  const found: string[] = [];
  let pageToken: string | undefined;
  do {
    const page = await repository.list(path, { pageToken, maxResults: 2 });
    for (const file of page.files) {
      found.push(file.isDir ? `${file.path}/` : file.path);
      if (file.isDir) found.push(...(await collectAll(repository, file.path)));
    }
    pageToken = page.nextPageToken;
  } while (pageToken);
  return found;
}

async function pendingUploads(repository: ArtifactRepository): Promise<PendingUpload[]> {
  const found: PendingUpload[] = [];
  for await (const upload of repository.listPendingUploads()) found.push(upload);
  return found;
}

export function artifactRepositoryContract(name: string, open: () => Promise<ArtifactBackendUnderTest>): void {
  describe(`ArtifactRepository contract: ${name}`, () => {
    let backend: ArtifactBackendUnderTest;
    let repo: ArtifactRepository;
    before(async () => {
      backend = await open();
      repo = backend.repository;
    });
    after(async () => backend.close());

    test('put then get returns the same bytes, and stat their size', async () => {
      const bytes = randomBytes(70_000);
      const info = await repo.put(p('a/b/c.bin'), Readable.from([bytes]));
      assert.equal(info.size, bytes.length);
      assert.ok(info.etag.length > 0);
      const { body, info: got } = await repo.get(p('a/b/c.bin'));
      assert.deepEqual(await readAll(body), bytes);
      assert.equal(got.size, bytes.length);
      assert.equal((await repo.stat(p('a/b/c.bin')))?.size, bytes.length);
    });

    test('get and stat of a missing object or a directory say it does not exist', async () => {
      await repo.put(p('dironly/x.txt'), Readable.from([Buffer.from('x')]));
      await assert.rejects(repo.get(p('nope.txt')), { code: 'RESOURCE_DOES_NOT_EXIST' });
      await assert.rejects(repo.get(p('dironly')), { code: 'RESOURCE_DOES_NOT_EXIST' });
      assert.equal(await repo.stat(p('nope.txt')), undefined);
      assert.equal(await repo.stat(p('dironly')), undefined);
    });

    test('overwriting replaces the object', async () => {
      await repo.put(p('over/w.txt'), Readable.from([Buffer.from('old')]));
      await repo.put(p('over/w.txt'), Readable.from([Buffer.from('new content')]));
      assert.equal((await readAll((await repo.get(p('over/w.txt'))).body)).toString(), 'new content');
    });

    test('a create-only put refuses an existing object and leaves it as it was', async () => {
      await repo.put(p('once/a.txt'), Readable.from([Buffer.from('first')]), { ifAbsent: true });
      await assert.rejects(repo.put(p('once/a.txt'), Readable.from([Buffer.from('second')]), { ifAbsent: true }), {
        code: 'RESOURCE_CONFLICT',
      });
      assert.equal((await readAll((await repo.get(p('once/a.txt'))).body)).toString(), 'first');
    });

    test('of two racing create-only puts of one path, exactly one lands', async () => {
      const results = await Promise.allSettled(
        ['left', 'right'].map((side) =>
          repo.put(p('race/x.txt'), Readable.from([Buffer.from(side.repeat(1000))]), { ifAbsent: true }),
        ),
      );
      assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
      const stored = (await readAll((await repo.get(p('race/x.txt'))).body)).toString();
      assert.ok(stored === 'left'.repeat(1000) || stored === 'right'.repeat(1000));
    });

    test('list returns immediate children with sizes, directories marked, in path order', async () => {
      await repo.put(p('tree/b.txt'), Readable.from([Buffer.from('bb')]));
      await repo.put(p('tree/a.txt'), Readable.from([Buffer.from('a')]));
      await repo.put(p('tree/sub/deep/z.txt'), Readable.from([Buffer.from('zzz')]));
      const { files, nextPageToken } = await repo.list(p('tree'));
      assert.deepEqual(files, [
        { path: 'tree/a.txt', isDir: false, size: 1 },
        { path: 'tree/b.txt', isDir: false, size: 2 },
        { path: 'tree/sub', isDir: true },
      ]);
      assert.equal(nextPageToken, undefined);
      assert.deepEqual((await repo.list(p('tree/missing'))).files, []);
    });

    test('list pages through a large directory without skipping or repeating', async () => {
      const names = Array.from({ length: 7 }, (_, i) => `pages/f${i}.txt`);
      for (const name of names) await repo.put(p(name), Readable.from([Buffer.from(name)]));
      await repo.put(p('pages/dir/inner.txt'), Readable.from([Buffer.from('i')]));
      const all = await collectAll(repo, p('pages'));
      assert.deepEqual(all.sort(), [...names, 'pages/dir/', 'pages/dir/inner.txt'].sort());
    });

    test('the root lists top-level entries only', async () => {
      const top = (await repo.list(p(''))).files.map((f) => f.path);
      assert.ok(top.includes(p('tree')));
      assert.ok(!top.some((path) => path.includes('/')), `nested paths at the root: ${top.join(', ')}`);
    });

    test('delete removes a file, or a whole directory; deleting nothing is fine', async () => {
      await repo.put(p('del/one.txt'), Readable.from([Buffer.from('1')]));
      await repo.put(p('del/sub/two.txt'), Readable.from([Buffer.from('2')]));
      await repo.delete(p('del/one.txt'));
      assert.equal(await repo.stat(p('del/one.txt')), undefined);
      await repo.delete(p('del'));
      assert.deepEqual((await repo.list(p('del'))).files, []);
      await repo.delete(p('never/there'));
    });

    test('a put whose stream fails leaves no object, and an old one intact', async () => {
      await repo.put(p('broken/kept.bin'), Readable.from([Buffer.from('original')]));
      const bytes = randomBytes(256 * 1024);
      await assert.rejects(repo.put(p('broken/new.bin'), brokenStream(bytes, 100_000)));
      await assert.rejects(repo.put(p('broken/kept.bin'), brokenStream(bytes, 100_000)));
      assert.equal(await repo.stat(p('broken/new.bin')), undefined);
      assert.deepEqual(
        (await repo.list(p('broken'))).files.map((f) => f.path),
        ['broken/kept.bin'],
      );
      assert.equal((await readAll((await repo.get(p('broken/kept.bin'))).body)).toString(), 'original');
    });

    test('an aborted put leaves no object', async () => {
      const controller = new AbortController();
      const slow = new Readable({ read() {} });
      slow.push(randomBytes(64 * 1024));
      const upload = repo.put(p('aborted/x.bin'), slow, { signal: controller.signal });
      setTimeout(() => controller.abort(), 20);
      await assert.rejects(upload);
      assert.equal(await repo.stat(p('aborted/x.bin')), undefined);
    });

    test('interrupted uploads at random points never leave a listed or readable partial object', async () => {
      const bytes = randomBytes(512 * 1024);
      const rounds = Number(process.env.PLUMB_INTERRUPT_ROUNDS ?? 100);
      for (let i = 0; i < rounds; i++) {
        const cut = 1 + Math.floor(Math.random() * (bytes.length - 1));
        await assert.rejects(repo.put(p(`interrupted/f${i}.bin`), brokenStream(bytes, cut)));
      }
      assert.deepEqual((await repo.list(p('interrupted'))).files, []);
      for (let i = 0; i < rounds; i += 17) {
        await assert.rejects(repo.get(p(`interrupted/f${i}.bin`)), { code: 'RESOURCE_DOES_NOT_EXIST' });
      }
    });

    test('multipart upload assembles parts in part-number order, visible only when complete', async () => {
      const first = randomBytes(5 * MiB);
      const second = randomBytes(MiB + 3);
      const path = p('mpu/big.bin');
      const uploadId = await repo.createMultipartUpload(path);
      const etag2 = await repo.uploadPart(path, uploadId, 2, Readable.from([second]), { contentLength: second.length });
      const etag1 = await repo.uploadPart(path, uploadId, 1, Readable.from([first]), { contentLength: first.length });
      assert.equal(await repo.stat(path), undefined);
      assert.deepEqual((await repo.list(p('mpu'))).files, []);
      const info = await repo.completeMultipartUpload(path, uploadId, [
        { partNumber: 2, etag: etag2 },
        { partNumber: 1, etag: etag1 },
      ]);
      assert.equal(info.size, first.length + second.length);
      assert.deepEqual(await readAll((await repo.get(path)).body), Buffer.concat([first, second]));
    });

    test('a create-only multipart completion refuses an existing object', async () => {
      const path = p('mpu/taken.bin');
      await repo.put(path, Readable.from([Buffer.from('already here')]));
      const uploadId = await repo.createMultipartUpload(path);
      const etag = await repo.uploadPart(path, uploadId, 1, Readable.from([randomBytes(100)]), { contentLength: 100 });
      await assert.rejects(
        repo.completeMultipartUpload(path, uploadId, [{ partNumber: 1, etag }], { ifAbsent: true }),
        {
          code: 'RESOURCE_CONFLICT',
        },
      );
      assert.equal((await readAll((await repo.get(path)).body)).toString(), 'already here');
      await repo.abortMultipartUpload(path, uploadId);
    });

    test('an aborted multipart upload leaves nothing', async () => {
      const path = p('mpu/aborted.bin');
      const uploadId = await repo.createMultipartUpload(path);
      await repo.uploadPart(path, uploadId, 1, Readable.from([randomBytes(1024)]), { contentLength: 1024 });
      await repo.abortMultipartUpload(path, uploadId);
      assert.equal(await repo.stat(path), undefined);
      await assert.rejects(repo.completeMultipartUpload(path, uploadId, [{ partNumber: 1, etag: 'x' }]));
      await repo.abortMultipartUpload(path, uploadId);
    });

    test('completing with a part that was never uploaded is refused', async () => {
      const path = p('mpu/wrong.bin');
      const uploadId = await repo.createMultipartUpload(path);
      const etag = await repo.uploadPart(path, uploadId, 1, Readable.from([randomBytes(100)]), { contentLength: 100 });
      await assert.rejects(
        repo.completeMultipartUpload(path, uploadId, [
          { partNumber: 1, etag },
          { partNumber: 2, etag: 'not-uploaded' },
        ]),
      );
      assert.equal(await repo.stat(path), undefined);
      await repo.abortMultipartUpload(path, uploadId);
    });

    test('listPendingUploads shows an open multipart upload with its path, and not once it is aborted', async () => {
      const path = p('mpu/pending.bin');
      const uploadId = await repo.createMultipartUpload(path);
      await repo.uploadPart(path, uploadId, 1, Readable.from([randomBytes(10)]), { contentLength: 10 });
      const listed = (await pendingUploads(repo)).find((u) => u.uploadId === uploadId);
      assert.equal(listed?.path, path);
      // Ages come from the storage's clock where it has one: allow for skew, not for nonsense.
      assert.ok(Math.abs(listed.ageMs) < 10 * 60_000, `age ${listed.ageMs} ms`);
      await repo.abortMultipartUpload(path, uploadId);
      assert.equal(
        (await pendingUploads(repo)).find((u) => u.uploadId === uploadId),
        undefined,
      );
    });

    test('cleanup discards abandoned multipart uploads', async () => {
      const path = p('mpu/abandoned.bin');
      const uploadId = await repo.createMultipartUpload(path);
      await repo.uploadPart(path, uploadId, 1, Readable.from([randomBytes(10)]), { contentLength: 10 });
      const removed = await repo.cleanupAbandonedUploads(0);
      assert.ok(removed >= 1, `removed ${removed}`);
      await assert.rejects(repo.completeMultipartUpload(path, uploadId, [{ partNumber: 1, etag: 'x' }]));
    });
  });
}
