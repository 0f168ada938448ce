import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MetadataStore } from '../../src/store/store.ts';

/**
 * `schema.check()` on a freshly migrated store finds nothing wrong: the index introspection of
 * each dialect sees every index the migrations create.
 */
export function schemaCheckContract(name: string, openStore: () => Promise<MetadataStore>): void {
  describe(`SchemaControl.check contract: ${name}`, () => {
    test('a fully migrated database has no pending migration and nothing missing', async () => {
      const store = await openStore();
      try {
        const check = await store.schema.check();
        assert.equal(check.pending.length, 0);
        assert.deepEqual([...check.unknown, ...check.checksumMismatches], []);
        assert.deepEqual(check.missingTables, []);
        assert.deepEqual(check.missingIndexes, []);
        assert.deepEqual(check.missingUniqueKeys, []);
        assert.ok(check.applied.length >= 6);
      } finally {
        await store.close();
      }
    });
  });
}
