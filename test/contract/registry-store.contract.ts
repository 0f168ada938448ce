import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Comparison } from '../../src/search/ast.ts';
import type { ModelHeader, NewModelVersion, RegistryStore, RegistryWrites } from '../../src/store/registry-store.ts';
import type { MetadataStore } from '../../src/store/store.ts';

/**
 * The registry part of the metadata port, run against every backend: each runner passes a factory
 * for a fresh, migrated store. The services rely on these semantics (locking, counters, cascades,
 * ordering of latest versions and events), so they are pinned here rather than in one backend's tests.
 */
export function registryStoreContract(name: string, openStore: () => Promise<MetadataStore>): void {
  describe(`RegistryStore contract: ${name}`, () => {
    let metadata: MetadataStore;
    let store: RegistryStore;
    let counter = 0;

    before(async () => {
      metadata = await openStore();
      store = metadata.registry;
    });
    after(async () => metadata.close());

    const uniqueName = (prefix = 'model') => `${prefix}-${++counter}`;

    async function newModel(name = uniqueName(), tags: { key: string; value: string }[] = []): Promise<ModelHeader> {
      return store.write((tx) =>
        tx.insertRegisteredModel({ name, nameKey: name, description: null, tags, time: 1000 }),
      );
    }

    const aVersion = (version: number, overrides: Partial<NewModelVersion> = {}): NewModelVersion => ({
      version,
      source: `s3://bucket/${version}`,
      storageLocation: `s3://bucket/${version}`,
      runId: '',
      runLink: '',
      description: null,
      modelId: null,
      tags: [],
      time: 2000 + version,
      ...overrides,
    });

    /** Takes the next number under the model's lock, as the version service does. */
    async function addVersion(name: string, overrides: Partial<NewModelVersion> = {}): Promise<number> {
      return store.write(async (tx) => {
        const header = (await tx.lockModel(name))!;
        await tx.insertModelVersion(header.id, aVersion(header.nextVersion, overrides));
        await tx.updateRegisteredModel(header.id, {
          revision: header.revision + 1,
          nextVersion: header.nextVersion + 1,
        });
        return header.nextVersion;
      });
    }

    const nameIs = (value: string): Comparison => ({
      identifier: { type: 'attribute', key: 'name' },
      comparator: '=',
      value: { kind: 'string', value },
    });

    test('a new model starts at revision 1 with version counter 1', async () => {
      const header = await newModel();
      assert.deepEqual([header.revision, header.nextVersion, header.description], [1, 1, null]);
      assert.deepEqual(await store.getModelHeader(header.name), header);
      assert.equal(await store.getModelHeader('no-such-model'), undefined);
    });

    test('names and name keys are unique', async () => {
      const header = await newModel();
      const again = (name: string, nameKey: string) =>
        store.write((tx) => tx.insertRegisteredModel({ name, nameKey, description: null, tags: [], time: 1 }));
      const exists = (error: { code?: string }) => error.code === 'RESOURCE_ALREADY_EXISTS';
      await assert.rejects(again(header.name, `${header.name}-other-key`), exists);
      await assert.rejects(again(`${header.name}-other`, header.name), exists);
      assert.equal(await store.write((tx) => tx.findNameClash(header.name)), header.name);
      assert.equal(await store.write((tx) => tx.findNameClash(header.name, header.id)), undefined);
    });

    test('a failing write leaves nothing behind', async () => {
      const name = uniqueName();
      await assert.rejects(
        store.write(async (tx) => {
          await tx.insertRegisteredModel({ name, nameKey: name, description: null, tags: [], time: 1 });
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.equal(await store.getRegisteredModel(name), undefined);
    });

    test('concurrent writers that take the next number under the lock get distinct, gapless versions', async () => {
      const { name } = await newModel();
      const versions = await Promise.all(Array.from({ length: 20 }, () => addVersion(name)));
      assert.deepEqual(
        versions.sort((a, b) => a - b),
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      assert.deepEqual(
        [(await store.getModelHeader(name))!.nextVersion, (await store.getModelHeader(name))!.revision],
        [21, 21],
      );
    });

    test('the model patch sets only what it names', async () => {
      const header = await newModel();
      await store.write((tx) =>
        tx.updateRegisteredModel(header.id, { revision: 5, description: 'd', lastUpdatedTime: 9 }),
      );
      const model = (await store.getRegisteredModel(header.name))!;
      assert.deepEqual(
        [model.revision, model.description, model.lastUpdatedTimestamp, model.creationTimestamp],
        [5, 'd', 9, 1000],
      );
      const renamed = `${header.name}-renamed`;
      await store.write((tx) => tx.updateRegisteredModel(header.id, { revision: 6, name: renamed, nameKey: renamed }));
      assert.equal((await store.getRegisteredModel(renamed))?.description, 'd');
      assert.equal(await store.getRegisteredModel(header.name), undefined);
    });

    test('latest versions: the highest of each stage, stages in the order of their lowest version', async () => {
      const header = await newModel();
      for (let i = 0; i < 5; i++) await addVersion(header.name);
      await store.write(async (tx) => {
        await tx.updateModelVersion(header.id, 2, { stage: 'Production', lastUpdatedTime: 1 });
        await tx.updateModelVersion(header.id, 4, { stage: 'Production', lastUpdatedTime: 1 });
        await tx.updateModelVersion(header.id, 1, { stage: 'Staging', lastUpdatedTime: 1 });
      });
      const model = (await store.getRegisteredModel(header.name))!;
      assert.deepEqual(
        model.latestVersions.map((v) => [v.version, v.currentStage]),
        [
          [1, 'Staging'],
          [4, 'Production'],
          [5, 'None'],
        ],
      );
      assert.deepEqual(await store.write((tx) => tx.versionsInStage(header.id, 'Production')), [2, 4]);
    });

    test('tags and aliases report what they replaced; deleting a version takes its tags and aliases along', async () => {
      const header = await newModel(uniqueName(), [{ key: 'm', value: '1' }]);
      await addVersion(header.name, { tags: [{ key: 't', value: '1' }] });
      await addVersion(header.name);
      const results = await store.write(async (tx) => [
        await tx.setRegisteredModelTag(header.id, { key: 'm', value: '2' }),
        await tx.deleteRegisteredModelTag(header.id, 'absent'),
        await tx.setModelVersionTag(header.id, 1, { key: 't', value: '2' }),
        await tx.setModelVersionTag(header.id, 1, { key: 'u', value: '1' }),
        await tx.setAlias(header.id, 'a', 1),
        await tx.setAlias(header.id, 'a', 2),
        await tx.setAlias(header.id, 'b', 1),
        await tx.deleteAlias(header.id, 'absent'),
      ]);
      assert.deepEqual(results, ['1', undefined, '1', undefined, undefined, 1, undefined, undefined]);
      const v1 = (await store.getModelVersion(header.name, 1))!;
      assert.deepEqual(v1.tags, [
        { key: 't', value: '2' },
        { key: 'u', value: '1' },
      ]);
      assert.deepEqual(v1.aliases, ['b']);
      assert.equal((await store.getModelVersionByAlias(header.name, 'a'))?.version, 2);
      assert.deepEqual(await store.write((tx) => tx.deleteModelVersion(header.id, 1)), ['b']);
      assert.equal(await store.getModelVersion(header.name, 1), undefined);
      assert.equal(await store.getModelVersionByAlias(header.name, 'b'), undefined);
      assert.deepEqual((await store.getRegisteredModel(header.name))!.aliases, [{ alias: 'a', version: 2 }]);
    });

    test('deleting a model removes everything but its events', async () => {
      const header = await newModel(uniqueName(), [{ key: 'm', value: '1' }]);
      await addVersion(header.name, { tags: [{ key: 't', value: '1' }] });
      await store.write(async (tx) => {
        await tx.setAlias(header.id, 'a', 1);
        await tx.appendRegistryEvent({
          modelId: header.id,
          modelName: header.name,
          version: null,
          kind: 'registered_model.deleted',
          before: { name: header.name },
          after: null,
          actor: null,
          revision: 3,
          time: 5,
        });
        await tx.deleteRegisteredModel(header.id);
      });
      assert.equal(await store.getRegisteredModel(header.name), undefined);
      assert.equal(await store.findDeletedModelId(header.name), header.id);
      const events = await store.listRegistryEvents({ modelId: header.id, maxResults: 10, offset: 0 });
      assert.deepEqual(
        events.items.map((e) => [e.kind, e.before, e.after, e.revision]),
        [['registered_model.deleted', { name: header.name }, null, 3]],
      );
    });

    test('events list in commit order, page by page, and later events stay off a watermarked listing', async () => {
      const header = await newModel();
      const append = (tx: RegistryWrites, revision: number) =>
        tx.appendRegistryEvent({
          modelId: header.id,
          modelName: header.name,
          version: revision,
          kind: 'model_version.created',
          before: null,
          after: { version: String(revision) },
          actor: 'me',
          revision,
          time: revision,
        });
      await store.write(async (tx) => {
        for (let r = 1; r <= 5; r++) await append(tx, r);
      });
      const first = await store.listRegistryEvents({ modelId: header.id, maxResults: 2, offset: 0 });
      assert.deepEqual(
        first.items.map((e) => e.revision),
        [1, 2],
      );
      assert.equal(first.hasMore, true);
      await store.write((tx) => append(tx, 6));
      const rest = await store.listRegistryEvents({
        modelId: header.id,
        maxResults: 10,
        offset: 2,
        watermark: first.watermark,
      });
      assert.deepEqual(
        rest.items.map((e) => e.revision),
        [3, 4, 5],
      );
    });

    test('searches filter, leave prompts out on request, order with tie-breaks and page under a watermark', async () => {
      const prefix = uniqueName('search');
      const a = await newModel(`${prefix}-a`);
      const b = await newModel(`${prefix}-b`, [{ key: 'mlflow.prompt.is_prompt', value: 'true' }]);
      await addVersion(a.name);
      await addVersion(a.name);
      await addVersion(b.name, { tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] });
      const like: Comparison = {
        identifier: { type: 'attribute', key: 'name' },
        comparator: 'LIKE',
        value: { kind: 'string', value: `${prefix}-%` },
      };
      const models = (excludePrompts: boolean) =>
        store.searchRegisteredModels({ filter: [like], orderBy: [], excludePrompts, maxResults: 10, offset: 0 });
      assert.deepEqual(
        (await models(false)).items.map((m) => m.name),
        [a.name, b.name],
      );
      assert.deepEqual(
        (await models(true)).items.map((m) => m.name),
        [a.name],
      );

      const versions = await store.searchModelVersions({
        filter: [nameIs(a.name)],
        orderBy: [],
        excludePrompts: true,
        maxResults: 1,
        offset: 0,
      });
      assert.deepEqual(
        versions.items.map((v) => [v.name, v.version]),
        [[a.name, 2]],
      );
      assert.equal(versions.hasMore, true);
      await addVersion(a.name);
      const next = await store.searchModelVersions({
        filter: [nameIs(a.name)],
        orderBy: [],
        excludePrompts: true,
        maxResults: 5,
        offset: 1,
        watermark: versions.watermark,
      });
      assert.deepEqual(
        next.items.map((v) => v.version),
        [1],
      );
      const promptVersions = await store.searchModelVersions({
        filter: [nameIs(b.name)],
        orderBy: [],
        excludePrompts: true,
        maxResults: 5,
        offset: 0,
      });
      assert.deepEqual(promptVersions.items, []);
    });
  });
}
