/**
 * The orphan and stuck-run checks and their repairs on PostgreSQL and MariaDB: the same SQL as
 * on SQLite (written once through the dialect), against real servers with foreign keys that the
 * fault injection has to switch off.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Api, aRunInNewExperiment, getRun, logMetric } from '../fixtures/builders.ts';
import { createMysqlTestDatabase } from '../helpers/mysql-databases.ts';
import { createTestDatabase } from '../helpers/postgres-databases.ts';
import { createTestApp, type TestApp } from '../helpers/test-server.ts';
import { errorsOf, findingOf, ids, scalar, tamper, withDoctor } from './doctor-fixtures.ts';

const HOUR = 3_600_000;
const GHOST_RUN = 'feed0000feed0000feed0000feed0000';

const ENGINES = [
  { name: 'PostgreSQL', create: createTestDatabase },
  { name: 'MariaDB', create: createMysqlTestDatabase },
];

for (const engine of ENGINES) {
  void describe(`plumb doctor db on ${engine.name}`, () => {
    let database: Awaited<ReturnType<typeof engine.create>>;
    let test: TestApp;
    before(async () => {
      database = await engine.create();
      test = await createTestApp({ env: { MLFLOW_BACKEND_STORE_URI: database.uri } });
    });
    after(async () => {
      await test.close();
      await database.drop();
    });

    it('finds orphan rows and a stuck run, and --fix deletes the orphans and fails the run', async () => {
      const api = new Api(test);
      const target = { backendStoreUri: database.uri };
      const now = Date.now();
      const stuck = await aRunInNewExperiment(api, { start_time: now - 50 * HOUR });
      const busy = await aRunInNewExperiment(api, { start_time: now - 50 * HOUR });
      await logMetric(api, busy.info.run_id, { key: 'loss', value: 1, timestamp: now, step: 0 });
      await tamper(database.uri, [
        `insert into metrics (run_uuid, ${engine.name === 'MariaDB' ? '`key`' : 'key'}, value, timestamp, step, is_nan) values ('${GHOST_RUN}', 'loss', 0.5, 1, 0, 0)`,
        `insert into tags (run_uuid, ${engine.name === 'MariaDB' ? '`key`' : 'key'}, value) values ('${GHOST_RUN}', 'team', 'x')`,
      ]);

      const found = await withDoctor(test, (doctor) => doctor.db.run({ stuckAfterMs: 24 * HOUR }), target);
      assert.equal(found.identity?.kind, 'plumb');
      assert.deepEqual(errorsOf(found.findings), ['db.orphan-metrics', 'db.orphan-tags']);
      assert.deepEqual(findingOf(found.findings, 'db.orphan-metrics').where?.items, [GHOST_RUN]);
      assert.deepEqual(
        findingOf(found.findings, 'db.stuck-runs').where?.items.map((i) => i.split(' ')[0]),
        [stuck.info.run_id],
      );

      const repairs = await withDoctor(
        test,
        (doctor) => doctor.db.repair(ids(found.findings), { stuckAfterMs: 24 * HOUR }),
        { ...target, repair: true },
      );
      assert.deepEqual(
        repairs.map((r) => r.done),
        [
          'deleted 1 orphan row from metrics',
          'deleted 1 orphan row from tags',
          `marked 1 run FAILED: ${stuck.info.run_id}`,
        ],
      );
      const again = await withDoctor(test, (doctor) => doctor.db.run({ stuckAfterMs: 24 * HOUR }), target);
      assert.deepEqual(ids(again.findings), ['db.schema']);
      assert.equal((await getRun(api, stuck.info.run_id)).info.status, 'FAILED');
      assert.equal((await getRun(api, busy.info.run_id)).info.status, 'RUNNING');
      assert.equal(Number(await scalar(database.uri, 'select count(*) from metrics where value = 1')), 1);
    });

    it('without --fix the connection is read-only: a repair attempt fails and changes nothing', async () => {
      const key = engine.name === 'MariaDB' ? '`key`' : 'key';
      await tamper(database.uri, [`insert into params (run_uuid, ${key}, value) values ('${GHOST_RUN}', 'lr', '1')`]);
      const [outcome] = await withDoctor(test, (doctor) => doctor.db.repair(['db.orphan-params']), {
        backendStoreUri: database.uri,
      });
      assert.equal(outcome?.repaired, false);
      assert.match(outcome?.done ?? '', /read.only/i);
      assert.equal(
        Number(await scalar(database.uri, `select count(*) from params where run_uuid = '${GHOST_RUN}'`)),
        1,
      );
    });
  });
}
