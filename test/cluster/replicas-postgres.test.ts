/**
 * The replica-failover scenario (replica-workload.ts) on PostgreSQL: three `plumb server` processes
 * on one database, one SIGKILLed and restarted under twenty clients, then the rows checked in SQL.
 */
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres-databases.ts';
import { type DirectDatabase, DURATION_MS, runReplicaFailover, TEST_TIMEOUT_MS } from './replica-workload.ts';

async function openPostgres(uri: string): Promise<DirectDatabase> {
  const client = new pg.Client({ connectionString: uri });
  await client.connect();
  return {
    query: async (sql) => (await client.query(sql)).rows as Record<string, unknown>[],
    close: () => client.end(),
  };
}

void describe('three replicas on one PostgreSQL database, one SIGKILLed and restarted under load', () => {
  let database: TestDatabase | undefined;
  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => {
    await database?.drop();
  });

  const title = `loses and duplicates nothing, keeps the registry sound, answers no 5xx for ${DURATION_MS / 1000} s`;
  void it(title, { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const uri = database!.uri;
    await runReplicaFailover(t, { backendStoreUri: uri, openDatabase: () => openPostgres(uri) });
  });
});
