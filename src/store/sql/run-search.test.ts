import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { parseRunFilter } from '../../search/filter-parser.ts';
import { parseRunOrderBy } from '../../search/order-by-parser.ts';
import { openSqlite, sqliteDialect } from '../sqlite/sqlite-dialect.ts';
import { Migrator } from './migrator.ts';
import { applyRunFilter, applyRunOrderBy } from './run-search.ts';
import type { Database } from './schema.ts';

interface RunSpec {
  readonly name: string;
  readonly status: string;
  readonly user: string;
  readonly start: number | null;
  readonly end: number | null;
  readonly uri: string;
  readonly metrics?: Record<string, number>;
  readonly params?: Record<string, string>;
  readonly tags?: Record<string, string>;
}

/**
 * Five runs chosen so that each comparison separates them: case-only differences (alice/Alice,
 * core/Core, ABC/abc), a NaN metric, missing keys, NULL times, start_time ties and names holding
 * GLOB metacharacters.
 */
const RUNS: Record<string, RunSpec> = {
  r1: {
    name: 'alpha',
    status: 'FINISHED',
    user: 'alice',
    start: 100,
    end: 200,
    uri: 's3://bucket/r1',
    metrics: { acc: 0.9, tie: 1 },
    params: { lr: '0.1', opt: 'Adam' },
    tags: { team: 'core' },
  },
  r2: {
    name: 'Beta',
    status: 'FAILED',
    user: 'bob',
    start: 300,
    end: null,
    uri: 'file:///r2',
    metrics: { acc: Number.NaN },
    params: { lr: '0.01', opt: 'sgd' },
    tags: { team: 'Core' },
  },
  r3: {
    name: 'alpzha',
    status: 'RUNNING',
    user: 'Alice',
    start: 200,
    end: 250,
    uri: 'file:///r3',
    metrics: { acc: 0.5, tie: 1 },
    params: { lr: 'ABC' },
    tags: { team: 'infra' },
  },
  r4: {
    name: 'd*lta[1]',
    status: 'FINISHED',
    user: 'carol',
    start: 300,
    end: 400,
    uri: 'file:///r4',
    metrics: { acc: -1, tie: 1 },
    params: { lr: 'abc' },
    tags: { 'my tag': 'x' },
  },
  r5: { name: 'alp_ha', status: 'KILLED', user: 'dave', start: null, end: null, uri: 'file:///r5' },
};

async function seed(db: Kysely<Database>): Promise<void> {
  const { experiment_id } = await db
    .insertInto('experiments')
    .values({ name: 'e', artifact_location: 'x', lifecycle_stage: 'active', creation_time: 0, last_update_time: 0 })
    .returning('experiment_id')
    .executeTakeFirstOrThrow();
  for (const [id, r] of Object.entries(RUNS)) {
    await db
      .insertInto('runs')
      .values({
        run_uuid: id,
        name: r.name,
        experiment_id,
        user_id: r.user,
        status: r.status,
        start_time: r.start,
        end_time: r.end,
        deleted_time: null,
        lifecycle_stage: 'active',
        artifact_uri: r.uri,
      })
      .execute();
    for (const [key, value] of Object.entries(r.metrics ?? {})) {
      const nan = Number.isNaN(value);
      const row = { run_uuid: id, key, value: nan ? 0 : value, timestamp: 1, step: 0, is_nan: nan ? 1 : 0 };
      await db.insertInto('latest_metrics').values(row).execute();
    }
    for (const [key, value] of Object.entries(r.params ?? {})) {
      await db.insertInto('params').values({ run_uuid: id, key, value }).execute();
    }
    for (const [key, value] of Object.entries(r.tags ?? {})) {
      await db.insertInto('tags').values({ run_uuid: id, key, value }).execute();
    }
  }
  const dataset = (uuid: string, name: string, digest: string) => ({
    dataset_uuid: uuid,
    experiment_id,
    name,
    digest,
    dataset_source_type: 'local',
    dataset_source: '{}',
    dataset_schema: null,
    dataset_profile: null,
  });
  await db
    .insertInto('datasets')
    .values([dataset('d1', 'train', 'aaa'), dataset('d2', 'Eval', 'bbb')])
    .execute();
  const input = (uuid: string, source: string, destination: string, destinationType = 'RUN') => ({
    input_uuid: uuid,
    source_type: 'DATASET',
    source_id: source,
    destination_type: destinationType,
    destination_id: destination,
  });
  await db
    .insertInto('inputs')
    .values([
      input('i1', 'd1', 'r1'),
      input('i2', 'd2', 'r1'),
      input('i3', 'd1', 'r2'),
      input('i4', 'd2', 'r3'),
      // A dataset given to a model, not to run r4: run searches must not see it.
      input('i5', 'd1', 'r4', 'MODEL'),
    ])
    .execute();
  const context = (inputUuid: string, value: string) => ({ input_uuid: inputUuid, name: 'mlflow.data.context', value });
  await db
    .insertInto('input_tags')
    .values([
      context('i1', 'training'),
      context('i2', 'eval'),
      context('i4', 'Training'),
      context('i5', 'training'),
      { input_uuid: 'i3', name: 'other', value: 'training' },
    ])
    .execute();
}

void describe('run search on SQLite', () => {
  let db: Kysely<Database>;
  before(async () => {
    db = openSqlite({ path: ':memory:' }).db;
    await new Migrator(db, sqliteDialect).upgrade(() => Date.now());
    await seed(db);
  });
  after(() => db.destroy());

  async function search(filter: string, orderBy?: readonly string[]): Promise<string[]> {
    let qb = db.selectFrom('runs').select('runs.run_uuid');
    qb = applyRunFilter(qb, parseRunFilter(filter), sqliteDialect);
    qb = applyRunOrderBy(qb, parseRunOrderBy(orderBy), sqliteDialect);
    return (await qb.execute()).map((r) => r.run_uuid);
  }
  const matches = async (filter: string) => (await search(filter)).sort();

  const FILTERS: readonly [string, string, readonly string[]][] = [
    ['attribute =', "status = 'FINISHED'", ['r1', 'r4']],
    ['attribute !=', "attributes.status != 'FINISHED'", ['r2', 'r3', 'r5']],
    ['attribute = is case-sensitive', "user_id = 'alice'", ['r1']],
    ['attribute LIKE is case-sensitive', "run_name LIKE 'alp%'", ['r1', 'r3', 'r5']],
    ['attribute LIKE with upper-case pattern finds no lower-case name', "run_name LIKE 'ALP%'", []],
    ['attribute ILIKE ignores case', "run_name ILIKE 'ALP%'", ['r1', 'r3', 'r5']],
    ['attribute ILIKE matches an upper-case value', "run_name ILIKE 'b%'", ['r2']],
    ['LIKE _ matches exactly one character', "run_name LIKE 'alp_ha'", ['r3', 'r5']],
    ['LIKE without wildcards is whole-value', "status LIKE 'FINISH'", []],
    ['LIKE treats * literally', "run_name LIKE 'd*%'", ['r4']],
    ['LIKE treats ? literally', "run_name LIKE 'd?lta%'", []],
    ['LIKE treats [ literally', "run_name LIKE '%[1]'", ['r4']],
    ['ILIKE treats GLOB metacharacters literally', "run_name ILIKE 'D*LTA[1]'", ['r4']],
    ['run name alias compares the run name', "`Run Name` = 'Beta'", ['r2']],
    ['artifact_uri LIKE', "artifact_uri LIKE 's3://%'", ['r1']],
    ['run_id IN', "run_id IN ('r1', 'r3')", ['r1', 'r3']],
    ['run_id NOT IN', "attributes.run_id NOT IN ('r1', 'r3')", ['r2', 'r4', 'r5']],
    ['run_id IN drops upper-case ids, as MLflow does', "run_id IN ('R1')", []],
    ['run_id NOT IN with only dropped ids keeps every run', "run_id NOT IN ('R1')", ['r1', 'r2', 'r3', 'r4', 'r5']],
    ['start_time >', 'start_time > 100', ['r2', 'r3', 'r4']],
    ['start_time =', 'start_time = 300', ['r2', 'r4']],
    ['created <=', 'created <= 200', ['r1', 'r3']],
    ['end_time != skips runs without an end time', 'end_time != 200', ['r3', 'r4']],
    ['end_time <', 'end_time < 400', ['r1', 'r3']],
    ['end_time >=', 'end_time >= 250', ['r3', 'r4']],
    ['metric >', 'metrics.acc > 0.6', ['r1']],
    ['metric >=', 'metrics.acc >= 0.5', ['r1', 'r3']],
    ['metric <', 'metrics.acc < 0.5', ['r4']],
    ['metric <=', 'metrics.acc <= 0.9', ['r1', 'r3', 'r4']],
    ['metric =', 'metrics.acc = 0.5', ['r3']],
    ['NaN is not equal to its stored placeholder 0', 'metrics.acc = 0', []],
    ['NaN is not below a number', 'metrics.acc < 1', ['r1', 'r3', 'r4']],
    ['NaN is not above a number', 'metrics.acc > -2', ['r1', 'r3', 'r4']],
    ['NaN differs from every number', 'metrics.acc != 0.5', ['r1', 'r2', 'r4']],
    ['a run without the metric never matches', 'metrics.tie != 5', ['r1', 'r3', 'r4']],
    ['param =', "params.lr = '0.1'", ['r1']],
    ['param != skips runs without the param', "params.lr != '0.1'", ['r2', 'r3', 'r4']],
    ['param LIKE is case-sensitive', "params.lr LIKE 'a%'", ['r4']],
    ['param ILIKE ignores case', "params.lr ILIKE 'a%'", ['r3', 'r4']],
    ['param LIKE _', "params.lr LIKE '0._'", ['r1']],
    ['param = is case-sensitive', "params.opt = 'adam'", []],
    ['tag =', "tags.team = 'core'", ['r1']],
    ['tag !=', "tags.team != 'core'", ['r2', 'r3']],
    ['tag LIKE', "tags.team LIKE 'C%'", ['r2']],
    ['tag ILIKE', "tags.team ILIKE 'core'", ['r1', 'r2']],
    ['tag key with a space', "tags.`my tag` = 'x'", ['r4']],
    ['dataset name =', "dataset.name = 'train'", ['r1', 'r2']],
    ['dataset name LIKE is case-sensitive', "dataset.name LIKE 'eval'", []],
    ['dataset name ILIKE', "datasets.name ILIKE 'EVAL'", ['r1', 'r3']],
    ['dataset name !=', "dataset.name != 'train'", ['r1', 'r3']],
    ['dataset name IN', "dataset.name IN ('Eval')", ['r1', 'r3']],
    ['dataset name NOT IN', "dataset.name NOT IN ('train')", ['r1', 'r3']],
    ['dataset digest =', "dataset.digest = 'aaa'", ['r1', 'r2']],
    ['dataset digest IN', "dataset.digest IN ('aaa', 'bbb')", ['r1', 'r2', 'r3']],
    ['dataset context =', "dataset.context = 'training'", ['r1']],
    ['dataset context ILIKE', "dataset.context ILIKE 'TRAIN%'", ['r1', 'r3']],
    ['dataset context IN', "dataset.context IN ('eval', 'Training')", ['r1', 'r3']],
    ['dataset context != needs a context', "dataset.context != 'training'", ['r1', 'r3']],
    ['dataset context NOT IN', "dataset.context NOT IN ('eval')", ['r1', 'r3']],
    ['clauses are ANDed', "metrics.acc > 0 AND params.lr = '0.1'", ['r1']],
    [
      'clauses of every type together',
      "metrics.tie = 1 AND tags.team ILIKE '%' AND dataset.name = 'Eval'",
      ['r1', 'r3'],
    ],
  ];
  for (const [what, filter, expected] of FILTERS) {
    void test(`${what}: ${filter}`, async () => assert.deepEqual(await matches(filter), expected));
  }

  const ORDERS: readonly [string, readonly string[], readonly string[]][] = [
    ['default order is start_time DESC, run_id ASC, NULL start last', [], ['r2', 'r4', 'r3', 'r1', 'r5']],
    ['metric ASC puts NaN after numbers and missing last', ['metrics.acc'], ['r4', 'r3', 'r1', 'r2', 'r5']],
    ['metric DESC still puts NaN and missing last', ['metrics.acc DESC'], ['r1', 'r3', 'r4', 'r2', 'r5']],
    ['metric ties fall back to start_time DESC', ['metrics.tie'], ['r4', 'r3', 'r1', 'r2', 'r5']],
    ['param ASC compares strings, missing last', ['params.lr ASC'], ['r2', 'r1', 'r3', 'r4', 'r5']],
    ['param DESC, missing last', ['params.lr DESC'], ['r4', 'r3', 'r1', 'r2', 'r5']],
    ['tag DESC with two runs missing it', ['tags.team DESC'], ['r3', 'r1', 'r2', 'r4', 'r5']],
    ['attribute ASC puts NULL last', ['attributes.end_time'], ['r1', 'r3', 'r4', 'r2', 'r5']],
    ['attribute DESC puts NULL last', ['end_time DESC'], ['r4', 'r3', 'r1', 'r2', 'r5']],
    ['start_time ASC replaces the default, run_id breaks the tie', ['start_time ASC'], ['r1', 'r3', 'r2', 'r4', 'r5']],
    ['created is start_time', ['created DESC'], ['r2', 'r4', 'r3', 'r1', 'r5']],
    ['run_name sorts by binary collation', ['run_name'], ['r2', 'r5', 'r1', 'r3', 'r4']],
    ['run_id DESC', ['run_id DESC'], ['r5', 'r4', 'r3', 'r2', 'r1']],
    ['status, then start_time DESC', ['status'], ['r2', 'r4', 'r1', 'r5', 'r3']],
    ['later clauses order ties of earlier ones', ['metrics.tie DESC', 'run_name DESC'], ['r4', 'r3', 'r1', 'r5', 'r2']],
  ];
  for (const [what, orderBy, expected] of ORDERS) {
    void test(`orders: ${what}`, async () => assert.deepEqual(await search('', orderBy), expected));
  }

  void test('filter and order compose', async () =>
    assert.deepEqual(await search("params.lr ILIKE '%'", ['metrics.acc DESC']), ['r1', 'r3', 'r4', 'r2']));
  void test('the caller keeps its own selection', async () => {
    let qb = db.selectFrom('runs').select(['runs.run_uuid', 'runs.name']);
    qb = applyRunFilter(qb, parseRunFilter("run_id = 'r2'"), sqliteDialect);
    assert.deepEqual(await applyRunOrderBy(qb, [], sqliteDialect).execute(), [{ run_uuid: 'r2', name: 'Beta' }]);
  });
});
