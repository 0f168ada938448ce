import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MetadataStore, NewRun, TrackingStore } from '../../src/store/store.ts';

/**
 * The metadata port's contract, run against every backend: each runner passes a factory for a
 * fresh, migrated store. Semantics the services rely on are pinned here, not in one backend's tests.
 */
export function trackingStoreContract(name: string, openStore: () => Promise<MetadataStore>): void {
  describe(`TrackingStore contract: ${name}`, () => {
    let metadata: MetadataStore;
    let store: TrackingStore;
    let runCounter = 0;

    before(async () => {
      metadata = await openStore();
      store = metadata.tracking;
      await store.write((tx) => tx.ensureDefaultExperiment('Default', 'mlflow-artifacts:/0', 1));
    });
    after(async () => metadata.close());

    async function newExperiment(prefix: string): Promise<string> {
      return store.write((tx) =>
        tx.insertExperiment({
          name: `${prefix}-${++runCounter}`,
          defaultArtifactRoot: 'mlflow-artifacts:/',
          creationTime: 1000,
          tags: [],
        }),
      );
    }

    async function newRun(experimentId: string, overrides: Partial<NewRun> = {}): Promise<string> {
      const runId = (++runCounter).toString(16).padStart(32, '0');
      await store.write((tx) =>
        tx.insertRun({
          runId,
          experimentId,
          name: `run-${runCounter}`,
          userId: 'tester',
          status: 'RUNNING',
          startTime: 1000 + runCounter,
          artifactUri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts`,
          tags: [],
          ...overrides,
        }),
      );
      return runId;
    }

    test('the default experiment is created once, with id 0', async () => {
      await store.write((tx) => tx.ensureDefaultExperiment('Default', 'elsewhere:/0', 2));
      const experiment = await store.getExperiment('0');
      assert.equal(experiment?.name, 'Default');
      assert.equal(experiment?.artifactLocation, 'mlflow-artifacts:/0');
    });

    test('a new experiment derives its artifact location from the root and its id', async () => {
      const id = await newExperiment('loc');
      const experiment = await store.getExperiment(id);
      assert.equal(experiment?.artifactLocation, `mlflow-artifacts:/${id}`);
      assert.equal(experiment?.lifecycleStage, 'active');
    });

    test('experiment names are unique, deleted experiments included', async () => {
      const id = await newExperiment('unique');
      const experiment = (await store.getExperiment(id))!;
      await store.write((tx) => tx.setExperimentLifecycle(id, 'deleted', 5));
      await assert.rejects(
        store.write((tx) =>
          tx.insertExperiment({ name: experiment.name, defaultArtifactRoot: 'x:/', creationTime: 1, tags: [] }),
        ),
        (error: { code?: string }) => error.code === 'RESOURCE_ALREADY_EXISTS',
      );
    });

    test('a failing write leaves nothing behind', async () => {
      const experimentId = await newExperiment('atomic');
      const runId = await newRun(experimentId);
      await assert.rejects(
        store.write(async (tx) => {
          await tx.insertMetrics(runId, [{ key: 'm', value: 1, timestamp: 1, step: 0 }]);
          await tx.setRunTags(runId, [{ key: 't', value: 'v' }]);
          throw new Error('abort');
        }),
        /abort/,
      );
      const run = await store.getRun(runId);
      assert.deepEqual(run?.data.metrics, []);
      assert.deepEqual(
        run?.data.tags.map((t) => t.key),
        [],
      );
      assert.deepEqual((await store.getMetricHistory(runId, 'm', { offset: 0 })).items, []);
    });

    test('an identical metric point is stored once; a different value at the same step is kept', async () => {
      const runId = await newRun(await newExperiment('dedupe'));
      const point = { key: 'loss', value: 0.5, timestamp: 10, step: 1 };
      await store.write((tx) => tx.insertMetrics(runId, [point, point]));
      await store.write((tx) => tx.insertMetrics(runId, [point, { ...point, value: 0.25 }]));
      const history = await store.getMetricHistory(runId, 'loss', { offset: 0 });
      assert.deepEqual(
        history.items.map((m) => m.value),
        [0.25, 0.5],
      );
    });

    test('the latest metric is the greatest (step, timestamp, value), whatever the logging order', async () => {
      const runId = await newRun(await newExperiment('latest'));
      await store.write((tx) =>
        tx.insertMetrics(runId, [
          { key: 'acc', value: 0.9, timestamp: 5, step: 3 },
          { key: 'acc', value: 0.1, timestamp: 9, step: 1 },
        ]),
      );
      await store.write((tx) => tx.insertMetrics(runId, [{ key: 'acc', value: 0.2, timestamp: 99, step: 2 }]));
      await store.write((tx) => tx.insertMetrics(runId, [{ key: 'acc', value: 0.95, timestamp: 5, step: 3 }]));
      const run = await store.getRun(runId);
      assert.deepEqual(run?.data.metrics, [{ key: 'acc', value: 0.95, timestamp: 5, step: 3 }]);
    });

    test('NaN round-trips, ±Infinity is kept as ±MAX_VALUE as MLflow stores it', async () => {
      const runId = await newRun(await newExperiment('special'));
      await store.write((tx) =>
        tx.insertMetrics(runId, [
          { key: 'nan', value: Number.NaN, timestamp: 1, step: 0 },
          { key: 'inf', value: Number.POSITIVE_INFINITY, timestamp: 1, step: 0 },
          { key: 'ninf', value: Number.NEGATIVE_INFINITY, timestamp: 1, step: 0 },
        ]),
      );
      const values = Object.fromEntries((await store.getRun(runId))!.data.metrics.map((m) => [m.key, m.value]));
      assert.ok(Number.isNaN(values.nan));
      assert.equal(values.inf, Number.MAX_VALUE);
      assert.equal(values.ninf, -Number.MAX_VALUE);
    });

    test('tags keep their first position when overwritten; the last value in a list wins', async () => {
      const runId = await newRun(await newExperiment('tags'), {
        tags: [
          { key: 'b', value: '1' },
          { key: 'a', value: '1' },
        ],
      });
      await store.write((tx) =>
        tx.setRunTags(runId, [
          { key: 'b', value: '2' },
          { key: 'c', value: 'x' },
          { key: 'c', value: 'y' },
        ]),
      );
      assert.deepEqual((await store.getRun(runId))?.data.tags, [
        { key: 'b', value: '2' },
        { key: 'a', value: '1' },
        { key: 'c', value: 'y' },
      ]);
    });

    test('setting the mlflow.runName tag renames the run', async () => {
      const runId = await newRun(await newExperiment('rename'));
      await store.write((tx) => tx.setRunTags(runId, [{ key: 'mlflow.runName', value: 'renamed' }]));
      assert.equal((await store.getRunInfo(runId))?.runName, 'renamed');
    });

    test('params insert only new keys', async () => {
      const runId = await newRun(await newExperiment('params'));
      await store.write((tx) => tx.insertParams(runId, [{ key: 'lr', value: '0.1' }]));
      await store.write((tx) => tx.insertParams(runId, [{ key: 'lr', value: '0.1' }]));
      assert.deepEqual(await store.getParams(runId, ['lr', 'missing']), new Map([['lr', '0.1']]));
    });

    test('restoring an experiment revives only the runs deleted with it', async () => {
      const experimentId = await newExperiment('restore');
      const deletedAlone = await newRun(experimentId);
      const deletedWithExperiment = await newRun(experimentId);
      await store.write((tx) => tx.setRunLifecycle(deletedAlone, 'deleted', 100));
      await store.write((tx) => tx.setExperimentLifecycle(experimentId, 'deleted', 200));
      assert.equal((await store.getRunInfo(deletedWithExperiment))?.lifecycleStage, 'deleted');
      await store.write((tx) => tx.setExperimentLifecycle(experimentId, 'active', 300));
      assert.equal((await store.getRunInfo(deletedWithExperiment))?.lifecycleStage, 'active');
      assert.equal((await store.getRunInfo(deletedAlone))?.lifecycleStage, 'deleted');
    });

    test('metric history pages in (step, timestamp) order without skipping', async () => {
      const runId = await newRun(await newExperiment('history'));
      await store.write((tx) =>
        tx.insertMetrics(
          runId,
          [5, 3, 1, 4, 2].map((step) => ({ key: 'x', value: step, timestamp: 100 - step, step })),
        ),
      );
      const first = await store.getMetricHistory(runId, 'x', { offset: 0, limit: 3 });
      const second = await store.getMetricHistory(runId, 'x', { offset: 3, limit: 3 });
      assert.deepEqual(
        [...first.items, ...second.items].map((m) => m.step),
        [1, 2, 3, 4, 5],
      );
      assert.equal(first.hasMore, true);
      assert.equal(second.hasMore, false);
      assert.deepEqual(await store.getMetricSteps(runId, 'x', 2, 4), [2, 3, 4]);
    });

    test('dataset inputs are shared within an experiment and listed by search-datasets', async () => {
      const experimentId = await newExperiment('datasets');
      const runs = [await newRun(experimentId), await newRun(experimentId)];
      const input = {
        tags: [{ key: 'mlflow.data.context', value: 'training' }],
        dataset: { name: 'iris', digest: 'abc123', sourceType: 'local', source: '{}' },
      };
      for (const runId of runs) {
        await store.write((tx) => tx.logInputs(runId, experimentId, [input, input], [{ modelId: 'm-1' }]));
      }
      const run = await store.getRun(runs[0]!);
      assert.equal(run?.inputs.datasetInputs.length, 1);
      assert.deepEqual(run?.inputs.datasetInputs[0]?.tags, input.tags);
      assert.deepEqual(run?.inputs.modelInputs, [{ modelId: 'm-1' }]);
      assert.deepEqual(await store.searchDatasets([experimentId]), [
        { experimentId, name: 'iris', digest: 'abc123', context: 'training' },
      ]);
    });

    test('concurrent batches on one run, keys in opposite orders, all commit: each point once, latest is the greatest', async () => {
      const runId = await newRun(await newExperiment('concurrent-batches'));
      const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
      const writers = 12;
      await Promise.all(
        Array.from({ length: writers }, (_, w) => {
          const order = w % 2 === 0 ? keys : [...keys].reverse();
          const points = order.flatMap((key) =>
            Array.from({ length: 10 }, (_, i) => ({ key, value: w + i / 10, timestamp: 1000 + w, step: w * 10 + i })),
          );
          return store.writeRun(runId, async (tx) => {
            await tx.insertMetrics(runId, points);
            await tx.setRunTags(runId, [
              { key: `writer-${w}`, value: 'done' },
              { key: 'shared', value: `${w}` },
            ]);
          });
        }),
      );
      for (const key of keys) {
        const history = await store.getMetricHistory(runId, key, { offset: 0 });
        assert.equal(history.items.length, writers * 10, key);
      }
      const run = await store.getRun(runId);
      const last = writers - 1;
      for (const metric of run!.data.metrics) {
        assert.deepEqual(metric, { key: metric.key, value: last + 0.9, timestamp: 1000 + last, step: last * 10 + 9 });
      }
      assert.equal(run!.data.metrics.length, keys.length);
      assert.equal(run!.data.tags.filter((t) => t.key.startsWith('writer-')).length, writers);
      assert.equal(run!.data.tags.filter((t) => t.key === 'shared').length, 1);
    });

    test('writers of one run see what the previous one committed: the same new param with two values, one wins', async () => {
      const runId = await newRun(await newExperiment('param-race'));
      const logParam = (value: string) =>
        store.writeRun(runId, async (tx) => {
          const existing = (await tx.getParams(runId, ['lr'])).get('lr');
          if (existing !== undefined && existing !== value) throw new Error(`lr already logged as ${existing}`);
          if (existing === undefined) await tx.insertParams(runId, [{ key: 'lr', value }]);
        });
      const results = await Promise.allSettled(['0.1', '0.2', '0.1', '0.2'].map(logParam));
      const stored = (await store.getParams(runId, ['lr'])).get('lr');
      assert.ok(stored === '0.1' || stored === '0.2');
      for (const [i, result] of results.entries()) {
        const value = ['0.1', '0.2', '0.1', '0.2'][i];
        assert.equal(result.status, value === stored ? 'fulfilled' : 'rejected', `writer ${i} (${value})`);
      }
    });

    test('two runs of one experiment logging the same new dataset at once share one dataset row', async () => {
      const experimentId = await newExperiment('dataset-race');
      const runs = await Promise.all(Array.from({ length: 6 }, () => newRun(experimentId)));
      const input = { tags: [], dataset: { name: 'wine', digest: 'd1', sourceType: 'local', source: '{}' } };
      await Promise.all(
        runs.map((runId) => store.writeRun(runId, (tx) => tx.logInputs(runId, experimentId, [input], []))),
      );
      assert.equal((await store.searchDatasets([experimentId])).length, 1);
      for (const runId of runs) assert.equal((await store.getRun(runId))?.inputs.datasetInputs.length, 1);
    });
  });
}
