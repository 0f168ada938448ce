/**
 * The replica-failover scenario (replica-workload.ts) on MariaDB: three `plumb server` processes on
 * one database, one SIGKILLed and restarted under twenty clients, then the rows checked in SQL.
 */
import { after, before, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import { createMysqlTestDatabase, type TestDatabase } from '../helpers/mysql-databases.ts';
import { type DirectDatabase, DURATION_MS, runReplicaFailover, TEST_TIMEOUT_MS } from './replica-workload.ts';

async function openMariadb(uri: string): Promise<DirectDatabase> {
  const connection = await mysql.createConnection(uri);
  return {
    query: async (sql) => (await connection.query(sql))[0] as Record<string, unknown>[],
    close: () => connection.end(),
  };
}

void describe('three replicas on one MariaDB database, one SIGKILLed and restarted under load', () => {
  let database: TestDatabase | undefined;
  before(async () => {
    database = await createMysqlTestDatabase();
  });
  after(async () => {
    await database?.drop();
  });

  const title = `loses and duplicates nothing, keeps the registry sound, answers no 5xx for ${DURATION_MS / 1000} s`;
  void it(title, { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const uri = database!.uri;
    await runReplicaFailover(t, { backendStoreUri: uri, openDatabase: () => openMariadb(uri) });
  });
});
