import { createTestDatabase } from '../helpers/postgres-databases.ts';
import { metadataStoreContracts, openOnFreshDatabase } from './store-contracts.ts';

// Each suite gets its own fresh database on the machine's PostgreSQL.
metadataStoreContracts('postgres', async () =>
  openOnFreshDatabase(await createTestDatabase(), (uri) => ({ kind: 'postgres', uri, connectionString: uri })),
);
