/**
 * `plumb backup` / `plumb restore` in process, on SQLite, PostgreSQL and MariaDB, with the engine's
 * own tool and with Plumb's logical dump: a backup restored into a fresh database reads back
 * identical through the API, and new writes after it get fresh ids.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MIGRATIONS } from '../../src/store/sql/migrations/index.ts';
import { Api, anExperiment } from '../fixtures/builders.ts';
import { aModelVersion } from '../fixtures/registry-builders.ts';
import { createTestApp } from '../helpers/test-server.ts';
import { backupService, ENGINES } from './engines.ts';
import { captureWorld, seedWorld } from './world.ts';

const NATIVE_TOOLS: Record<string, readonly string[]> = {
  SQLite: ['sqlite-online-backup'],
  PostgreSQL: ['pg_dump'],
  MariaDB: ['mariadb-dump', 'mysqldump'],
};

void describe('backup and restore', () => {
  for (const engine of ENGINES) {
    for (const logical of [false, true]) {
      const method = logical ? 'logical' : 'native';
      void it(`${engine.name}: a ${method} backup restores into a fresh database, identical through the API`, async () => {
        const source = await engine.create();
        const target = await engine.create();
        const test = await createTestApp({ env: { MLFLOW_BACKEND_STORE_URI: source.uri } });
        try {
          const world = await seedWorld(new Api(test));
          const before = await captureWorld(new Api(test), world);
          const dir = join(test.dir, 'backup');
          const manifest = await (await backupService(source.uri, test.dir)).backup(dir, { logical });
          assert.equal(manifest.method, method);
          if (logical) assert.equal(manifest.tool, 'plumb');
          else assert.ok(NATIVE_TOOLS[engine.name]!.includes(manifest.tool), manifest.tool);
          assert.deepEqual(
            manifest.migrations.map((m) => m.version),
            MIGRATIONS.map((m) => m.version),
          );
          assert.equal(manifest.rowCounts.runs, world.runIds.length);
          assert.equal(manifest.rowCounts.registered_model_aliases, 1);

          const report = await (await backupService(target.uri, test.dir)).restore(dir);
          assert.deepEqual(report.countMismatches, []);
          assert.deepEqual(report.pendingMigrations, []);
          assert.equal(report.rowCounts.model_versions, 3);
          const restored = await createTestApp({
            env: { MLFLOW_BACKEND_STORE_URI: target.uri },
            artifactsDestination: join(test.dir, 'mlartifacts'),
          });
          try {
            const api = new Api(restored);
            assert.deepEqual(await captureWorld(api, world), before);
            // Id generators continue after the restored ids.
            const experimentId = await anExperiment(api);
            assert.ok(Number(experimentId) > Math.max(...world.experimentIds.map(Number)), experimentId);
            assert.equal((await aModelVersion(api, world.modelName)).version, '4');
          } finally {
            await restored.close();
          }
        } finally {
          await test.close();
          await source.drop();
          await target.drop();
        }
      });
    }
  }
});
