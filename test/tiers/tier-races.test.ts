/**
 * A write that races a move wins: an upload that replaces an object while the mover copies it
 * keeps its new bytes hot and recorded, the stale cold copy is removed, and nothing reads the old
 * bytes afterwards. A move whose cold copy does not verify leaves the object hot and counts a failure.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { ArtifactRepository } from '../../src/artifacts/artifact-repository.ts';
import { LocalArtifactRepository } from '../../src/artifacts/local/local-artifact-repository.ts';
import { type MoveStep, TierMover } from '../../src/artifacts/tiered/tier-mover.ts';
import type { ArtifactPath } from '../../src/core/artifact-path.ts';
import { aRunInNewExperiment } from '../fixtures/builders.ts';
import { openTieredApp, PROXY, type TieredApp } from './tier-fixture.ts';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

void describe('moves racing writes, and copies that do not verify', () => {
  let t: TieredApp;
  let hot: LocalArtifactRepository;
  const moverWith = (deps: { cold?: ArtifactRepository; afterStep?: (step: MoveStep) => void }, failures: number[]) =>
    new TierMover({
      hot,
      cold: deps.cold ?? t.cold,
      manifest: t.test.app.store.artifactManifest,
      runInfo: async () => undefined,
      policy: { maxAgeMs: 0, leaseMs: 60_000 },
      pins: { experimentIds: new Set(), pinnedRuns: async () => new Set() },
      clock: { now: Date.now },
      node: undefined,
      observer: { moved: () => undefined, moveFailed: () => failures.push(1) },
      afterStep: deps.afterStep,
    });
  before(async () => {
    t = await openTieredApp('local', 'races', { PLUMB_ARTIFACTS_HOT_SHARED: 'true' });
    hot = new LocalArtifactRepository(t.hotDir);
  });
  after(async () => t.close());

  void it('keeps an upload that lands during the copy, and drops the stale cold copy', async () => {
    const run = await aRunInNewExperiment(t.api);
    const path = await t.upload(run, 'model.txt', 'version one');
    let replaced = false;
    const mover = moverWith(
      {
        afterStep: async (step) => {
          if (step !== 'after-copy' || replaced) return;
          replaced = true;
          // The run is still running, so the client may overwrite: the upload completes mid-move.
          await t.api.raw({ method: 'PUT', url: `${PROXY}/${path}`, payload: 'version two' });
        },
      },
      [],
    );
    const report = await mover.pass({ runId: run.info.run_id });
    assert.ok(replaced);
    assert.deepEqual(report.moved, [], 'the move yields to the newer version');
    assert.deepEqual(report.failed, []);
    const entry = await t.entry(path);
    assert.equal(entry?.tier, 'hot');
    assert.equal(entry?.sha256, sha('version two'));
    assert.equal(entry?.moveStartedAt, undefined, 'the new version carries no claim');
    assert.equal(await t.cold.stat(path as ArtifactPath), undefined, 'the stale cold copy is gone');
    assert.equal((await t.api.raw({ method: 'GET', url: `${PROXY}/${path}` })).text, 'version two');
    assert.equal(t.hotHas(path), true, 'the new version is hot');
  });

  void it('leaves the object hot when the cold copy does not verify, and counts the failure', async () => {
    const run = await aRunInNewExperiment(t.api);
    const path = await t.upload(run, 'weights.bin', 'the real bytes');
    const failures: number[] = [];
    // A cold store that silently truncates what it is given.
    const lossy: ArtifactRepository = Object.create(t.cold) as ArtifactRepository;
    lossy.put = async (p, body, options) => {
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk as Buffer);
      return t.cold.put(p, Readable.from([Buffer.concat(chunks).subarray(0, 4)]), { ...options, contentLength: 4 });
    };
    const report = await moverWith({ cold: lossy }, failures).pass({ runId: run.info.run_id });
    assert.equal(report.moved.length, 0);
    assert.match(report.failed[0]?.message ?? '', /does not match the manifest/);
    assert.deepEqual(failures, [1]);
    const entry = await t.entry(path);
    assert.equal(entry?.tier, 'hot');
    assert.equal(entry?.moveStartedAt, undefined, 'the claim is released for a later pass');
    assert.equal(await t.cold.stat(path as ArtifactPath), undefined, 'the bad copy is deleted');
    assert.equal((await t.api.raw({ method: 'GET', url: `${PROXY}/${path}` })).text, 'the real bytes');
  });
});
