/**
 * `plumb doctor artifacts` on S3 (Ceph radosgw): objects uploaded through the API, then replaced
 * behind the server's back with the SDK (shorter, or the same size with other bytes), a stray
 * object and an abandoned multipart upload; found, and the upload aborted by the repair.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CreateMultipartUploadCommand, ListMultipartUploadsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Api, aRunInNewExperiment, assertOk } from '../fixtures/builders.ts';
import { createTestBucket, ensureTestS3, type TestBucket } from '../helpers/s3-service.ts';
import { createTestApp, type TestApp } from '../helpers/test-server.ts';
import { errorsOf, findingOf, ids, withDoctor } from './doctor-fixtures.ts';

const PROXY = '/api/2.0/mlflow-artifacts/artifacts';
const PREFIX = 'plumb/artifacts';

void describe('plumb doctor artifacts on S3 (Ceph radosgw)', () => {
  let bucket: TestBucket;
  let test: TestApp;
  let api: Api;
  let destination: string;
  let env: Record<string, string>;
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  before(async () => {
    const s3 = await ensureTestS3();
    bucket = await createTestBucket(s3, 'doctor');
    // The SDK takes credentials from its standard chain, as the server's does.
    process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
    destination = `s3://${bucket.name}/${PREFIX}`;
    env = { MLFLOW_S3_ENDPOINT_URL: s3.endpoint };
    test = await createTestApp({ env, artifactsDestination: destination });
    api = new Api(test);
  });
  after(async () => {
    await test.close();
    await bucket.close();
    process.env.AWS_ACCESS_KEY_ID = saved.id;
    process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
    if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
  });

  const put = (key: string, body: Buffer | string) =>
    bucket.client.send(new PutObjectCommand({ Bucket: bucket.name, Key: `${PREFIX}/${key}`, Body: body }));

  it('finds a truncated object, changed bytes (with --full), a stray object and an abandoned upload', async () => {
    const run = await aRunInNewExperiment(api);
    const runRoot = `${run.info.experiment_id}/${run.info.run_id}/artifacts`;
    const b = randomBytes(3000);
    assertOk(await api.raw({ method: 'PUT', url: `${PROXY}/${runRoot}/a.bin`, payload: randomBytes(2000) }));
    assertOk(await api.raw({ method: 'PUT', url: `${PROXY}/${runRoot}/b.bin`, payload: b }));
    assertOk(await api.raw({ method: 'PUT', url: `${PROXY}/${runRoot}/c.txt`, payload: 'fine' }));
    const target = { backendStoreUri: undefined, artifactsDestination: destination, env };
    const clean = await withDoctor(test, async (doctor) => (await doctor.artifacts()).run({ full: true }), target);
    assert.deepEqual(ids(clean), ['artifacts.summary']);

    await put(`${runRoot}/a.bin`, randomBytes(1000));
    b[10] = b[10]! ^ 0x01;
    await put(`${runRoot}/b.bin`, b);
    await put(`${runRoot}/stray.txt`, 'written around plumb');
    const upload = await bucket.client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket.name, Key: `${PREFIX}/${runRoot}/big.bin` }),
    );

    const sampled = await withDoctor(test, async (doctor) => (await doctor.artifacts()).run({ sample: 0 }), target);
    assert.deepEqual(errorsOf(sampled), ['artifacts.size-mismatch']);
    const findings = await withDoctor(
      test,
      async (doctor) => (await doctor.artifacts()).run({ full: true, staleAfterMs: 0 }),
      target,
    );
    assert.deepEqual(errorsOf(findings), ['artifacts.sha256-mismatch', 'artifacts.size-mismatch']);
    assert.deepEqual(findingOf(findings, 'artifacts.size-mismatch').where?.items, [
      `${runRoot}/a.bin: 1000 bytes stored, 2000 recorded`,
    ]);
    assert.equal(findingOf(findings, 'artifacts.size-mismatch').where?.scope, `${destination}, object keys`);
    assert.match(
      findingOf(findings, 'artifacts.sha256-mismatch').where?.items[0] ?? '',
      new RegExp(`^${runRoot}/b\\.bin`),
    );
    assert.deepEqual(findingOf(findings, 'artifacts.unrecorded-objects').where?.items, [
      `${runRoot}/stray.txt (20 bytes)`,
    ]);
    assert.deepEqual(
      findingOf(findings, 'artifacts.stale-uploads').where?.items.map((i) => i.split(',')[0]),
      [`upload ${upload.UploadId} of ${runRoot}/big.bin`],
    );

    const repairs = await withDoctor(
      test,
      async (doctor) => (await doctor.artifacts()).repair(ids(findings), { staleAfterMs: 0 }),
      { ...target, repair: true },
    );
    assert.deepEqual(
      repairs.map((r) => r.done),
      ['aborted 1 stale upload'],
    );
    const open = await bucket.client.send(new ListMultipartUploadsCommand({ Bucket: bucket.name }));
    assert.deepEqual(open.Uploads ?? [], []);
  });
});
