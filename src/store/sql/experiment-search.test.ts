import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { parseExperimentFilter } from '../../search/filter-parser.ts';
import { parseExperimentOrderBy } from '../../search/order-by-parser.ts';
import { openSqlite, sqliteDialect } from '../sqlite/sqlite-dialect.ts';
import { applyExperimentFilter, applyExperimentOrderBy } from './experiment-search.ts';
import { Migrator } from './migrator.ts';
import type { Database } from './schema.ts';

/** Inserted in this order, so their ids are 1 to 4; creation_time ties between alpha and beta. */
const EXPERIMENTS = [
  { name: 'Default', creation_time: 100, last_update_time: 500, tags: { team: 'core' } },
  { name: 'alpha', creation_time: 300, last_update_time: 300, tags: { team: 'Core' } },
  { name: 'Alpha-2', creation_time: 200, last_update_time: 400, tags: { owner: 'x' } },
  { name: 'beta', creation_time: 300, last_update_time: 300, tags: {} },
] as const;

void describe('experiment search on SQLite', () => {
  let db: Kysely<Database>;
  before(async () => {
    db = openSqlite({ path: ':memory:' }).db;
    await new Migrator(db, sqliteDialect).upgrade(() => Date.now());
    for (const { tags, ...experiment } of EXPERIMENTS) {
      const { experiment_id } = await db
        .insertInto('experiments')
        .values({ ...experiment, artifact_location: 'x', lifecycle_stage: 'active' })
        .returning('experiment_id')
        .executeTakeFirstOrThrow();
      for (const [key, value] of Object.entries(tags)) {
        await db.insertInto('experiment_tags').values({ experiment_id, key, value }).execute();
      }
    }
  });
  after(() => db.destroy());

  async function search(filter: string, orderBy?: readonly string[]): Promise<string[]> {
    let qb = db.selectFrom('experiments').select('experiments.name');
    qb = applyExperimentFilter(qb, parseExperimentFilter(filter), sqliteDialect);
    qb = applyExperimentOrderBy(qb, parseExperimentOrderBy(orderBy), sqliteDialect);
    return (await qb.execute()).map((r) => r.name);
  }
  const matches = async (filter: string) => (await search(filter)).sort();

  const FILTERS: readonly [string, string, readonly string[]][] = [
    ['name =', "name = 'alpha'", ['alpha']],
    ['name = is case-sensitive', "name = 'ALPHA'", []],
    ['name !=', "attribute.name != 'alpha'", ['Alpha-2', 'Default', 'beta']],
    ['name LIKE is case-sensitive', "name LIKE 'a%'", ['alpha']],
    ['name LIKE with an upper-case pattern', "name LIKE 'A%'", ['Alpha-2']],
    ['name ILIKE ignores case', "name ILIKE 'a%'", ['Alpha-2', 'alpha']],
    ['name LIKE _', "name LIKE 'Alpha_2'", ['Alpha-2']],
    ['creation_time >', 'creation_time > 100', ['Alpha-2', 'alpha', 'beta']],
    ['creation_time =', 'creation_time = 300', ['alpha', 'beta']],
    ['creation_time <', 'creation_time < 300', ['Alpha-2', 'Default']],
    ['last_update_time <=', 'last_update_time <= 300', ['alpha', 'beta']],
    ['last_update_time >=', 'last_update_time >= 400', ['Alpha-2', 'Default']],
    ['last_update_time !=', 'last_update_time != 300', ['Alpha-2', 'Default']],
    ['tag =', "tags.team = 'core'", ['Default']],
    ['tag ILIKE', "tags.team ILIKE 'core'", ['Default', 'alpha']],
    ['tag LIKE', "tag.team LIKE 'C%'", ['alpha']],
    ['tag != skips experiments without the tag', "tags.team != 'core'", ['alpha']],
    ['clauses are ANDed', "tags.team ILIKE 'core' AND creation_time > 100", ['alpha']],
  ];
  for (const [what, filter, expected] of FILTERS) {
    void test(`${what}: ${filter}`, async () => assert.deepEqual(await matches(filter), expected));
  }

  const ORDERS: readonly [string, readonly string[], readonly string[]][] = [
    ['default order is creation_time DESC, experiment_id ASC', [], ['alpha', 'beta', 'Alpha-2', 'Default']],
    ['name sorts by binary collation', ['name'], ['Alpha-2', 'Default', 'alpha', 'beta']],
    ['name DESC', ['name DESC'], ['beta', 'alpha', 'Default', 'Alpha-2']],
    ['ties are broken by experiment_id DESC', ['creation_time'], ['Default', 'Alpha-2', 'beta', 'alpha']],
    [
      'last_update_time DESC, ties by experiment_id DESC',
      ['last_update_time DESC'],
      ['Default', 'Alpha-2', 'beta', 'alpha'],
    ],
    ['experiment_id DESC', ['experiment_id DESC'], ['beta', 'Alpha-2', 'alpha', 'Default']],
    [
      'an explicit experiment_id replaces the tie-break',
      ['creation_time DESC', 'experiment_id ASC'],
      ['alpha', 'beta', 'Alpha-2', 'Default'],
    ],
  ];
  for (const [what, orderBy, expected] of ORDERS) {
    void test(`orders: ${what}`, async () => assert.deepEqual(await search('', orderBy), expected));
  }

  void test('filter and order compose', async () =>
    assert.deepEqual(await search('creation_time >= 200', ['name DESC']), ['beta', 'alpha', 'Alpha-2']));
});
