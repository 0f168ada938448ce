import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type App, createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createMysqlTestDatabase } from './mysql-databases.ts';
import { createTestDatabase } from './postgres-databases.ts';

export interface TestApp {
  readonly app: App;
  readonly dir: string;
  close(): Promise<void>;
}

/** A Plumb app on a fresh SQLite database and artifact folder in a temp dir, for app.inject() tests. */
export interface TestAppOptions {
  readonly env?: Record<string, string>;
  /** Where artifacts go; a local folder in the temp dir by default. */
  readonly artifactsDestination?: string;
}

/**
 * PLUMB_TEST_STORE=postgres (or mysql) runs every app test on a fresh PostgreSQL (or MariaDB)
 * database of its own instead of a SQLite file (test/stores/api-on-*.test.ts run the API tests that way).
 */
export async function defaultStore(dir: string): Promise<{ uri: string; drop?: () => Promise<void> }> {
  if (process.env.PLUMB_TEST_STORE === 'postgres') return createTestDatabase();
  if (process.env.PLUMB_TEST_STORE === 'mysql') return createMysqlTestDatabase();
  return { uri: `sqlite:///${join(dir, 'mlruns.db')}` };
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'plumb-test-'));
  const store = options.env?.MLFLOW_BACKEND_STORE_URI ? undefined : await defaultStore(dir);
  const config = loadConfig(
    { PLUMB_LOG_LEVEL: 'silent', ...options.env },
    {
      backendStoreUri: options.env?.MLFLOW_BACKEND_STORE_URI ?? store?.uri,
      artifactsDestination: options.artifactsDestination ?? join(dir, 'mlartifacts'),
      host: '127.0.0.1',
      port: 0,
    },
    dir,
  );
  const app = await createApp(config);
  return {
    app,
    dir,
    async close() {
      await app.close();
      await store?.drop?.();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The same, listening on 127.0.0.1 on a free port, for tests that speak real HTTP. */
export async function startTestServer(
  options: TestAppOptions = {},
): Promise<{ baseUrl: string; dir: string; close(): Promise<void> }> {
  const test = await createTestApp(options);
  const address = await test.app.http.listen({ host: '127.0.0.1', port: 0 });
  return { baseUrl: address, dir: test.dir, close: () => test.close() };
}
