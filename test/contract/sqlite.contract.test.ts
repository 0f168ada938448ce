import { openMetadataStore } from '../../src/app.ts';
import { trackingStoreContract } from './tracking-store.contract.ts';

trackingStoreContract('sqlite (in memory)', async () => {
  const store = openMetadataStore({ kind: 'sqlite', uri: 'sqlite://', path: ':memory:' });
  await store.schema.upgrade();
  return store;
});
