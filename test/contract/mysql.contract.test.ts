import { createMysqlTestDatabase } from '../helpers/mysql-databases.ts';
import { metadataStoreContracts, openOnFreshDatabase } from './store-contracts.ts';

// Each suite gets its own fresh database on the machine's MariaDB.
metadataStoreContracts('mysql (MariaDB)', async () =>
  openOnFreshDatabase(await createMysqlTestDatabase(), (uri) => ({ kind: 'mysql', uri })),
);
