/**
 * Maintenance commands with a hot tier configured see both tiers, as the server does: `plumb gc`
 * deletes a purged run's copies in the hot tier as well as in the cold one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertOk } from '../fixtures/builders.ts';
import { runPlumb } from '../helpers/plumb-process.ts';
import { openTieredApp } from './tier-fixture.ts';

void describe('maintenance commands with a hot tier', () => {
  void it('plumb gc deletes a purged run from the hot tier too', async () => {
    const app = await openTieredApp('local', 'gc');
    try {
      const experiment = await app.api.post('experiments/create', { name: 'gc-hot' });
      assertOk(experiment);
      const created = await app.api.post('runs/create', { experiment_id: experiment.body.experiment_id });
      assertOk(created);
      const run = created.body.run!;
      const path = await app.upload(run, 'weights.bin', 'hot bytes');
      assert.equal(app.hotHas(path), true, 'uploads land in the hot tier');
      assertOk(await app.api.post('runs/delete', { run_id: run.info.run_id }));
      const gc = await runPlumb(
        [
          'gc',
          '--run-ids',
          run.info.run_id,
          '--backend-store-uri',
          app.storeUri,
          '--artifacts-destination',
          app.coldStore.destination,
        ],
        { cwd: app.hotDir, env: { ...app.coldStore.env, PLUMB_ARTIFACTS_HOT: `file://${app.hotDir}` } },
      );
      assert.equal(gc.code, 0, gc.stderr);
      assert.equal(app.hotHas(path), false, `the hot copy is gone:\n${gc.stdout}`);
      assert.equal(await app.entry(path), undefined);
    } finally {
      await app.close();
    }
  });
});
