import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { brokenStream, readAll } from '../../../test/contract/artifact-repository.contract.ts';
import { createTestContainer, type TestContainer } from '../../../test/helpers/azurite-service.ts';
import { type ArtifactPath, parseArtifactPath } from '../../core/artifact-path.ts';
import { AzureBlobArtifactRepository, createAzureArtifactRepository } from './azure-artifact-repository.ts';

const p = (path: string): ArtifactPath => parseArtifactPath(path, { allowRoot: true });
const from = (text: string | Buffer): Readable => Readable.from([Buffer.from(text)]);
const KiB = 1024;

describe('AzureBlobArtifactRepository on Azurite', () => {
  let container: TestContainer;
  /** Small blocks, so that puts of a few hundred KiB stage several blocks before committing. */
  let repo: AzureBlobArtifactRepository;
  const blobNames = async (prefix = ''): Promise<string[]> => {
    const names: string[] = [];
    for await (const item of container.client.listBlobsFlat({ prefix })) names.push(item.name);
    return names.sort();
  };
  /** Names of the uncommitted blocks of a blob; none when Azure knows no blob of that name. */
  const uncommitted = async (name: string): Promise<string[]> => {
    const list = await container.client
      .getBlockBlobClient(name)
      .getBlockList('uncommitted')
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode === 404) return { uncommittedBlocks: [] };
        throw error;
      });
    return (list.uncommittedBlocks ?? []).map((block) => block.name);
  };
  const rawPut = (name: string, text: string) => container.client.getBlockBlobClient(name).upload(text, text.length);

  before(async () => {
    container = await createTestContainer();
    repo = new AzureBlobArtifactRepository({
      container: container.client,
      prefix: 'runs/r1',
      description: 'test',
      blockSize: 64 * KiB,
      concurrency: 2,
    });
  });
  after(async () => container.drop());

  test('blobs outside the prefix are never listed or deleted', async () => {
    await rawPut('runs/r1x/sibling.txt', 'shares the prefix string, not the directory');
    await rawPut('runs/r1', 'a blob named exactly like the prefix');
    await rawPut('elsewhere/x.txt', 'x');
    await repo.put(p('mine/a.txt'), from('a'));
    assert.deepEqual((await repo.list(p(''))).files, [{ path: 'mine', isDir: true }]);
    await repo.delete(p('mine'));
    await repo.delete(p(''));
    assert.deepEqual(await blobNames(), ['elsewhere/x.txt', 'runs/r1', 'runs/r1x/sibling.txt']);
  });

  test('an interrupted put leaves no committed blob, even after staging blocks', async () => {
    const bytes = randomBytes(300 * KiB);
    await repo.put(p('cut/kept.bin'), from('original'));
    await assert.rejects(repo.put(p('cut/new.bin'), brokenStream(bytes, 250 * KiB)), /client went away/);
    await assert.rejects(repo.put(p('cut/kept.bin'), brokenStream(bytes, 250 * KiB)), /client went away/);
    assert.ok((await uncommitted('runs/r1/cut/new.bin')).length >= 2, 'the put staged blocks before the stream broke');
    assert.deepEqual(await blobNames('runs/r1/cut/'), ['runs/r1/cut/kept.bin']);
    assert.equal(await repo.stat(p('cut/new.bin')), undefined);
    assert.equal((await readAll((await repo.get(p('cut/kept.bin'))).body)).toString(), 'original');
    // The leftover blocks do not get in the way of the next write to the name.
    await repo.put(p('cut/new.bin'), from(bytes));
    assert.deepEqual(await readAll((await repo.get(p('cut/new.bin'))).body), bytes);
  });

  test('a put aborted while blocks are staged commits nothing', async () => {
    const controller = new AbortController();
    const body = new Readable({ read() {} });
    body.push(randomBytes(200 * KiB));
    const upload = repo.put(p('abort/x.bin'), body, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(upload, { code: 'CANCELLED' });
    assert.deepEqual(await blobNames('runs/r1/abort/'), []);
  });

  test('a put whose length differs from the announced one commits nothing', async () => {
    const bytes = randomBytes(100 * KiB);
    await assert.rejects(repo.put(p('len/x.bin'), from(bytes), { contentLength: bytes.length + 1 }), {
      code: 'INVALID_PARAMETER_VALUE',
    });
    assert.equal(await repo.stat(p('len/x.bin')), undefined);
  });

  test('concurrent multipart uploads to one path never mix: the first to complete wins', async () => {
    const path = p('mpu/same.bin');
    const a = [randomBytes(10 * KiB), randomBytes(11 * KiB)];
    const b = [randomBytes(12 * KiB), randomBytes(13 * KiB)];
    const [idA, idB] = await Promise.all([repo.createMultipartUpload(path), repo.createMultipartUpload(path)]);
    assert.ok(idA && idB);
    const send = (id: string, n: number, data: Buffer) =>
      repo.uploadPart(path, id, n, from(data), { contentLength: data.length });
    const [a1, b1, a2, b2] = await Promise.all([
      send(idA, 1, a[0]!),
      send(idB, 1, b[0]!),
      send(idA, 2, a[1]!),
      send(idB, 2, b[1]!),
    ]);
    const partsA = [
      { partNumber: 1, etag: a1 },
      { partNumber: 2, etag: a2 },
    ];
    const partsB = [
      { partNumber: 1, etag: b1 },
      { partNumber: 2, etag: b2 },
    ];
    await repo.completeMultipartUpload(path, idA, partsA);
    assert.deepEqual(await readAll((await repo.get(path)).body), Buffer.concat(a));
    // A's commit discarded B's staged parts: B is refused, and A's object is untouched.
    await assert.rejects(repo.completeMultipartUpload(path, idB, partsB), {
      code: 'INVALID_PARAMETER_VALUE',
      message: /parts 1, 2 are not uploaded/,
    });
    assert.deepEqual(await readAll((await repo.get(path)).body), Buffer.concat(a));
    // B's id is still live: re-sending its parts and completing replaces the object.
    await send(idB, 1, b[0]!);
    await send(idB, 2, b[1]!);
    const info = await repo.completeMultipartUpload(path, idB, partsB);
    assert.equal(info.size, b[0]!.length + b[1]!.length);
    assert.deepEqual(await readAll((await repo.get(path)).body), Buffer.concat(b));
  });

  test('a completion retried after success answers the same object; another is refused', async () => {
    const path = p('mpu/retry.bin');
    const id = await repo.createMultipartUpload(path);
    const etag = await repo.uploadPart(path, id, 1, from('only part'), { contentLength: 9 });
    const first = await repo.completeMultipartUpload(path, id, [{ partNumber: 1, etag }]);
    const again = await repo.completeMultipartUpload(path, id, [{ partNumber: 1, etag }]);
    assert.deepEqual(again, first);
    await assert.rejects(repo.completeMultipartUpload(path, id, [{ partNumber: 2, etag }]), {
      code: 'RESOURCE_DOES_NOT_EXIST',
    });
  });

  test('parts are checked: etags of other parts, unknown uploads, other paths, bad lengths', async () => {
    const path = p('mpu/checked.bin');
    const id = await repo.createMultipartUpload(path);
    const etag1 = await repo.uploadPart(path, id, 1, from('one'));
    await repo.uploadPart(path, id, 2, from('two'), { contentLength: 3 });
    await assert.rejects(
      repo.completeMultipartUpload(path, id, [
        { partNumber: 1, etag: etag1 },
        { partNumber: 2, etag: etag1 },
      ]),
      { code: 'INVALID_PARAMETER_VALUE' },
    );
    await assert.rejects(repo.uploadPart(p('mpu/other.bin'), id, 1, from('x')), { code: 'RESOURCE_DOES_NOT_EXIST' });
    await assert.rejects(repo.uploadPart(path, 'f'.repeat(32), 1, from('x')), { code: 'RESOURCE_DOES_NOT_EXIST' });
    await assert.rejects(repo.uploadPart(path, 'not-an-id', 1, from('x')), { code: 'RESOURCE_DOES_NOT_EXIST' });
    await assert.rejects(repo.uploadPart(path, id, 0, from('x')), { code: 'INVALID_PARAMETER_VALUE' });
    await assert.rejects(repo.uploadPart(path, id, 3, from('short'), { contentLength: 10 }), {
      code: 'INVALID_PARAMETER_VALUE',
    });
    await assert.rejects(repo.uploadPart(path, id, 3, from('too long'), { contentLength: 2 }), {
      code: 'INVALID_PARAMETER_VALUE',
    });
    await assert.rejects(repo.completeMultipartUpload(path, id, [{ partNumber: 3, etag: 'x' }]), {
      code: 'INVALID_PARAMETER_VALUE',
    });
    assert.equal(await repo.stat(path), undefined);
  });

  test('a part whose stream breaks rejects promptly and stages nothing', async () => {
    const path = p('mpu/broken-part.bin');
    const id = await repo.createMultipartUpload(path);
    const bytes = randomBytes(256 * KiB);
    await assert.rejects(
      repo.uploadPart(path, id, 1, brokenStream(bytes, 100 * KiB), { contentLength: bytes.length }),
      /client went away/,
    );
    assert.deepEqual(await uncommitted('runs/r1/mpu/broken-part.bin'), []);
  });

  test('open uploads are hidden from listings; the upload area is reserved', async () => {
    const id = await repo.createMultipartUpload(p('hidden/x.bin'));
    const top = (await repo.list(p(''))).files.map((f) => f.path);
    assert.ok(!top.some((path) => path.startsWith('.plumb')), top.join(', '));
    await assert.rejects(repo.get(p(`.plumb-uploads/${id}`)), { code: 'INVALID_PARAMETER_VALUE' });
    await assert.rejects(repo.put(p('.plumb-uploads/x'), from('x')), { code: 'INVALID_PARAMETER_VALUE' });
    await assert.rejects(repo.delete(p('.plumb-uploads')), { code: 'INVALID_PARAMETER_VALUE' });
    await repo.abortMultipartUpload(p('hidden/x.bin'), id);
  });

  test('cleanup only ends uploads of its own prefix, and only old enough ones', async () => {
    const other = new AzureBlobArtifactRepository({ container: container.client, prefix: 'runs/r2', description: 't' });
    const path = p('keep/x.bin');
    const id = await other.createMultipartUpload(path);
    const etag = await other.uploadPart(path, id, 1, from('kept'), { contentLength: 4 });
    await repo.createMultipartUpload(p('gone/x.bin'));
    assert.equal(await repo.cleanupAbandonedUploads(3_600_000), 0);
    assert.ok((await repo.cleanupAbandonedUploads(0)) >= 1);
    assert.equal((await other.completeMultipartUpload(path, id, [{ partNumber: 1, etag }])).size, 4);
  });

  test('a missing container is a configuration error, not a missing artifact', async () => {
    const missing = createAzureArtifactRepository({
      container: 'no-such-container',
      prefix: '',
      connectionString: container.azurite.connectionString,
    });
    await assert.rejects(missing.put(p('x.txt'), from('x')), { code: 'INVALID_STATE' });
    await assert.rejects(missing.stat(p('x.txt')), { code: 'INVALID_STATE' });
  });

  test('names Azure would store differently are refused', async () => {
    await assert.rejects(repo.put(p('model.'), from('x')), { code: 'INVALID_PARAMETER_VALUE' });
    await assert.rejects(repo.put(p(`${'a/'.repeat(600)}x`), from('x')), { code: 'INVALID_PARAMETER_VALUE' });
  });
});

describe('createAzureArtifactRepository', () => {
  const connectionString =
    'DefaultEndpointsProtocol=https;AccountName=acct1;AccountKey=c2VjcmV0;EndpointSuffix=core.windows.net';

  test('describes the location as a wasbs URI without secrets', () => {
    const repo = createAzureArtifactRepository({ container: 'models', prefix: '/a/b/', connectionString });
    assert.equal(repo.description, 'wasbs://models@acct1.blob.core.windows.net/a/b');
    const keyed = createAzureArtifactRepository({
      container: 'models',
      prefix: '',
      account: 'devstoreaccount1',
      accountKey: 'c2VjcmV0',
      endpoint: 'http://127.0.0.1:10000/devstoreaccount1/?sv=secret',
    });
    assert.equal(keyed.description, 'http://127.0.0.1:10000/devstoreaccount1/models/');
    assert.ok(!keyed.description.includes('secret'));
  });

  test('refuses missing credentials, bad names and a connection string for another account', () => {
    const refuse = (options: Parameters<typeof createAzureArtifactRepository>[0], pattern: RegExp) =>
      assert.throws(() => createAzureArtifactRepository(options), {
        code: 'INVALID_PARAMETER_VALUE',
        message: pattern,
      });
    refuse({ container: 'models', prefix: '', account: 'acct1' }, /AZURE_STORAGE_CONNECTION_STRING/);
    refuse({ container: 'Models', prefix: '', connectionString }, /container name/);
    refuse({ container: 'models', prefix: 'a/../b', connectionString }, /prefix/);
    refuse({ container: 'models', prefix: '', connectionString, account: 'acct2' }, /not 'acct2'/);
    refuse({ container: 'models', prefix: '', connectionString: 'AccountKey=c2VjcmV0;nonsense' }, /malformed/);
    refuse({ container: 'models', prefix: '', accountKey: 'c2VjcmV0' }, /account name/);
  });
});
