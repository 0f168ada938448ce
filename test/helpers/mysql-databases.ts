import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';

/**
 * The machine's MariaDB (STACK.md): root without a password on 127.0.0.1:3306. Tests create their
 * own databases and drop them afterwards.
 */
const ADMIN_URI = process.env.PLUMB_TEST_MYSQL_URI ?? 'mysql://root@127.0.0.1:3306/test';

export interface TestDatabase {
  /** URI of the new, empty database. */
  readonly uri: string;
  readonly name: string;
  drop(): Promise<void>;
}

async function admin(statement: string): Promise<void> {
  const connection = await mysql.createConnection(ADMIN_URI);
  try {
    await connection.query(statement);
  } finally {
    await connection.end();
  }
}

export async function createMysqlTestDatabase(): Promise<TestDatabase> {
  const name = `plumb_test_${randomBytes(6).toString('hex')}`;
  await admin(`create database ${name}`);
  const uri = new URL(ADMIN_URI);
  uri.pathname = `/${name}`;
  return { uri: uri.toString(), name, drop: () => admin(`drop database if exists ${name}`) };
}
