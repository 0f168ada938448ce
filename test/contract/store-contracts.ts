import { openMetadataStore } from '../../src/app.ts';
import type { StoreConfig } from '../../src/config/config.ts';
import type { MetadataStore } from '../../src/store/store.ts';
import { artifactManifestContract } from './artifact-manifest.contract.ts';
import { loggedModelStoreContract } from './logged-model-store.contract.ts';
import { nodeRegistryContract } from './node-registry.contract.ts';
import { registryStoreContract } from './registry-store.contract.ts';
import { schemaCheckContract } from './schema-check.contract.ts';
import { trackingStoreContract } from './tracking-store.contract.ts';

/** Every metadata-port contract suite, against one backend: each suite opens its own store. */
export function metadataStoreContracts(label: string, openStore: () => Promise<MetadataStore>): void {
  trackingStoreContract(label, openStore);
  artifactManifestContract(label, openStore);
  registryStoreContract(label, openStore);
  loggedModelStoreContract(label, openStore);
  nodeRegistryContract(label, openStore);
  schemaCheckContract(label, openStore);
}

/** A migrated store on a database made for it, dropped again when the store closes. */
export async function openOnFreshDatabase(
  database: { readonly uri: string; drop(): Promise<void> },
  config: (uri: string) => StoreConfig,
): Promise<MetadataStore> {
  const store = openMetadataStore(config(database.uri));
  try {
    await store.schema.upgrade();
  } catch (error) {
    await store.close();
    await database.drop();
    throw error;
  }
  return {
    ...store,
    async close() {
      await store.close();
      await database.drop();
    },
  };
}
