/**
 * The proxied artifact API end to end on each remote store, as an operator configures it:
 * `--artifacts-destination s3://…` with MLFLOW_S3_ENDPOINT_URL (Ceph radosgw here) and
 * `wasbs://…` with AZURE_STORAGE_CONNECTION_STRING (Azurite here).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type TestContainer, createTestContainer } from '../helpers/azurite-service.ts';
import { createTestBucket, ensureTestS3, type TestBucket } from '../helpers/s3-service.ts';
import { createTestApp, type TestApp } from '../helpers/test-server.ts';
import { aRunInNewExperiment, Api, assertOk } from '../fixtures/builders.ts';

const PROXY = '/api/2.0/mlflow-artifacts/artifacts';

function proxyRoundTrip(name: string, open: () => Promise<{ test: TestApp; close(): Promise<void> }>) {
  void describe(`artifact proxy on ${name}`, () => {
    let api: Api;
    let close: () => Promise<void>;
    before(async () => {
      const opened = await open();
      api = new Api(opened.test);
      close = opened.close;
    });
    after(async () => close());

    void it('stores, lists, downloads with the recorded digest, and keeps finished runs immutable', async () => {
      const run = await aRunInNewExperiment(api);
      const root = `${run.info.experiment_id}/${run.info.run_id}/artifacts`;
      const bytes = randomBytes(300_000);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const put = await api.raw({ method: 'PUT', url: `${PROXY}/${root}/model/weights.bin`, payload: bytes });
      assertOk(put);
      const listing = await api.get('artifacts/list', { run_id: run.info.run_id, path: 'model' });
      assertOk(listing);
      assert.deepEqual((listing.body as { files?: unknown }).files, [
        { path: 'model/weights.bin', is_dir: false, file_size: bytes.length },
      ]);
      const got = await api.raw({ method: 'GET', url: `${PROXY}/${root}/model/weights.bin?verify=true` });
      assertOk(got);
      assert.equal(got.headers['x-plumb-sha256'], sha256);
      assert.equal(createHash('sha256').update(got.rawPayload).digest('hex'), sha256);

      assertOk(await api.post('runs/update', { run_id: run.info.run_id, status: 'FINISHED' }));
      const overwrite = await api.raw({ method: 'PUT', url: `${PROXY}/${root}/model/weights.bin`, payload: 'x' });
      assert.equal(overwrite.status, 409, overwrite.text);
      assertOk(await api.raw({ method: 'PUT', url: `${PROXY}/${root}/model/extra.txt`, payload: 'new file' }));
      await api.test.app.snapshots.flush();
      const missing = await api.raw({ method: 'GET', url: `${PROXY}/${root}/nope.bin` });
      assert.equal(missing.status, 404);
    });
  });
}

proxyRoundTrip('S3 (Ceph radosgw)', async () => {
  const s3 = await ensureTestS3();
  const bucket: TestBucket = await createTestBucket(s3, 'app-proxy');
  // The AWS SDK takes credentials from its standard chain, as it does for MLflow's server.
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
  const test = await createTestApp({
    env: { MLFLOW_S3_ENDPOINT_URL: s3.endpoint },
    artifactsDestination: `s3://${bucket.name}/plumb/artifacts`,
  });
  return {
    test,
    async close() {
      await test.close();
      await bucket.close();
      process.env.AWS_ACCESS_KEY_ID = saved.id;
      process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    },
  };
});

proxyRoundTrip('Azure Blob (Azurite)', async () => {
  const container: TestContainer = await createTestContainer();
  const test = await createTestApp({
    env: { AZURE_STORAGE_CONNECTION_STRING: container.azurite.connectionString },
    artifactsDestination: `wasbs://${container.name}@devstoreaccount1.blob.core.windows.net/plumb/artifacts`,
  });
  return {
    test,
    async close() {
      await test.close();
      await container.drop();
    },
  };
});
