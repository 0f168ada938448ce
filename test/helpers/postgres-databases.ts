import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The machine's PostgreSQL (STACK.md): trust auth on 127.0.0.1:5432. Tests create their own
 * databases through the `postgres` maintenance database and drop them afterwards.
 */
const ADMIN_URI = process.env.PLUMB_TEST_POSTGRES_URI ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** URI of the new, empty database. */
  readonly uri: string;
  readonly name: string;
  /** Drops it, closing any connection still open to it. */
  drop(): Promise<void>;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URI });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `plumb_test_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`create database ${name}`));
  const uri = new URL(ADMIN_URI);
  uri.pathname = `/${name}`;
  return {
    uri: uri.toString(),
    name,
    drop: () => admin((c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}
