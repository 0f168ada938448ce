import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { HistoryLine, parseRunSnapshot } from '../../src/tracking/run-snapshot.format.ts';
import { aMetric, aRunInNewExperiment, assertOk, logBatch, useApi } from '../fixtures/builders.ts';

void describe('run snapshots', () => {
  const ctx = useApi();

  function snapshotFiles(experimentId: string, runId: string) {
    const dir = join(ctx.api.test.dir, 'mlartifacts', experimentId, runId, 'plumb-snapshot');
    return { document: join(dir, 'run.json'), history: join(dir, 'metric-history.jsonl.gz') };
  }

  void it('are written next to the artifacts when a run ends, with its metadata and full metric history', async () => {
    const run = await aRunInNewExperiment(ctx.api, { tags: [{ key: 'team', value: 'a' }] });
    const runId = run.info.run_id;
    await logBatch(ctx.api, runId, {
      metrics: [aMetric('loss', 1, 0), aMetric('loss', 0.5, 1), aMetric('loss', 'NaN', 2), aMetric('acc', 0.9, 0)],
      params: [{ key: 'lr', value: '0.01' }],
    });
    assertOk(
      await ctx.api.post('runs/log-inputs', {
        run_id: runId,
        datasets: [{ tags: [], dataset: { name: 'iris', digest: 'abc', source_type: 'local', source: '{}' } }],
      }),
    );
    assertOk(await ctx.api.post('runs/update', { run_id: runId, status: 'FINISHED', end_time: 1_700_000_100_000 }));
    await ctx.api.test.app.snapshots.flush();

    const files = snapshotFiles(run.info.experiment_id, runId);
    const snapshot = parseRunSnapshot(JSON.parse(readFileSync(files.document, 'utf8')));
    assert.equal(snapshot.run.runId, runId);
    assert.equal(snapshot.run.status, 'FINISHED');
    assert.equal(snapshot.run.endTime, 1_700_000_100_000);
    assert.deepEqual(snapshot.params, [{ key: 'lr', value: '0.01' }]);
    assert.ok(snapshot.tags.some((t) => t.key === 'team' && t.value === 'a'));
    assert.deepEqual(
      snapshot.latestMetrics.map((m) => [m.key, m.value]),
      [
        ['loss', 'NaN'],
        ['acc', 0.9],
      ],
    );
    assert.equal(snapshot.datasetInputs[0]?.dataset.name, 'iris');
    assert.equal(snapshot.experiment.experimentId, run.info.experiment_id);

    const lines = gunzipSync(readFileSync(files.history))
      .toString('utf8')
      .trim()
      .split('\n')
      .map((line) => HistoryLine.parse(JSON.parse(line)));
    assert.deepEqual(lines, [
      ['acc', 0, 1_700_000_000_000, 0.9],
      ['loss', 0, 1_700_000_000_000, 1],
      ['loss', 1, 1_700_000_000_001, 0.5],
      ['loss', 2, 1_700_000_000_002, 'NaN'],
    ]);
    assert.equal(snapshot.metricHistory.points, 4);
  });

  void it("stay out of the run's artifact listing", async () => {
    const run = await aRunInNewExperiment(ctx.api);
    assertOk(await ctx.api.post('runs/update', { run_id: run.info.run_id, status: 'KILLED' }));
    await ctx.api.test.app.snapshots.flush();
    assert.ok(existsSync(snapshotFiles(run.info.experiment_id, run.info.run_id).document));
    const listing = await ctx.api.get('artifacts/list', { run_id: run.info.run_id });
    assertOk(listing);
    assert.deepEqual(listing.body, { root_uri: run.info.artifact_uri });
  });

  void it('are not written while a run is still running, and can be written on demand', async () => {
    const run = await aRunInNewExperiment(ctx.api);
    assertOk(await ctx.api.post('runs/update', { run_id: run.info.run_id, status: 'RUNNING' }));
    await ctx.api.test.app.snapshots.flush();
    const files = snapshotFiles(run.info.experiment_id, run.info.run_id);
    assert.equal(existsSync(files.document), false);
    const written = await ctx.api.raw({
      method: 'POST',
      url: '/api/2.0/plumb/runs/snapshot',
      payload: { run_id: run.info.run_id },
    });
    assertOk(written);
    assert.equal(parseRunSnapshot(JSON.parse(readFileSync(files.document, 'utf8'))).run.status, 'RUNNING');
  });

  void it('refuse documents that are not a valid snapshot', () => {
    assert.throws(() => parseRunSnapshot({ format: 'plumb-run-snapshot', version: 2 }), { code: 'DATA_LOSS' });
  });
});
