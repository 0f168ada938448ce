/**
 * Artifacts through the client against a live server: uploads of bytes, files and streams under a
 * run's root, listing, streamed downloads checked against the manifest's sha256, multipart uploads
 * of large files (aborted when a part fails), and a download whose digest does not match.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ArtifactIntegrityError, MlflowApiError, PlumbClient } from '../../src/client/index.ts';
import { startTestServer } from '../helpers/test-server.ts';
import { Receiver } from './receiver.ts';
import { RecordingProxy } from './recording-proxy.ts';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

void describe('client artifacts against a live server', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let client: PlumbClient;
  let dir: string;
  const closers: (() => Promise<void>)[] = [];
  before(async () => {
    server = await startTestServer();
    client = new PlumbClient({ trackingUri: server.baseUrl, env: {} });
    dir = mkdtempSync(join(tmpdir(), 'plumb-client-artifacts-'));
  });
  after(async () => {
    await Promise.all(closers.map((close) => close()));
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  void it('uploads bytes, a file and a stream under the run, lists them and downloads them verified', async () => {
    const run = await client.startRun();
    const file = join(dir, 'weights.bin');
    const fileBytes = randomBytes(300_000);
    writeFileSync(file, fileBytes);
    await run.logArtifact(Buffer.from('{"a":1}'), 'config.json');
    await run.logArtifact(file, 'model/weights.bin');
    await run.logArtifact(Readable.from([Buffer.from('line 1\n'), Buffer.from('line 2\n')]), 'logs/train.log');

    const top = await client.listArtifacts(run.id);
    assert.deepEqual(top.map((f) => [f.path, f.is_dir]).sort(), [
      ['config.json', false],
      ['logs', true],
      ['model', true],
    ]);
    const listed = await client.tracking.listArtifacts(run.id, 'model');
    assert.deepEqual(listed.files, [{ path: 'model/weights.bin', is_dir: false, file_size: 300_000 }]);

    const target = join(dir, 'weights.copy');
    const result = await client.downloadArtifact(run.id, 'model/weights.bin', target);
    assert.deepEqual(result, { bytes: 300_000, sha256: sha256(fileBytes), verified: true });
    assert.ok(readFileSync(target).equals(fileBytes));

    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (chunk: Buffer) => chunks.push(chunk));
    const streamed = await client.downloadArtifact(run.id, 'logs/train.log', sink);
    assert.equal(Buffer.concat(chunks).toString(), 'line 1\nline 2\n');
    assert.equal(streamed.verified, true);
  });

  void it('sends a file over the threshold in parts through mpu/create, parts and complete', async () => {
    const proxy = await RecordingProxy.start(server.baseUrl);
    closers.push(() => proxy.close());
    const viaProxy = new PlumbClient({
      trackingUri: proxy.baseUrl,
      env: {},
      multipartThresholdBytes: 1024 * 1024,
      multipartPartBytes: 256 * 1024,
      multipartConcurrency: 3,
    });
    const run = await viaProxy.startRun();
    const bytes = randomBytes(1024 * 1024 + 12_345);
    const file = join(dir, 'big.bin');
    writeFileSync(file, bytes);
    await viaProxy.logArtifact(run.id, file, 'big.bin');
    const kinds = proxy.seen.map((r) => r.path.replace(/^\/api\/2\.0\/mlflow-artifacts\/([^/]+(\/[^/]+)?).*$/, '$1'));
    assert.equal(kinds.filter((k) => k === 'mpu/create').length, 1);
    assert.equal(kinds.filter((k) => k === 'mpu/parts').length, 5);
    assert.equal(kinds.filter((k) => k === 'mpu/complete').length, 1);
    const singlePuts = proxy.seen.filter(
      (r) => r.method === 'PUT' && r.path.startsWith('/api/2.0/mlflow-artifacts/artifacts/'),
    );
    assert.equal(singlePuts.length, 0, 'no single PUT');
    const copy = join(dir, 'big.copy');
    const result = await viaProxy.downloadArtifact(run.id, 'big.bin', copy);
    assert.equal(result.sha256, sha256(bytes));
    assert.equal(result.verified, true);
    assert.ok(readFileSync(copy).equals(bytes));
  });

  void it('aborts the multipart upload when a part is refused, leaving nothing behind', async () => {
    const proxy = await RecordingProxy.start(server.baseUrl, (request) =>
      request.url?.includes('part_number=2')
        ? { status: 400, body: JSON.stringify({ error_code: 'INVALID_PARAMETER_VALUE', message: 'bad part' }) }
        : undefined,
    );
    closers.push(() => proxy.close());
    const viaProxy = new PlumbClient({
      trackingUri: proxy.baseUrl,
      env: {},
      multipartThresholdBytes: 100_000,
      multipartPartBytes: 64 * 1024,
    });
    const run = await viaProxy.startRun();
    const file = join(dir, 'doomed.bin');
    writeFileSync(file, randomBytes(200_000));
    const error = await viaProxy.logArtifact(run.id, file, 'doomed.bin').catch((e: unknown) => e);
    assert.ok(error instanceof MlflowApiError, String(error));
    assert.equal(error.errorCode, 'INVALID_PARAMETER_VALUE');
    assert.equal(proxy.seen.filter((r) => r.path.includes('/mpu/abort/')).length, 1);
    const missing = await viaProxy
      .downloadArtifact(run.id, 'doomed.bin', join(dir, 'doomed.copy'))
      .catch((e: unknown) => e);
    assert.ok(missing instanceof MlflowApiError);
    assert.equal(missing.status, 404);
    assert.equal(existsSync(join(dir, 'doomed.copy')), false);
  });

  void it('refuses a download whose bytes differ from the sha256 the server announced, and keeps no file', async () => {
    const body = Buffer.from('tampered bytes');
    const receiver = await Receiver.start(() => ({
      status: 200,
      body,
      headers: { 'content-type': 'application/octet-stream', 'x-plumb-sha256': sha256(Buffer.from('original bytes')) },
    }));
    closers.push(() => receiver.close());
    const lying = new PlumbClient({ trackingUri: receiver.baseUrl, env: {} });
    const target = join(dir, 'tampered.bin');
    const error = await lying.artifacts.download('1/r/artifacts/a.bin', target).catch((e: unknown) => e);
    assert.ok(error instanceof ArtifactIntegrityError, String(error));
    assert.equal(error.actualSha256, sha256(body));
    assert.equal(existsSync(target), false);
    assert.equal(receiver.requests[0]?.url, '/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/a.bin');
  });
});
