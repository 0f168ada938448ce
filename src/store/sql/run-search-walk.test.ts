import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { parseRunFilter } from '../../search/filter-parser.ts';
import { parseRunOrderBy } from '../../search/order-by-parser.ts';
import type { RunQuery } from '../store.ts';
import { openSqlite, sqliteDialect } from '../sqlite/sqlite-dialect.ts';
import { Migrator } from './migrator.ts';
import { searchRuns } from './run-queries.ts';
import { walkEntryOrder } from './run-search-walk.ts';
import type { Database } from './schema.ts';

/** The same store without the walk: every search takes the general plan, the reference here. */
const generalOnly = { ...sqliteDialect, crossJoinFixesOrder: false };

/**
 * Runs whose order-by metric has many ties, NaN and missing values, spread over two experiments,
 * with deleted runs, missing and tied start times, and params, tags and a second metric to
 * filter on with selectivities from all runs to a few.
 */
async function seed(db: Kysely<Database>): Promise<{ a: string; b: string }> {
  const experiment = async (name: string) =>
    String(
      (
        await db
          .insertInto('experiments')
          .values({ name, artifact_location: 'x', lifecycle_stage: 'active', creation_time: 0, last_update_time: 0 })
          .returning('experiment_id')
          .executeTakeFirstOrThrow()
      ).experiment_id,
    );
  const a = await experiment('a');
  const b = await experiment('b');
  for (let i = 0; i < 600; i++) {
    const run_uuid = `run${String(i).padStart(4, '0')}`;
    await db
      .insertInto('runs')
      .values({
        run_uuid,
        name: run_uuid,
        experiment_id: Number(i % 3 === 0 ? b : a),
        user_id: 'u',
        status: 'FINISHED',
        start_time: i % 11 === 0 ? null : 1000 + (i % 13),
        end_time: null,
        deleted_time: null,
        lifecycle_stage: i % 17 === 0 ? 'deleted' : 'active',
        artifact_uri: 'x',
      })
      .execute();
    const metrics: [string, number][] = [['g', ((i * 7919) % 1000) / 1000]];
    if (i % 19 !== 0) metrics.push(['m', i % 23 === 0 ? Number.NaN : Math.floor(((i * 37) % 600) / 7)]);
    for (const [key, value] of metrics) {
      const nan = Number.isNaN(value);
      await db
        .insertInto('latest_metrics')
        .values({ run_uuid, key, value: nan ? 0 : value, timestamp: 1, step: 0, is_nan: nan ? 1 : 0 })
        .execute();
    }
    await db
      .insertInto('params')
      .values({ run_uuid, key: 'p', value: `v${i % 10}` })
      .execute();
    if (i % 50 === 0) await db.insertInto('tags').values({ run_uuid, key: 't', value: 'rare' }).execute();
    // A key most runs have, with values from many ties to unique ones.
    if (i % 3 !== 1) {
      const value = i % 2 === 0 ? `w${i % 7}` : `x${String(i).padStart(4, '0')}`;
      await db.insertInto('tags').values({ run_uuid, key: 'u', value }).execute();
    }
  }
  return { a, b };
}

void describe('run search: walking the order-by key (SQLite)', () => {
  let db: Kysely<Database>;
  let experiments: { a: string; b: string };
  before(async () => {
    db = openSqlite({ path: ':memory:' }).db;
    await new Migrator(db, sqliteDialect).upgrade(() => Date.now());
    experiments = await seed(db);
  });
  after(() => db.destroy());

  const FILTERS = [
    '',
    "params.p = 'v1'",
    "params.p = 'v1' and metrics.g > 0.5",
    'metrics.g > 0.2',
    'metrics.g > 0.99',
    "tags.t = 'rare'",
    "params.p != 'v3'",
  ];
  const ORDERS = ['metrics.m DESC', 'metrics.m ASC', 'metrics.g DESC', 'params.p DESC', 'tags.u ASC', 'tags.u DESC'];
  const PAGES = [
    { maxResults: 5, offset: 0 },
    { maxResults: 20, offset: 0 },
    { maxResults: 20, offset: 40 },
    { maxResults: 50, offset: 7 },
  ];
  /** Each lifecycle view once with one experiment and once with both: the scope's four cases in two. */
  const SCOPES = [
    { viewType: 'ACTIVE_ONLY', both: false },
    { viewType: 'ALL', both: true },
  ] as const;

  test('returns exactly the general plan’s page for every filter, order, page and scope', async () => {
    let walked = 0;
    let compared = 0;
    for (const filter of FILTERS) {
      for (const order of ORDERS) {
        for (const page of PAGES) {
          for (const { viewType, both } of SCOPES) {
            const experimentIds = both ? [experiments.a, experiments.b] : [experiments.a];
            const query: RunQuery = {
              experimentIds,
              filter: parseRunFilter(filter),
              orderBy: parseRunOrderBy([order]),
              viewType,
              ...page,
            };
            const ids = async (dialect: typeof sqliteDialect) =>
              (await searchRuns(db, dialect, query)).items.map((run) => run.info.runId);
            const label = `${filter} | ${order} | ${JSON.stringify(page)} | ${viewType} | ${experimentIds}`;
            assert.deepEqual(await ids(sqliteDialect), await ids(generalOnly), label);
            compared++;
            const scoped = await walkEntryOrder(db, sqliteDialect, {
              query,
              experimentIds: experimentIds.map(Number),
              scope: (qb) => qb.where('runs.experiment_id', 'in', experimentIds.map(Number)),
              columns: ['runs.run_uuid'],
            });
            if (scoped !== undefined) walked++;
          }
        }
      }
    }
    // The comparison means something only if the walk answered a good share of the searches.
    assert.ok(walked >= compared / 5, `the walk answered ${walked} of ${compared} searches`);
    assert.ok(walked < compared, 'some searches must fall back to the general plan');
  });

  test('leaves searches it cannot answer to the general plan', async () => {
    const base = { experimentIds: [experiments.a], viewType: 'ALL', maxResults: 10, offset: 0 } as const;
    const walk = (query: RunQuery) =>
      walkEntryOrder(db, sqliteDialect, {
        query,
        experimentIds: [Number(experiments.a)],
        scope: (qb) => qb.where('runs.experiment_id', '=', Number(experiments.a)),
        columns: ['runs.run_uuid'],
      });
    const order = parseRunOrderBy(['metrics.m DESC']);
    assert.ok(await walk({ ...base, filter: [], orderBy: order }), 'a plain metric order is walked');
    // Two order clauses, an order by a run attribute, and a page deeper than the walk goes.
    assert.equal(
      await walk({ ...base, filter: [], orderBy: parseRunOrderBy(['metrics.m DESC', 'params.p']) }),
      undefined,
    );
    assert.equal(await walk({ ...base, filter: [], orderBy: parseRunOrderBy(['attributes.run_name']) }), undefined);
    assert.equal(await walk({ ...base, filter: [], orderBy: order, offset: 5_000 }), undefined);
    // On engines whose planner may reorder the join, never.
    assert.equal(
      await walkEntryOrder(db, generalOnly, {
        query: { ...base, filter: [], orderBy: order },
        experimentIds: [Number(experiments.a)],
        scope: (qb) => qb,
        columns: ['runs.run_uuid'],
      }),
      undefined,
    );
  });
});
