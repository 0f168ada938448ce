import { openMetadataStore } from '../../src/app.ts';
import { metadataStoreContracts } from './store-contracts.ts';

metadataStoreContracts('sqlite (in memory)', async () => {
  const store = openMetadataStore({ kind: 'sqlite', uri: 'sqlite://', path: ':memory:' });
  await store.schema.upgrade();
  return store;
});
