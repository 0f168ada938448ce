/**
 * `plumb doctor db` against MLflow databases, which it only reads: the real MLflow 3.11 fixture
 * (a copy: the original is read-only), a damaged copy of it, and MLflow-shaped schemas on
 * PostgreSQL (2.x layout, no workspaces) and MariaDB (3.x layout, workspaces).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createMysqlTestDatabase } from '../helpers/mysql-databases.ts';
import { createTestDatabase } from '../helpers/postgres-databases.ts';
import { errorsOf, findingOf, ids, tamper, withDoctor } from './doctor-fixtures.ts';

const MLFLOW_FIXTURE =
  process.env.PLUMB_MLFLOW_DB_FIXTURE ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'fixtures', 'mlflow-db');
const EXPECTED = JSON.parse(readFileSync(join(MLFLOW_FIXTURE, 'expected-counts.json'), 'utf8')) as {
  alembic_revision: string;
  run_ids_by_role: Record<string, string>;
};
const HOUR = 3_600_000;

const sha256Of = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

void describe('plumb doctor db on the MLflow 3.11 fixture', () => {
  let dir: string;
  let copy: string;
  let uri: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'plumb-doctor-mlflow-'));
    copy = join(dir, 'mlflow.db');
    copyFileSync(join(MLFLOW_FIXTURE, 'mlflow.db'), copy);
    uri = `sqlite:///${copy}`;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('names the Alembic revision and release, reports the RUNNING run as stuck, and writes nothing', async () => {
    const before = sha256Of(copy);
    const report = await withDoctor(dir, (doctor) => doctor.db.run({ stuckAfterMs: HOUR }), {
      backendStoreUri: uri,
    });
    assert.deepEqual(report.identity?.kind === 'mlflow' && report.identity.alembicRevision, EXPECTED.alembic_revision);
    assert.deepEqual(ids(report.findings), ['db.mlflow-schema', 'db.stuck-runs']);
    const schema = findingOf(report.findings, 'db.mlflow-schema');
    assert.equal(schema.severity, 'info');
    assert.match(schema.summary, /revision ae8bbe7743c9: the schema of MLflow 3\.11\./);
    const stuck = findingOf(report.findings, 'db.stuck-runs');
    // The SCHEDULED run is not stuck; the RUNNING one made with create_run and never ended is.
    assert.deepEqual(
      stuck.where?.items.map((i) => i.split(' ')[0]),
      [EXPECTED.run_ids_by_role.cls_running],
    );
    assert.equal(stuck.fixable, false);
    assert.match(stuck.repair, /set_terminated/);

    // Asked to repair, doctor keeps the MLflow database closed to writes and changes nothing.
    const repairs = await withDoctor(
      dir,
      async (doctor) => {
        assert.equal(doctor.writable, false);
        return doctor.db.repair(['db.stuck-runs'], { stuckAfterMs: HOUR });
      },
      { backendStoreUri: uri, repair: true },
    );
    assert.deepEqual(repairs, []);
    assert.equal(sha256Of(copy), before);
  });

  it('finds orphans, an alias on a soft-deleted version and a numbering gap in a damaged copy', async () => {
    const damaged = join(dir, 'damaged.db');
    copyFileSync(join(MLFLOW_FIXTURE, 'mlflow.db'), damaged);
    const damagedUri = `sqlite:///${damaged}`;
    await tamper(damagedUri, [
      "insert into metrics (key, value, timestamp, run_uuid, step, is_nan) values ('loss', 1, 1, 'ghost0000ghost0000ghost0000ghost', 0, 0)",
      "update registered_model_aliases set version = 4 where name = 'fixture-classifier' and alias = 'challenger'",
      "delete from model_versions where name = 'fixture-tree' and version = 2",
      "delete from registered_model_aliases where name = 'fixture-tree'",
    ]);
    const report = await withDoctor(dir, (doctor) => doctor.db.run({ stuckAfterMs: HOUR }), {
      backendStoreUri: damagedUri,
    });
    assert.deepEqual(errorsOf(report.findings), ['db.orphan-aliases', 'db.orphan-metrics']);
    const metrics = findingOf(report.findings, 'db.orphan-metrics');
    assert.deepEqual(metrics.where?.items, ['ghost0000ghost0000ghost0000ghost']);
    assert.equal(metrics.fixable, false);
    assert.match(metrics.repair, /DELETE FROM metrics WHERE run_uuid NOT IN \(SELECT run_uuid FROM runs\);/);
    assert.deepEqual(findingOf(report.findings, 'db.orphan-aliases').where?.items, [
      'fixture-classifier version 4 (alias challenger)',
    ]);
    assert.deepEqual(findingOf(report.findings, 'db.version-gaps').where?.items, ['fixture-tree: 2']);
  });

  it('the config and artifacts groups say an MLflow database has no node registry or manifest', async () => {
    const [config, artifacts] = await withDoctor(
      dir,
      async (doctor) => [await doctor.config.run(), await (await doctor.artifacts()).run()],
      { backendStoreUri: uri, artifactsDestination: join(dir, 'empty-store') },
    );
    assert.deepEqual(ids(config ?? []), ['config.no-node-registry']);
    assert.deepEqual(ids(artifacts ?? []), ['artifacts.no-manifest']);
  });
});

/** MLflow's tables as far as doctor reads them; `ws` adds 3.x workspaces. `q` quotes `key`. */
function mlflowSchema(q: (name: string) => string, revision: string, ws: boolean): string[] {
  const workspace = ws ? ", workspace varchar(63) not null default 'default'" : '';
  const modelKey = ws ? 'workspace, name' : 'name';
  const kv = (table: string) =>
    `create table ${table} (${q('key')} varchar(250) not null, value varchar(500), run_uuid varchar(32) not null)`;
  const metric = (table: string) =>
    `create table ${table} (${q('key')} varchar(250) not null, value float not null, timestamp bigint not null, run_uuid varchar(32) not null, step bigint not null default 0, is_nan smallint not null default 0)`;
  return [
    'create table alembic_version (version_num varchar(32) not null primary key)',
    `insert into alembic_version values ('${revision}')`,
    'create table runs (run_uuid varchar(32) primary key, name varchar(250), status varchar(9), start_time bigint, end_time bigint, lifecycle_stage varchar(20), artifact_uri varchar(200), experiment_id integer)',
    metric('metrics'),
    metric('latest_metrics'),
    kv('params'),
    kv('tags'),
    `create table registered_models (name varchar(256) not null${workspace}, primary key (${modelKey}))`,
    `create table model_versions (name varchar(256) not null, version integer not null, current_stage varchar(20)${workspace}, primary key (${modelKey}, version))`,
    `create table registered_model_aliases (alias varchar(256) not null, version integer not null, name varchar(256) not null${workspace}, primary key (${modelKey}, alias))`,
  ];
}

function mlflowRows(q: (name: string) => string, now: number): string[] {
  const old = now - 48 * HOUR;
  return [
    `insert into runs values ('${'a'.repeat(32)}', 'stuck', 'RUNNING', ${old}, null, 'active', 'mlflow-artifacts:/1/a', 1)`,
    `insert into runs values ('${'b'.repeat(32)}', 'busy', 'RUNNING', ${old}, null, 'active', 'mlflow-artifacts:/1/b', 1)`,
    `insert into runs values ('${'c'.repeat(32)}', 'done', 'FINISHED', ${old}, ${old}, 'active', 'mlflow-artifacts:/1/c', 1)`,
    `insert into metrics (${q('key')}, value, timestamp, run_uuid, step, is_nan) values ('loss', 1, ${now}, '${'b'.repeat(32)}', 0, 0)`,
    `insert into params (${q('key')}, value, run_uuid) values ('lr', '0.1', '${'9'.repeat(32)}')`,
    "insert into registered_models (name) values ('m1')",
    "insert into registered_models (name) values ('m2')",
    "insert into model_versions (name, version, current_stage) values ('m1', 1, 'None'), ('m1', 3, 'Production'), ('m2', 1, 'Deleted_Internal'), ('ghost', 1, 'None')",
    "insert into registered_model_aliases (alias, version, name) values ('champion', 3, 'm1'), ('champion', 1, 'm2')",
  ];
}

const MLFLOW_ENGINES = [
  {
    name: 'PostgreSQL (MLflow 2.8 layout)',
    create: createTestDatabase,
    quote: (n: string) => `"${n}"`,
    revision: 'acf3f17fdcc7',
    ws: false,
    release: /MLflow 2\.8–2\.12/,
  },
  {
    name: 'MariaDB (MLflow 3.11 layout)',
    create: createMysqlTestDatabase,
    quote: (n: string) => `\`${n}\``,
    revision: 'ae8bbe7743c9',
    ws: true,
    release: /MLflow 3\.11/,
  },
];

for (const engine of MLFLOW_ENGINES) {
  void describe(`plumb doctor db on an MLflow database on ${engine.name}`, () => {
    let database: Awaited<ReturnType<typeof engine.create>>;
    let dir: string;
    before(async () => {
      database = await engine.create();
      dir = mkdtempSync(join(tmpdir(), 'plumb-doctor-mlflow-engine-'));
      await tamper(database.uri, [
        ...mlflowSchema(engine.quote, engine.revision, engine.ws),
        ...mlflowRows(engine.quote, Date.now()),
      ]);
    });
    after(async () => {
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('runs the orphan, stuck and version checks on MLflow tables', async () => {
      const report = await withDoctor(dir, (doctor) => doctor.db.run({ stuckAfterMs: 24 * HOUR }), {
        backendStoreUri: database.uri,
      });
      assert.match(findingOf(report.findings, 'db.mlflow-schema').summary, engine.release);
      assert.deepEqual(errorsOf(report.findings), [
        'db.orphan-aliases',
        'db.orphan-model-versions',
        'db.orphan-params',
      ]);
      assert.deepEqual(findingOf(report.findings, 'db.orphan-params').where?.items, ['9'.repeat(32)]);
      assert.deepEqual(findingOf(report.findings, 'db.orphan-model-versions').where?.items, ['registered model ghost']);
      assert.deepEqual(findingOf(report.findings, 'db.orphan-aliases').where?.items, ['m2 version 1 (alias champion)']);
      assert.deepEqual(findingOf(report.findings, 'db.version-gaps').where?.items, ['m1: 2']);
      assert.deepEqual(
        findingOf(report.findings, 'db.stuck-runs').where?.items.map((i) => i.split(' ')[0]),
        ['a'.repeat(32)],
      );
      assert.ok(report.findings.every((f) => !f.fixable));
    });
  });
}
