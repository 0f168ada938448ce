/**
 * The hot/cold artifact tiers end to end (issue #12) on each cold store: a local directory,
 * Ceph RGW (S3) and Azurite. Hot is a temp directory. Downloads are checked both through the raw
 * MLflow artifact HTTP API and through Plumb's TypeScript client (src/client): the official
 * Python client is not installable here.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { PlumbClient } from '../../src/client/index.ts';
import { aRunInNewExperiment, assertOk, uniqueName } from '../fixtures/builders.ts';
import { COLD_KINDS, finish, HOUR, openTieredApp, PROXY, type TieredApp } from './tier-fixture.ts';

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function clientDownload(client: PlumbClient, runId: string, path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  await client.downloadArtifact(runId, path, sink);
  return Buffer.concat(chunks);
}

for (const kind of COLD_KINDS) {
  void describe(`artifact tiers, cold = ${kind}`, () => {
    let t: TieredApp;
    let baseUrl: string;
    before(async () => {
      t = await openTieredApp(kind, `tiers-${kind}`);
      baseUrl = await t.test.app.http.listen({ host: '127.0.0.1', port: 0 });
    });
    after(async () => t.close());

    void it('writes land hot; a move keeps URIs, listings and bytes (raw API and the TypeScript client)', async () => {
      const run = await aRunInNewExperiment(t.api);
      const bytes = randomBytes(300_000);
      const path = await t.upload(run, 'model/weights.bin', bytes);
      const entry = await t.entry(path);
      assert.equal(entry?.tier, 'hot');
      assert.ok(t.hotHas(path), 'the upload is in the hot directory');
      assert.equal(await t.cold.stat(path as never), undefined, 'and not yet in the cold store');

      const client = new PlumbClient({ trackingUri: baseUrl });
      const before = await clientDownload(client, run.info.run_id, 'model/weights.bin');
      const rawBefore = await t.api.raw({ method: 'GET', url: `${PROXY}/${path}?verify=true` });
      assertOk(rawBefore);
      const listBefore = await t.api.get('artifacts/list', { run_id: run.info.run_id, path: 'model' });

      await finish(t.api, run);
      const report = await t.mover().pass({ runId: run.info.run_id });
      assert.deepEqual(report.failed, []);
      assert.deepEqual(
        report.moved.map((m) => m.path),
        [path],
      );
      const moved = await t.entry(path);
      assert.equal(moved?.tier, 'cold');
      assert.equal(moved?.sha256, sha(bytes));
      assert.equal(moved?.moveStartedAt, undefined);
      assert.equal(t.hotHas(path), false, 'the hot copy is gone');
      assert.equal((await t.cold.stat(path as never))?.size, bytes.length);

      const after = await clientDownload(client, run.info.run_id, 'model/weights.bin');
      const rawAfter = await t.api.raw({ method: 'GET', url: `${PROXY}/${path}?verify=true` });
      assertOk(rawAfter);
      assert.ok(before.equals(bytes) && after.equals(bytes), 'the client reads identical bytes before and after');
      assert.ok(rawBefore.rawPayload.equals(bytes) && rawAfter.rawPayload.equals(bytes));
      assert.equal(rawAfter.headers['x-plumb-sha256'], sha(bytes), 'the manifest still describes the object');
      assert.deepEqual(
        (await t.api.get('artifacts/list', { run_id: run.info.run_id, path: 'model' })).body,
        listBefore.body,
      );
    });

    void it('moves finished runs by age only; running runs and young artifacts stay hot', async () => {
      const done = await aRunInNewExperiment(t.api);
      const running = await aRunInNewExperiment(t.api);
      const a = await t.upload(done, 'a.txt', 'finished run');
      const b = await t.upload(running, 'b.txt', 'running run');
      await finish(t.api, done);
      const young = await t.mover({ offsetMs: 1 * HOUR }).pass();
      assert.equal(young.moved.length, 0, 'nothing is 24 hours old yet');
      const old = await t.mover({ offsetMs: 25 * HOUR }).pass();
      assert.deepEqual(
        old.moved.map((m) => m.path),
        [a],
      );
      assert.equal((await t.entry(a))?.tier, 'cold');
      assert.equal((await t.entry(b))?.tier, 'hot');
      assert.equal((await t.api.raw({ method: 'GET', url: `${PROXY}/${a}` })).text, 'finished run');
      // On demand, a run moves whatever its state and age.
      const now = await t.mover().pass({ runId: running.info.run_id });
      assert.deepEqual(
        now.moved.map((m) => m.path),
        [b],
      );
      assert.equal((await t.api.raw({ method: 'GET', url: `${PROXY}/${b}` })).text, 'running run');
    });

    void it('keeps the hot tier under its budget, oldest first, and leaves pinned runs, experiments and aliases hot', async () => {
      // Earlier tests' objects moved already; these are all that is hot now.
      const pinnedRun = await aRunInNewExperiment(t.api);
      const pinnedExperimentRun = await aRunInNewExperiment(t.api);
      const champion = await aRunInNewExperiment(t.api);
      const plain = await aRunInNewExperiment(t.api);
      const name = uniqueName('model');
      assertOk(await t.api.post('registered-models/create', { name }));
      assertOk(
        await t.api.post('model-versions/create', {
          name,
          source: `${champion.info.artifact_uri}/m`,
          run_id: champion.info.run_id,
        }),
      );
      assertOk(await t.api.post('registered-models/alias', { name, alias: 'champion', version: '1' }));
      const kb = (n: number) => Buffer.alloc(1000, n);
      const pinned = [
        await t.upload(pinnedRun, 'p.bin', kb(1)),
        await t.upload(pinnedExperimentRun, 'e.bin', kb(2)),
        await t.upload(champion, 'm/model.bin', kb(3)),
      ];
      const oldest = await t.upload(plain, '1.bin', kb(4));
      const middle = await t.upload(plain, '2.bin', kb(5));
      const newest = await t.upload(plain, '3.bin', kb(6));
      for (const run of [pinnedRun, pinnedExperimentRun, champion]) await finish(t.api, run);
      const leftover = (await t.test.app.store.artifactManifest.listHot({ limit: 1000 })).filter(
        (e) => ![...pinned, oldest, middle, newest].includes(e.path),
      );
      assert.deepEqual(leftover, [], 'only this test’s objects are hot');

      const report = await t
        .mover({
          policy: {
            budgetBytes: 4000,
            pins: {
              runIds: [pinnedRun.info.run_id],
              experimentIds: [pinnedExperimentRun.info.experiment_id],
              models: [{ name, alias: 'champion' }],
            },
          },
        })
        .pass();
      // 6000 hot bytes, a 4000 budget, 3000 of them pinned: the two oldest unpinned move.
      assert.deepEqual(report.moved.map((m) => m.path).sort(), [oldest, middle].sort());
      assert.equal(report.pinned, 3);
      for (const path of [...pinned, newest]) assert.equal((await t.entry(path))?.tier, 'hot', path);
      // Aged past the policy, pinned objects still stay; the plain run is running, so its newest stays too.
      const aged = await t
        .mover({
          offsetMs: 48 * HOUR,
          policy: {
            pins: {
              runIds: [pinnedRun.info.run_id],
              experimentIds: [pinnedExperimentRun.info.experiment_id],
              models: [{ name, alias: 'champion' }],
            },
          },
        })
        .pass();
      assert.deepEqual(aged.moved, []);
      for (const path of pinned) assert.ok(t.hotHas(path), path);
    });

    void it('serves every read during moves, with identical bytes', async () => {
      const run = await aRunInNewExperiment(t.api);
      const files = new Map<string, Buffer>();
      for (let i = 0; i < 12; i += 1) {
        const bytes = randomBytes(150_000 + i);
        files.set(await t.upload(run, `many/f${i}.bin`, bytes), bytes);
      }
      await finish(t.api, run);
      let moving = true;
      let reads = 0;
      const readers = [0, 1, 2].map(async () => {
        while (moving) {
          for (const [path, bytes] of files) {
            const got = await t.api.raw({ method: 'GET', url: `${PROXY}/${path}` });
            assert.equal(got.status, 200, `${path}: ${got.text.slice(0, 200)}`);
            assert.ok(got.rawPayload.equals(bytes), `${path} returned other bytes`);
            reads += 1;
          }
        }
      });
      const report = await t.mover().pass({ runId: run.info.run_id });
      moving = false;
      await Promise.all(readers);
      assert.equal(report.moved.length, files.size);
      assert.ok(reads >= files.size, `reads ran during the move (${reads})`);
      for (const path of files.keys()) assert.equal(t.hotHas(path), false);
    });
  });
}
