import { openMetadataStore } from '../../src/app.ts';
import type { MetadataStore } from '../../src/store/store.ts';
import { createMysqlTestDatabase } from '../helpers/mysql-databases.ts';
import { artifactManifestContract } from './artifact-manifest.contract.ts';
import { loggedModelStoreContract } from './logged-model-store.contract.ts';
import { registryStoreContract } from './registry-store.contract.ts';
import { trackingStoreContract } from './tracking-store.contract.ts';

/** Each suite gets its own fresh database on the machine's MariaDB, dropped when it closes. */
async function openFreshDatabase(): Promise<MetadataStore> {
  const database = await createMysqlTestDatabase();
  const store = openMetadataStore({ kind: 'mysql', uri: database.uri });
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

trackingStoreContract('mysql', openFreshDatabase);
artifactManifestContract('mysql', openFreshDatabase);
registryStoreContract('mysql', openFreshDatabase);
loggedModelStoreContract('mysql', openFreshDatabase);
