/**
 * Two replicas on one database, one cold store and one shared hot mount
 * (PLUMB_ARTIFACTS_HOT_SHARED): writes on one are read on the other, before and after a move,
 * and the two movers running at once move each object exactly once (the claim decides).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createTiers } from '../../src/artifacts/tiered/tiers-wiring.ts';
import { createArtifactRepository } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createTestApp, type TestApp } from '../helpers/test-server.ts';
import { Api, aRunInNewExperiment } from '../fixtures/builders.ts';
import { finish, openTieredApp, PROXY, type TieredApp } from './tier-fixture.ts';

void describe('replicas on a shared hot mount', () => {
  let a: TieredApp;
  let b: TestApp;
  let env: Record<string, string>;
  before(async () => {
    a = await openTieredApp('s3', 'replicas', { PLUMB_ARTIFACTS_HOT_SHARED: 'true' });
    env = {
      ...a.coldStore.env,
      MLFLOW_BACKEND_STORE_URI: a.storeUri,
      PLUMB_ARTIFACTS_HOT: `file://${a.hotDir}`,
      PLUMB_ARTIFACTS_HOT_SHARED: 'true',
      PLUMB_ARTIFACTS_TIER_INTERVAL_MS: String(86_400_000),
    };
    b = await createTestApp({ env, artifactsDestination: a.coldStore.destination });
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  void it('reads every object on either replica, and two movers at once move each exactly once', async () => {
    const apiB = new Api(b);
    const run = await aRunInNewExperiment(a.api);
    const files = new Map<string, Buffer>();
    for (let i = 0; i < 8; i += 1) {
      const bytes = randomBytes(50_000 + i);
      files.set(await a.upload(run, `f${i}.bin`, bytes), bytes);
    }
    for (const [path, bytes] of files) {
      assert.equal((await a.entry(path))?.hotNode, undefined, 'a shared mount records no node');
      assert.ok((await apiB.raw({ method: 'GET', url: `${PROXY}/${path}` })).rawPayload.equals(bytes));
    }
    await finish(a.api, run);
    const config = loadConfig({ PLUMB_LOG_LEVEL: 'silent', ...env }, { artifactsDestination: a.coldStore.destination });
    const coldB = await createArtifactRepository(config.artifacts.destination);
    const moverB = createTiers({
      config: config.artifacts.hot!,
      cold: coldB,
      store: b.app.store,
      clock: { now: Date.now },
    }).mover;
    const [reportA, reportB] = await Promise.all([
      a.mover().pass({ runId: run.info.run_id }),
      moverB.pass({ runId: run.info.run_id }),
    ]);
    (coldB as { destroy?: () => void }).destroy?.();
    assert.deepEqual([...reportA.failed, ...reportB.failed], []);
    const moved = [...reportA.moved, ...reportB.moved].map((m) => m.path).sort();
    assert.deepEqual(moved, [...files.keys()].sort(), 'each object moved once, by one of the two');
    for (const [path, bytes] of files) {
      assert.equal((await a.entry(path))?.tier, 'cold');
      assert.equal(a.hotHas(path), false);
      for (const api of [a.api, apiB]) {
        assert.ok((await api.raw({ method: 'GET', url: `${PROXY}/${path}` })).rawPayload.equals(bytes));
      }
    }
  });
});
