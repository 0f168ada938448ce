/**
 * The three engines the benchmark runs on, how to tell whether one is reachable, and how to start
 * a Plumb server on a fresh database of it (through the test helpers, as the API tests do).
 */
import BetterSqlite3 from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { MetadataStore } from '../src/store/store.ts';
import { createTestApp } from '../test/helpers/test-server.ts';

export type EngineId = 'sqlite' | 'postgres' | 'mysql';

export interface Engine {
  readonly id: EngineId;
  readonly label: string;
  /** The PLUMB_TEST_STORE value that makes startTestServer() use this engine (none for SQLite). */
  readonly testStore: string | undefined;
}

export const ENGINES: readonly Engine[] = [
  { id: 'sqlite', label: 'SQLite', testStore: undefined },
  { id: 'postgres', label: 'PostgreSQL', testStore: 'postgres' },
  { id: 'mysql', label: 'MariaDB', testStore: 'mysql' },
];

/** The same maintenance URIs as test/helpers/postgres-databases.ts and mysql-databases.ts. */
export const POSTGRES_ADMIN_URI =
  process.env.PLUMB_TEST_POSTGRES_URI ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const MYSQL_ADMIN_URI = process.env.PLUMB_TEST_MYSQL_URI ?? 'mysql://root@127.0.0.1:3306/test';

const CONNECT_TIMEOUT_MS = 3000;

/** Where the engine is, for the skip line. */
export function whereIs(engine: Engine): string {
  if (engine.id === 'sqlite') return 'a temp file';
  return new URL(engine.id === 'postgres' ? POSTGRES_ADMIN_URI : MYSQL_ADMIN_URI).host;
}

/** Connects once: the server's version string when the engine is reachable, else an Error. */
export async function probe(engine: Engine): Promise<string> {
  switch (engine.id) {
    case 'sqlite': {
      const db = new BetterSqlite3(':memory:');
      try {
        return `SQLite ${(db.prepare('select sqlite_version() as v').get() as { v: string }).v}`;
      } finally {
        db.close();
      }
    }
    case 'postgres': {
      const client = new pg.Client({
        connectionString: POSTGRES_ADMIN_URI,
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      });
      await client.connect();
      try {
        const { rows } = await client.query<{ v: string }>("select current_setting('server_version') as v");
        return `PostgreSQL ${rows[0]!.v.split(' ')[0]}`;
      } finally {
        await client.end();
      }
    }
    case 'mysql': {
      const connection = await mysql.createConnection({ uri: MYSQL_ADMIN_URI, connectTimeout: CONNECT_TIMEOUT_MS });
      try {
        const [rows] = await connection.query('select version() as v');
        const version = (rows as { v: string }[])[0]!.v;
        return version.toLowerCase().includes('mariadb')
          ? `MariaDB ${version.split('-')[0]}`
          : `MySQL ${version.split('-')[0]}`;
      } finally {
        await connection.end();
      }
    }
  }
}

export interface PlumbServer {
  readonly baseUrl: string;
  /** The server's own store, for loading data faster than the API can (bench/search-data.ts). */
  readonly store: MetadataStore;
  close(): Promise<void>;
}

/**
 * An in-process Plumb server on a fresh database of `engine` (dropped on close), or on the
 * database at `storeUri` (kept), listening as startTestServer() does, with PLUMB_TEST_STORE set
 * for the call and restored afterwards.
 */
export async function startPlumb(engine: Engine, storeUri?: string): Promise<PlumbServer> {
  const previous = process.env.PLUMB_TEST_STORE;
  if (engine.testStore === undefined) delete process.env.PLUMB_TEST_STORE;
  else process.env.PLUMB_TEST_STORE = engine.testStore;
  try {
    const test = await createTestApp(storeUri ? { env: { MLFLOW_BACKEND_STORE_URI: storeUri } } : {});
    const baseUrl = await test.app.http.listen({ host: '127.0.0.1', port: 0 });
    return { baseUrl, store: test.app.store, close: () => test.close() };
  } finally {
    if (previous === undefined) delete process.env.PLUMB_TEST_STORE;
    else process.env.PLUMB_TEST_STORE = previous;
  }
}
