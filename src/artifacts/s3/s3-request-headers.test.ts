import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { after, before, beforeEach, describe, it } from 'node:test';
import { S3Client } from '@aws-sdk/client-s3';
import { parseArtifactPath } from '../../core/artifact-path.ts';
import { S3ArtifactRepository } from './s3-artifact-repository.ts';
import { s3ClientConfig } from './s3-client-config.ts';

/**
 * What no S3 server here checks: the x-amz-checksum-* headers we send, that no request uses the
 * aws-chunked trailer encoding older S3-compatible servers refuse, and the If-None-Match header
 * of create-only completions (Ceph RGW 16 ignores it there). A fake S3 endpoint records
 * each request and answers like AWS (UploadPart echoes the part's checksum; Complete, like Ceph,
 * answers with an empty ETag).
 */
interface Recorded {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

const BUCKET = 'fake-bucket';
const p = (path: string) => parseArtifactPath(path);
const crc32Base64 = (data: Buffer) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(data));
  return out.toString('base64');
};
const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

/** Keys the fake holds; 'race' keys look absent to HEAD but a conditional write finds them taken. */
const stored = new Set<string>();

function answer(request: Recorded): { status: number; headers?: Record<string, string>; xml?: string } {
  const { method, url } = request;
  const query = url.searchParams;
  const key = url.pathname;
  const createOnly = request.headers['if-none-match'] === '*';
  if (createOnly && (method === 'PUT' || query.has('uploadId')) && !query.has('partNumber')) {
    if (stored.has(key) || key.includes('race')) {
      return { status: 412, xml: '<Error><Code>PreconditionFailed</Code></Error>' };
    }
  }
  if ((method === 'PUT' && !query.has('partNumber')) || (method === 'POST' && query.has('uploadId'))) stored.add(key);
  if (method === 'POST' && query.has('uploads')) {
    return {
      status: 200,
      xml: `<InitiateMultipartUploadResult><UploadId>up-1</UploadId></InitiateMultipartUploadResult>`,
    };
  }
  if (method === 'PUT' && query.has('partNumber')) {
    const checksum = request.headers['x-amz-checksum-crc32'];
    const echo: Record<string, string> = typeof checksum === 'string' ? { 'x-amz-checksum-crc32': checksum } : {};
    return { status: 200, headers: { ETag: `"${md5(request.body)}"`, ...echo } };
  }
  if (method === 'PUT') return { status: 200, headers: { ETag: `"${md5(request.body)}"` } };
  if (method === 'POST' && query.has('uploadId')) {
    return { status: 200, xml: `<CompleteMultipartUploadResult><ETag></ETag></CompleteMultipartUploadResult>` };
  }
  if (method === 'HEAD') {
    return stored.has(key)
      ? { status: 200, headers: { 'Content-Length': '12345', ETag: '"from-head-2"' } }
      : { status: 404 };
  }
  if (method === 'GET' && query.get('list-type') === '2') {
    const prefix = query.get('prefix') ?? '';
    return {
      status: 200,
      xml: `<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>${prefix}x.txt</Key><Size>1</Size></Contents></ListBucketResult>`,
    };
  }
  if (method === 'POST' && query.has('delete')) return { status: 200, xml: '<DeleteResult></DeleteResult>' };
  if (method === 'DELETE') return { status: 204 };
  return { status: 501, xml: '<Error><Code>NotImplemented</Code></Error>' };
}

void describe('S3 request headers (fake S3 endpoint)', () => {
  let server: Server;
  let requests: Recorded[] = [];
  let repo: S3ArtifactRepository;

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const recorded = {
          method: req.method ?? '',
          url: new URL(req.url ?? '/', 'http://fake'),
          headers: req.headers,
          body: Buffer.concat(chunks),
        };
        requests.push(recorded);
        const { status, headers = {}, xml } = answer(recorded);
        res.writeHead(status, { ...headers, ...(xml && { 'Content-Type': 'application/xml' }) });
        res.end(xml);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const options = {
      bucket: BUCKET,
      prefix: 'root',
      endpoint: `http://127.0.0.1:${port}`,
      credentials: { accessKeyId: 'fake', secretAccessKey: 'fake' },
    };
    repo = new S3ArtifactRepository({ client: new S3Client(s3ClientConfig(options)), ...options });
  });
  after(async () => {
    repo.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    requests = [];
  });

  const noTrailerEncoding = (request: Recorded) => {
    assert.doesNotMatch(String(request.headers['content-encoding'] ?? ''), /aws-chunked/);
    assert.equal(request.headers['x-amz-trailer'], undefined);
    assert.doesNotMatch(String(request.headers['x-amz-content-sha256'] ?? ''), /STREAMING/);
  };

  void it('a small put is one PutObject carrying the CRC32 of its bytes in a header', async () => {
    const bytes = randomBytes(3000);
    const info = await repo.put(p('a/small.bin'), Readable.from([bytes]));
    assert.equal(requests.length, 1);
    const [put] = requests;
    assert.ok(put);
    assert.equal(put.method, 'PUT');
    assert.equal(put.url.pathname, `/${BUCKET}/root/a/small.bin`);
    assert.deepEqual(put.body, bytes);
    assert.equal(put.headers['x-amz-checksum-crc32'], crc32Base64(bytes));
    noTrailerEncoding(put);
    assert.deepEqual(info, { size: bytes.length, etag: md5(bytes) });
  });

  void it('a large put asks for CRC32 up front, checksums every part and lists the checksums on completion', async () => {
    const bytes = randomBytes(8 * 1024 * 1024 + 4096);
    const info = await repo.put(p('a/large.bin'), Readable.from([bytes]));
    const create = requests.find((r) => r.method === 'POST' && r.url.searchParams.has('uploads'));
    assert.equal(create?.headers['x-amz-checksum-algorithm'], 'CRC32');
    const parts = requests.filter((r) => r.url.searchParams.has('partNumber'));
    assert.equal(parts.length, 2);
    for (const part of parts) {
      assert.equal(part.headers['x-amz-checksum-crc32'], crc32Base64(part.body), 'the checksum of this part');
      noTrailerEncoding(part);
    }
    assert.deepEqual(
      Buffer.concat(
        parts
          .sort((a, b) => Number(a.url.searchParams.get('partNumber')) - Number(b.url.searchParams.get('partNumber')))
          .map((r) => r.body),
      ),
      bytes,
    );
    const complete = requests.find((r) => r.method === 'POST' && r.url.searchParams.has('uploadId'));
    const xml = complete?.body.toString() ?? '';
    for (const part of parts) assert.ok(xml.includes(`<ChecksumCRC32>${crc32Base64(part.body)}</ChecksumCRC32>`), xml);
    // Complete answered with an empty ETag (as Ceph RGW does), so the object's ETag came from HEAD.
    assert.equal(requests.at(-1)?.method, 'HEAD');
    assert.deepEqual(info, { size: 12345, etag: 'from-head-2' });
  });

  void it('a streamed part is sent with its Content-Length and no checksum or chunked trailer', async () => {
    const bytes = randomBytes(70_000);
    const etag = await repo.uploadPart(p('a/mpu.bin'), 'up-1', 3, Readable.from([bytes]), {
      contentLength: bytes.length,
    });
    assert.equal(etag, `"${md5(bytes)}"`);
    const [part] = requests;
    assert.ok(part);
    assert.equal(part.headers['content-length'], String(bytes.length));
    assert.deepEqual(
      Object.keys(part.headers).filter((h) => h.startsWith('x-amz-checksum')),
      [],
    );
    noTrailerEncoding(part);
    assert.deepEqual(part.body, bytes);
  });

  void it('a create-only put sends If-None-Match: * on the request that makes the object visible', async () => {
    await repo.put(p('absent/small.bin'), Readable.from([randomBytes(10)]), { ifAbsent: true });
    assert.deepEqual(
      requests.map((r) => [r.method, r.headers['if-none-match']]),
      [
        ['HEAD', undefined],
        ['PUT', '*'],
      ],
    );
    requests = [];
    await repo.put(p('absent/large.bin'), Readable.from([randomBytes(9 * 1024 * 1024)]), { ifAbsent: true });
    const complete = requests.find((r) => r.method === 'POST' && r.url.searchParams.has('uploadId'));
    assert.equal(complete?.headers['if-none-match'], '*');
    const create = requests.find((r) => r.url.searchParams.has('uploads'));
    assert.equal(create?.headers['if-none-match'], undefined, 'only the completion is conditional');
  });

  void it('a create-only completion is conditional too, and refuses an object found before or by S3', async () => {
    const info = await repo.completeMultipartUpload(p('absent/mpu.bin'), 'up-1', [{ partNumber: 1, etag: '"e"' }], {
      ifAbsent: true,
    });
    assert.equal(info.etag, 'from-head-2');
    const complete = requests.find((r) => r.method === 'POST');
    assert.equal(complete?.headers['if-none-match'], '*');
    requests = [];
    // Found by the HEAD first: the (Ceph) server that ignores the header is never asked to complete.
    await assert.rejects(
      repo.completeMultipartUpload(p('absent/mpu.bin'), 'up-1', [{ partNumber: 1, etag: '"e"' }], { ifAbsent: true }),
      { code: 'RESOURCE_CONFLICT', message: "Artifact 'absent/mpu.bin' already exists" },
    );
    assert.deepEqual(
      requests.map((r) => r.method),
      ['HEAD'],
    );
    // Created by a racing writer after the HEAD: S3's 412.
    await assert.rejects(
      repo.completeMultipartUpload(p('race/mpu.bin'), 'up-1', [{ partNumber: 1, etag: '"e"' }], { ifAbsent: true }),
      { code: 'RESOURCE_CONFLICT', message: "Artifact 'race/mpu.bin' already exists" },
    );
    await assert.rejects(repo.put(p('race/small.bin'), Readable.from([randomBytes(10)]), { ifAbsent: true }), {
      code: 'RESOURCE_CONFLICT',
      message: "Artifact 'race/small.bin' already exists",
    });
  });

  void it('DeleteObjects, which S3 requires a checksum for, carries a correct one', async () => {
    await repo.delete(p('dir'));
    const batch = requests.find((r) => r.method === 'POST' && r.url.searchParams.has('delete'));
    assert.ok(batch, 'a DeleteObjects request');
    assert.match(batch.body.toString(), /<Key>root\/dir\/x\.txt<\/Key>/);
    const md5Header = batch.headers['content-md5'];
    const crcHeader = batch.headers['x-amz-checksum-crc32'];
    if (crcHeader !== undefined) assert.equal(crcHeader, crc32Base64(batch.body));
    else assert.equal(md5Header, createHash('md5').update(batch.body).digest('base64'));
  });
});
