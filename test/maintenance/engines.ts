/** The three engines the maintenance tests run on, and the services as the commands build them. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNativeBackup, openMetadataStore } from '../../src/app.ts';
import { systemClock } from '../../src/core/clock.ts';
import { BackupService } from '../../src/transfer/backup.service.ts';
import { PLUMB_VERSION } from '../../src/version.ts';
import { createMysqlTestDatabase } from '../helpers/mysql-databases.ts';
import { createTestDatabase } from '../helpers/postgres-databases.ts';
import { storeConfigOf } from './world.ts';

export interface TestStore {
  readonly uri: string;
  drop(): Promise<void>;
}

export const ENGINES: readonly { readonly name: string; create(): Promise<TestStore> }[] = [
  {
    name: 'SQLite',
    create: () => {
      const dir = mkdtempSync(join(tmpdir(), 'plumb-sqlite-'));
      return Promise.resolve({
        uri: `sqlite:///${join(dir, 'plumb.db')}`,
        drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
      });
    },
  },
  { name: 'PostgreSQL', create: createTestDatabase },
  { name: 'MariaDB', create: createMysqlTestDatabase },
];

export async function backupService(uri: string, dir: string): Promise<BackupService> {
  const config = storeConfigOf(uri, dir);
  return new BackupService({
    openStore: () => openMetadataStore(config),
    native: await createNativeBackup(config),
    clock: systemClock,
    version: PLUMB_VERSION,
  });
}
