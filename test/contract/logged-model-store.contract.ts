import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { NewLoggedModel } from '../../src/store/logged-model-store.ts';
import type { MetadataStore, TrackingStore } from '../../src/store/store.ts';

/**
 * The logged-model part of the tracking port, run against every backend: storage round trip, the
 * write-once and upsert semantics the service relies on, metric linking, and search.
 */
export function loggedModelStoreContract(name: string, openStore: () => Promise<MetadataStore>): void {
  describe(`LoggedModelStore contract: ${name}`, () => {
    let metadata: MetadataStore;
    let store: TrackingStore;
    let experimentId: string;
    let counter = 0;

    before(async () => {
      metadata = await openStore();
      store = metadata.tracking;
      experimentId = await store.write((tx) =>
        tx.insertExperiment({
          name: 'logged-models',
          defaultArtifactRoot: 'mlflow-artifacts:/',
          creationTime: 1,
          tags: [],
        }),
      );
    });
    after(async () => metadata.close());

    async function newModel(overrides: Partial<NewLoggedModel> = {}): Promise<string> {
      counter += 1;
      const modelId = `m-${counter.toString(16).padStart(32, '0')}`;
      await store.write((tx) =>
        tx.insertLoggedModel({
          modelId,
          experimentId,
          name: `model-${counter}`,
          artifactLocation: `mlflow-artifacts:/${experimentId}/models/${modelId}/artifacts`,
          time: 1000 + counter,
          modelType: null,
          sourceRunId: null,
          tags: [],
          params: [],
          ...overrides,
        }),
      );
      return modelId;
    }

    test('a model reads back as written, PENDING and active; deleted ones only on request', async () => {
      const id = await newModel({
        modelType: 'LLM',
        tags: [{ key: 't', value: 'v' }],
        params: [{ key: 'p', value: '1' }],
      });
      const model = await store.getLoggedModel(id);
      assert.equal(model?.status, 'PENDING');
      assert.equal(model?.lifecycleStage, 'active');
      assert.equal(model?.modelType, 'LLM');
      assert.equal(model?.experimentId, experimentId);
      assert.deepEqual(model?.tags, [{ key: 't', value: 'v' }]);
      assert.deepEqual(model?.params, [{ key: 'p', value: '1' }]);
      await store.write((tx) =>
        tx.updateLoggedModel(id, { lifecycleStage: 'deleted', status: 'READY', lastUpdatedTime: 9 }),
      );
      assert.equal(await store.getLoggedModel(id), undefined);
      const deleted = await store.getLoggedModel(id, { allowDeleted: true });
      assert.equal(deleted?.status, 'READY');
      assert.equal(deleted?.lastUpdatedTime, 9);
    });

    test('tags upsert with the last value winning; deleting reports whether the tag existed', async () => {
      const id = await newModel();
      await store.write((tx) =>
        tx.setLoggedModelTags(id, [
          { key: 'a', value: '1' },
          { key: 'a', value: '2' },
        ]),
      );
      await store.write((tx) => tx.setLoggedModelTags(id, [{ key: 'a', value: '3' }]));
      assert.deepEqual((await store.getLoggedModel(id))?.tags, [{ key: 'a', value: '3' }]);
      assert.equal(await store.write((tx) => tx.deleteLoggedModelTag(id, 'a')), true);
      assert.equal(await store.write((tx) => tx.deleteLoggedModelTag(id, 'a')), false);
    });

    test('metrics link to existing models only, and an identical point links once', async () => {
      const id = await newModel();
      const point = { key: 'acc', value: Number.NaN, timestamp: 5, step: 1, modelId: id, datasetName: 'd' };
      await store.write((tx) => tx.linkLoggedModelMetrics('r'.repeat(32), experimentId, [point, point]));
      await store.write((tx) =>
        tx.linkLoggedModelMetrics('r'.repeat(32), experimentId, [point, { ...point, modelId: 'm-none' }]),
      );
      const metrics = (await store.getLoggedModel(id))?.metrics ?? [];
      assert.equal(metrics.length, 1);
      assert.ok(Number.isNaN(metrics[0]!.value));
      assert.equal(metrics[0]!.datasetName, 'd');
      assert.equal(metrics[0]!.datasetDigest, null);
    });

    test('search filters, orders and pages below the watermark', async () => {
      const own = await store.write((tx) =>
        tx.insertExperiment({
          name: 'lm-search',
          defaultArtifactRoot: 'mlflow-artifacts:/',
          creationTime: 1,
          tags: [],
        }),
      );
      const a = await newModel({ experimentId: own, name: 'a', params: [{ key: 'lr', value: '1' }] });
      const b = await newModel({ experimentId: own, name: 'b', params: [{ key: 'lr', value: '2' }] });
      const query = {
        experimentIds: [own],
        filter: [],
        datasets: [],
        orderBy: [{ type: 'attribute' as const, key: 'name', ascending: false }],
        maxResults: 1,
        offset: 0,
      };
      const first = await store.searchLoggedModels(query);
      assert.deepEqual(
        first.items.map((m) => m.modelId),
        [b],
      );
      assert.equal(first.hasMore, true);
      await newModel({ experimentId: own, name: 'c' });
      const second = await store.searchLoggedModels({ ...query, offset: 1, watermark: first.watermark });
      assert.deepEqual(
        second.items.map((m) => m.modelId),
        [a],
      );
      assert.equal(second.hasMore, false);
      const filtered = await store.searchLoggedModels({
        ...query,
        maxResults: 10,
        filter: [{ identifier: { type: 'param', key: 'lr' }, comparator: '=', value: { kind: 'string', value: '1' } }],
      });
      assert.deepEqual(
        filtered.items.map((m) => m.modelId),
        [a],
      );
    });
  });
}
