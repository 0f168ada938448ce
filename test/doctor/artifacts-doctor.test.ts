/**
 * `plumb doctor artifacts` on local disk, in process: artifacts uploaded through the API, then
 * damaged on disk behind the server's back (truncated, bytes changed at the same size, deleted,
 * a stray file, abandoned uploads), found, and the abandoned uploads repaired.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { LocalArtifactRepository } from '../../src/artifacts/local/local-artifact-repository.ts';
import { parseArtifactPath } from '../../src/core/artifact-path.ts';
import { Api, anExperiment, aRun, aRunInNewExperiment, assertOk } from '../fixtures/builders.ts';
import { createTestApp, type TestApp } from '../helpers/test-server.ts';
import { errorsOf, findingOf, ids, withDoctor } from './doctor-fixtures.ts';

const PROXY = '/api/2.0/mlflow-artifacts/artifacts';
const DAY = 86_400_000;

void describe('plumb doctor artifacts on local disk', () => {
  let test: TestApp;
  let api: Api;
  let root: string;
  let runRoot: string;
  before(async () => {
    test = await createTestApp();
    api = new Api(test);
    root = join(test.dir, 'mlartifacts');
    const run = await aRunInNewExperiment(api);
    runRoot = `${run.info.experiment_id}/${run.info.run_id}/artifacts`;
    for (const [name, size] of [
      ['a.bin', 1000],
      ['b.bin', 2000],
      ['c.txt', 10],
      ['nested/d.txt', 20],
    ] as const) {
      assertOk(await api.raw({ method: 'PUT', url: `${PROXY}/${runRoot}/${name}`, payload: randomBytes(size) }));
    }
    // A finished run gets a snapshot beside its artifacts, which no manifest entry records.
    assertOk(await api.post('runs/update', { run_id: run.info.run_id, status: 'FINISHED' }));
    await test.app.snapshots.flush();
  });
  after(async () => test.close());

  it('finds nothing wrong with an intact store, run snapshots included', async () => {
    assert.ok(existsSync(join(root, runRoot.replace(/artifacts$/, 'plumb-snapshot'), 'run.json')));
    const findings = await withDoctor(test, async (doctor) => (await doctor.artifacts()).run({ full: true }));
    assert.deepEqual(ids(findings), ['artifacts.summary']);
    assert.match(
      findingOf(findings, 'artifacts.summary').summary,
      /^Walked 4 objects .* and 4 manifest entries; hashed 4 \(all\)/,
    );
  });

  it('finds truncated, altered, missing and unrecorded objects, abandoned uploads and runs outside the store', async () => {
    truncateSync(join(root, runRoot, 'a.bin'), 500);
    const b = readFileSync(join(root, runRoot, 'b.bin'));
    b[0] = b[0]! ^ 0xff;
    writeFileSync(join(root, runRoot, 'b.bin'), b);
    rmSync(join(root, runRoot, 'c.txt'));
    writeFileSync(join(root, runRoot, 'stray.bin'), 'nobody recorded me');
    // A multipart upload and a put's temporary file, both left two days ago.
    const repository = new LocalArtifactRepository(root);
    const uploadId = await repository.createMultipartUpload(parseArtifactPath(`${runRoot}/big.bin`));
    await repository.uploadPart(
      parseArtifactPath(`${runRoot}/big.bin`),
      uploadId,
      1,
      Readable.from([Buffer.from('x')]),
    );
    const temp = join(root, '.plumb-uploads', randomUUID());
    writeFileSync(temp, 'half a file');
    const twoDaysAgo = new Date(Date.now() - 2 * DAY);
    utimesSync(join(root, '.plumb-uploads', `mpu-${uploadId}`), twoDaysAgo, twoDaysAgo);
    utimesSync(temp, twoDaysAgo, twoDaysAgo);
    // A fresh upload in progress is left alone.
    await repository.createMultipartUpload(parseArtifactPath(`${runRoot}/fresh.bin`));
    const elsewhere = await anExperiment(api, undefined, { artifact_location: 's3://another-bucket/exp' });
    const outside = await aRun(api, { experiment_id: elsewhere });

    const sampled = await withDoctor(test, async (doctor) => (await doctor.artifacts()).run({ sample: 0 }));
    // Without hashing, only the size tells: the altered bytes of b.bin go unnoticed.
    assert.deepEqual(errorsOf(sampled), ['artifacts.missing-objects', 'artifacts.size-mismatch']);

    const findings = await withDoctor(test, async (doctor) => (await doctor.artifacts()).run({ full: true }));
    assert.deepEqual(errorsOf(findings), [
      'artifacts.missing-objects',
      'artifacts.sha256-mismatch',
      'artifacts.size-mismatch',
    ]);
    assert.deepEqual(findingOf(findings, 'artifacts.size-mismatch').where?.items, [
      `${runRoot}/a.bin: 500 bytes stored, 1000 recorded`,
    ]);
    assert.match(
      findingOf(findings, 'artifacts.sha256-mismatch').where?.items[0] ?? '',
      new RegExp(`^${runRoot}/b\\.bin: sha256 `),
    );
    assert.match(
      findingOf(findings, 'artifacts.missing-objects').where?.items[0] ?? '',
      new RegExp(`^${runRoot}/c\\.txt `),
    );
    assert.deepEqual(findingOf(findings, 'artifacts.unrecorded-objects').where?.items, [
      `${runRoot}/stray.bin (18 bytes)`,
    ]);
    const stale = findingOf(findings, 'artifacts.stale-uploads');
    assert.equal(stale.where?.count, 2);
    assert.ok(stale.where?.items.some((i) => i.startsWith(`upload ${uploadId} of ${runRoot}/big.bin`)));
    assert.ok(stale.fixable);
    assert.deepEqual(findingOf(findings, 'artifacts.runs-outside-destination').where?.items, [
      `${outside.info.run_id}: s3://another-bucket/exp/${outside.info.run_id}/artifacts`,
    ]);
    assert.ok(findings.filter((f) => f.severity === 'error').every((f) => !f.fixable));

    const repairs = await withDoctor(test, async (doctor) => (await doctor.artifacts()).repair(ids(findings)), {
      repair: true,
    });
    assert.deepEqual(repairs, [
      { findingId: 'artifacts.stale-uploads', repaired: true, done: 'aborted 2 stale uploads' },
    ]);
    const after = await withDoctor(test, async (doctor) => (await doctor.artifacts()).run({ full: true }));
    assert.ok(!ids(after).includes('artifacts.stale-uploads'));
    assert.deepEqual(errorsOf(after), errorsOf(findings));
    // Repairs never touch recorded objects, even damaged ones.
    assert.equal(readFileSync(join(root, runRoot, 'a.bin')).length, 500);
  });
});
