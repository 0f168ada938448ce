/**
 * `plumb doctor artifacts` with a hot tier (each entry checked in the tier it names; a per-node hot
 * copy on a node that is gone reported as at risk; half-done moves reported), the 503 another
 * replica answers for an object hot on a node's own disk, and the tier metrics of /metrics with
 * the server's own periodic mover.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openDoctor } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { ArtifactPath } from '../../src/core/artifact-path.ts';
import type { Finding } from '../../src/doctor/finding.ts';
import { aRunInNewExperiment, assertOk } from '../fixtures/builders.ts';
import { sleep } from '../helpers/plumb-process.ts';
import { finish, openTieredApp, PROXY, type TieredApp } from './tier-fixture.ts';

void describe('doctor artifacts with a hot tier', () => {
  let t: TieredApp;
  const doctorFindings = async (): Promise<Finding[]> => {
    const config = loadConfig(
      { PLUMB_LOG_LEVEL: 'silent', PLUMB_ARTIFACTS_HOT: `file://${t.hotDir}` },
      { backendStoreUri: t.storeUri, artifactsDestination: t.coldStore.destination },
    );
    const doctor = await openDoctor(config, { repair: false });
    try {
      return await (await doctor.artifacts()).run({ full: true });
    } finally {
      await doctor.close();
    }
  };
  const ids = (findings: Finding[]) => findings.map((f) => f.id);
  before(async () => {
    t = await openTieredApp('local', 'doctor');
  });
  after(async () => t.close());

  void it('finds every entry in the tier it names, and reports what is missing there', async () => {
    const run = await aRunInNewExperiment(t.api);
    const oldest = await t.upload(run, 'first.txt', 'old bytes');
    await t.upload(run, 'second.txt', 'new bytes!');
    await finish(t.api, run);
    const report = await t.mover({ policy: { budgetBytes: 10 } }).pass();
    assert.deepEqual(
      report.moved.map((m) => m.path),
      [oldest],
      'the budget moves the oldest',
    );
    const healthy = await doctorFindings();
    assert.ok(!healthy.some((f) => f.severity === 'error'), JSON.stringify(healthy, null, 2));
    const summary = healthy.find((f) => f.id === 'artifacts.tiers');
    assert.match(summary?.summary ?? '', /1 object \(10 bytes\) hot, 1 object \(9 bytes\) cold; 2 checked/);

    // The manifest names the cold copy; with it gone, the hot tier has none either.
    await t.cold.delete(oldest as ArtifactPath);
    const broken = await doctorFindings();
    const missing = broken.find((f) => f.id === 'artifacts.tier-copy-missing');
    assert.ok(missing, JSON.stringify(broken, null, 2));
    assert.equal(missing.where?.count, 1);
    assert.match(missing.where?.items[0] ?? '', new RegExp(`^${oldest}: cold tier: `));
  });

  void it('reports hot copies on a node that is gone as at risk, and other replicas answer 503 for them', async () => {
    const run = await aRunInNewExperiment(t.api);
    const path = `${run.info.experiment_id}/${run.info.run_id}/artifacts/elsewhere.bin` as ArtifactPath;
    // What a replica on host `gone-host` recorded for an upload to its own disk.
    await t.test.app.store.artifactManifest.record({
      path,
      runId: run.info.run_id,
      size: 5,
      sha256: 'a'.repeat(64),
      etag: '5-1',
      recordedAt: Date.now(),
      tier: 'hot',
      hotNode: 'gone-host',
    });
    const read = await t.api.raw({ method: 'GET', url: `${PROXY}/${path}` });
    assert.equal(read.status, 503, read.text);
    assert.match(read.text, /hot tier of node gone-host/);
    const findings = await doctorFindings();
    const gone = findings.find((f) => f.id === 'artifacts.tier-node-gone');
    assert.ok(gone, JSON.stringify(ids(findings)));
    assert.match(gone.summary, /Node gone-host is not live .* only copy of 1 object \(5 bytes\)/);
    assert.deepEqual(gone.where?.items, [path]);
    const about = findings.filter(
      (f) => f.id !== 'artifacts.tier-node-gone' && f.where?.items.some((i) => i.startsWith(path)),
    );
    // The store walk does not call it missing: it exists, on a disk this node cannot read.
    assert.deepEqual(
      about.map((f) => f.id),
      ['artifacts.unreadable-objects'],
    );
    assert.match(about[0]?.where?.items[0] ?? '', /in the hot tier of node gone-host/);
    // This node's mover leaves another node's copy alone.
    const report = await t.mover().pass({ runId: run.info.run_id });
    assert.deepEqual(report.moved, []);
    await t.test.app.store.artifactManifest.deleteUnder(path);
  });

  void it('reports a move left half-done by a mover that stopped', async () => {
    const run = await aRunInNewExperiment(t.api);
    const path = await t.upload(run, 'claimed.txt', 'claimed');
    const entry = (await t.entry(path))!;
    assert.ok(await t.test.app.store.artifactManifest.claimMove(entry, Date.now() - 3_600_000, 0));
    const findings = await doctorFindings();
    const unfinished = findings.find((f) => f.id === 'artifacts.tier-moves-unfinished');
    assert.deepEqual(unfinished?.where?.items, [`${path} (hot)`]);
  });
});

void describe('tier metrics with the server’s own mover', () => {
  let t: TieredApp;
  before(async () => {
    t = await openTieredApp('local', 'metrics', {
      PLUMB_METRICS: 'true',
      PLUMB_ARTIFACTS_TIER_INTERVAL_MS: '200',
      PLUMB_ARTIFACTS_HOT_MAX_AGE_HOURS: '0',
    });
  });
  after(async () => t.close());

  void it('moves finished runs periodically and reports bytes per tier, moves and failures', async () => {
    const run = await aRunInNewExperiment(t.api);
    const path = await t.upload(run, 'weights.bin', Buffer.alloc(4096, 7));
    const running = await aRunInNewExperiment(t.api);
    await t.upload(running, 'live.bin', Buffer.alloc(100, 1));
    await finish(t.api, run);
    const deadline = Date.now() + 10_000;
    // Done means the claim is released too: the cold tier is named before the hot copy goes.
    const moved = async () => {
      const entry = await t.entry(path);
      return entry?.tier === 'cold' && entry.moveStartedAt === undefined;
    };
    while (!(await moved()) && Date.now() < deadline) await sleep(100);
    assert.equal((await t.entry(path))?.tier, 'cold', 'the server moved it by itself');
    assert.equal(t.hotHas(path), false);
    const scrape = await t.api.raw({ method: 'GET', url: '/metrics' });
    assertOk(scrape);
    const tierLines = scrape.text.split('\n').filter((l) => l.startsWith('plumb_artifact_tier'));
    const value = (line: string) => {
      const found = scrape.text.split('\n').find((l) => l.startsWith(`${line} `));
      assert.ok(found, `${line} in ${tierLines.join('\n')}`);
      return Number(found.slice(line.length + 1));
    };
    assert.equal(value('plumb_artifact_tier_bytes{tier="hot"}'), 100, tierLines.join('\n'));
    assert.equal(value('plumb_artifact_tier_bytes{tier="cold"}'), 4096);
    assert.equal(value('plumb_artifact_tier_objects{tier="hot"}'), 1);
    assert.equal(value('plumb_artifact_tier_pending_moves'), 0);
    assert.equal(value('plumb_artifact_tier_moves_total'), 1);
    assert.equal(value('plumb_artifact_tier_moved_bytes_total'), 4096);
    assert.equal(value('plumb_artifact_tier_move_failures_total'), 0);
  });
});
