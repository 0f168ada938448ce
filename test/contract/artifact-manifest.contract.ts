import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseArtifactPath } from '../../src/core/artifact-path.ts';
import type { ManifestEntry } from '../../src/store/artifact-manifest-store.ts';
import type { MetadataStore } from '../../src/store/store.ts';

const entry = (path: string, overrides: Partial<ManifestEntry> = {}): ManifestEntry => ({
  path: parseArtifactPath(path),
  size: path.length,
  sha256: 'a'.repeat(64),
  etag: `etag-${path}`,
  recordedAt: 1,
  ...overrides,
});

/** The artifact manifest part of the metadata port, run against every metadata backend. */
export function artifactManifestContract(name: string, openStore: () => Promise<MetadataStore>): void {
  describe(`ArtifactManifestStore contract: ${name}`, () => {
    let metadata: MetadataStore;
    before(async () => {
      metadata = await openStore();
    });
    after(async () => metadata.close());

    test('records, replaces and reads an entry', async () => {
      const manifest = metadata.artifactManifest;
      await manifest.record(entry('1/r/artifacts/a.txt', { runId: 'r', size: 5 }));
      await manifest.record(entry('1/r/artifacts/a.txt', { runId: 'r', size: 7, etag: 'second' }));
      const got = await manifest.get(parseArtifactPath('1/r/artifacts/a.txt'));
      assert.deepEqual(got, entry('1/r/artifacts/a.txt', { runId: 'r', size: 7, etag: 'second' }));
      assert.equal(await manifest.get(parseArtifactPath('1/r/artifacts/missing')), undefined);
    });

    test('lists and deletes a path and everything below it, never a sibling with the same prefix', async () => {
      const manifest = metadata.artifactManifest;
      for (const path of ['d/x', 'd/sub/y', 'd/sub/z', 'dd/x', 'd_/x', 'D/x']) await manifest.record(entry(path));
      assert.deepEqual(
        (await manifest.listUnder(parseArtifactPath('d'))).map((e) => e.path),
        ['d/sub/y', 'd/sub/z', 'd/x'],
      );
      assert.equal(await manifest.deleteUnder(parseArtifactPath('d/sub')), 2);
      assert.equal(await manifest.deleteUnder(parseArtifactPath('d/x')), 1);
      assert.deepEqual(
        (await manifest.listUnder(parseArtifactPath('', { allowRoot: true })))
          .map((e) => e.path)
          .filter((p) => !p.startsWith('1/')),
        ['D/x', 'd_/x', 'dd/x'],
      );
    });
  });
}
