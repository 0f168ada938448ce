import { openMetadataStore } from '../../src/app.ts';
import { artifactManifestContract } from './artifact-manifest.contract.ts';
import { loggedModelStoreContract } from './logged-model-store.contract.ts';
import { registryStoreContract } from './registry-store.contract.ts';
import { trackingStoreContract } from './tracking-store.contract.ts';

async function openInMemory() {
  const store = openMetadataStore({ kind: 'sqlite', uri: 'sqlite://', path: ':memory:' });
  await store.schema.upgrade();
  return store;
}

trackingStoreContract('sqlite (in memory)', openInMemory);
artifactManifestContract('sqlite (in memory)', openInMemory);
registryStoreContract('sqlite (in memory)', openInMemory);
loggedModelStoreContract('sqlite (in memory)', openInMemory);
