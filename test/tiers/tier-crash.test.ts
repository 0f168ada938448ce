/**
 * Kills `plumb artifacts tier` (a real process, SIGKILL through the PLUMB_TEST_TIER_CRASH_AT test
 * hook) after each step of a move — after copy, after verify, after the manifest update, after the
 * hot delete — on Ceph RGW (S3) and Azurite cold stores. After each crash, every object still has
 * one manifest row whose tier holds a complete copy with the recorded sha256, and reads return the
 * original bytes; the next mover run finishes the move, leaving one cold copy, no hot copy, no claim.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ArtifactRepository } from '../../src/artifacts/artifact-repository.ts';
import { LocalArtifactRepository } from '../../src/artifacts/local/local-artifact-repository.ts';
import type { ArtifactPath } from '../../src/core/artifact-path.ts';
import { MOVE_STEPS } from '../../src/artifacts/tiered/tier-mover.ts';
import { describeExit, runPlumb } from '../helpers/plumb-process.ts';
import { aRunInNewExperiment } from '../fixtures/builders.ts';
import { finish, openTieredApp, PROXY, type TieredApp } from './tier-fixture.ts';

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function shaOf(repository: ArtifactRepository, path: string): Promise<string> {
  const { body } = await repository.get(path as ArtifactPath);
  const hash = createHash('sha256');
  for await (const chunk of body) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

for (const kind of ['s3', 'azure'] as const) {
  void describe(`killing the mover at each step, cold = ${kind}`, () => {
    let t: TieredApp;
    let hot: LocalArtifactRepository;
    const tier = (args: string[], env: Record<string, string>) =>
      runPlumb(
        [
          'artifacts',
          'tier',
          '--backend-store-uri',
          t.storeUri,
          '--artifacts-destination',
          t.coldStore.destination,
          '--artifacts-hot',
          `file://${t.hotDir}`,
          '--json',
          ...args,
        ],
        { cwd: t.test.dir, env: { ...t.coldStore.env, ...env }, timeoutMs: 60_000 },
      );
    before(async () => {
      t = await openTieredApp(kind, `crash-${kind}`);
      hot = new LocalArtifactRepository(t.hotDir);
    });
    after(async () => t.close());

    for (const step of MOVE_STEPS) {
      void it(`${step}: one verified copy survives, and the next run finishes the move`, async () => {
        const run = await aRunInNewExperiment(t.api);
        const files = new Map<string, Buffer>();
        for (const name of ['a.bin', 'b.bin'])
          files.set(await t.upload(run, name, randomBytes(200_000)), Buffer.alloc(0));
        for (const path of files.keys()) {
          files.set(path, (await t.api.raw({ method: 'GET', url: `${PROXY}/${path}` })).rawPayload);
        }
        await finish(t.api, run);

        const crashed = await tier(['--run', run.info.run_id], { PLUMB_TEST_TIER_CRASH_AT: step });
        assert.equal(
          crashed.signal,
          'SIGKILL',
          `the hook killed the mover: ${describeExit(crashed)} ${crashed.stderr}`,
        );

        for (const [path, bytes] of files) {
          const entry = await t.entry(path);
          assert.ok(entry, `${path} keeps its manifest row`);
          assert.equal(entry.sha256, sha(bytes));
          const named = entry.tier === 'cold' ? t.cold : hot;
          assert.equal(await shaOf(named, path), entry.sha256, `${path}: the ${entry.tier} tier holds a verified copy`);
          const read = await t.api.raw({ method: 'GET', url: `${PROXY}/${path}` });
          assert.ok(read.rawPayload.equals(bytes), `${path} reads the same bytes after the crash`);
        }

        const resumed = await tier(['--run', run.info.run_id], { PLUMB_ARTIFACTS_TIER_LEASE_MS: '0' });
        assert.equal(resumed.code, 0, `${describeExit(resumed)} ${resumed.stderr}`);
        const report = JSON.parse(resumed.stdout) as { recovered: string[]; failed: unknown[] };
        assert.deepEqual(report.failed, []);
        assert.ok(report.recovered.length >= 1, `the half-done move was taken over: ${resumed.stdout}`);

        const root = `${run.info.experiment_id}/${run.info.run_id}/artifacts` as ArtifactPath;
        const rows = await t.test.app.store.artifactManifest.listUnder(root);
        assert.deepEqual(rows.map((r) => r.path).sort(), [...files.keys()].sort(), 'one row per object');
        const coldListing = (await t.cold.list(root)).files.map((f) => f.path).sort();
        assert.deepEqual(coldListing, [...files.keys()].sort(), 'one cold object per path');
        for (const [path, bytes] of files) {
          const entry = await t.entry(path);
          assert.equal(entry?.tier, 'cold');
          assert.equal(entry?.moveStartedAt, undefined, 'no claim is left');
          assert.equal(await shaOf(t.cold, path), sha(bytes));
          assert.equal(t.hotHas(path), false, `${path}: no hot copy is left`);
          const read = await t.api.raw({ method: 'GET', url: `${PROXY}/${path}?verify=true` });
          assert.ok(read.rawPayload.equals(bytes));
        }
      });
    }
  });
}
