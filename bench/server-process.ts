/**
 * `plumb server` as its own process on a fresh database of an engine, as it runs in production:
 * the bench's clients do not share its event loop or its cores' time slices, and its memory can
 * be read from /proc (resident set now, and the high-water mark since start).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMysqlTestDatabase } from '../test/helpers/mysql-databases.ts';
import { startServerProcess } from '../test/helpers/plumb-process.ts';
import { createTestDatabase } from '../test/helpers/postgres-databases.ts';
import type { Engine } from './engines.ts';

export interface Memory {
  /** VmRSS: resident now, MB. */
  readonly rssMb: number;
  /** VmHWM: the most it was resident since it started, MB. */
  readonly peakMb: number;
}

export interface PlumbProcess {
  readonly baseUrl: string;
  memory(): Memory;
  close(): Promise<void>;
}

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  const kb = Number(line?.split(/\s+/)[1]);
  if (!Number.isFinite(kb)) throw new Error(`no ${field} in /proc/${pid}/status`);
  return kb / 1024;
}

/** Starts the built server (`npm run bench` builds first) on a fresh database of `engine`. */
export async function startPlumbProcess(engine: Engine, env: Record<string, string> = {}): Promise<PlumbProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'plumb-bench-'));
  const database =
    engine.id === 'postgres'
      ? await createTestDatabase()
      : engine.id === 'mysql'
        ? await createMysqlTestDatabase()
        : { uri: `sqlite:///${join(dir, 'bench.db')}`, drop: async () => undefined };
  try {
    const server = await startServerProcess({ backendStoreUri: database.uri, dir, env });
    return {
      baseUrl: server.baseUrl,
      memory: () => ({ rssMb: statusField(server.pid, 'VmRSS'), peakMb: statusField(server.pid, 'VmHWM') }),
      async close() {
        await server.kill('SIGTERM');
        await database.drop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
