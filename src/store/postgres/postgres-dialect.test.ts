import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/postgres-databases.ts';
import { MlflowError } from '../../core/errors.ts';
import { MIGRATIONS } from '../sql/migrations/index.ts';
import { Migrator } from '../sql/migrator.ts';
import { openPostgres, postgresDialect } from './postgres-dialect.ts';

// Against the machine's PostgreSQL (STACK.md), each suite in a database of its own.

/** Resolves once `count` callers have arrived: forces two transactions to interleave. */
function barrier(count: number): () => Promise<void> {
  let arrived = 0;
  let release!: () => void;
  const all = new Promise<void>((resolve) => (release = resolve));
  return () => {
    arrived += 1;
    if (arrived === count) release();
    return all;
  };
}

void describe('PostgreSQL migration lock', () => {
  let database: TestDatabase;
  before(async () => (database = await createTestDatabase()));
  after(async () => database.drop());

  void it('five concurrent upgrades of a new database: exactly one applies, all succeed', async () => {
    const dbs = Array.from({ length: 5 }, () => openPostgres({ connectionString: database.uri, poolSize: 2 }));
    try {
      const results = await Promise.all(dbs.map((db) => new Migrator(db, postgresDialect).upgrade(() => 1)));
      const appliers = results.filter((applied) => applied.length > 0);
      assert.equal(appliers.length, 1);
      assert.deepEqual(
        appliers[0]?.map((m) => m.version),
        MIGRATIONS.map((m) => m.version),
      );
      const status = await new Migrator(dbs[0]!, postgresDialect).status();
      assert.equal(status.pending.length, 0);
      assert.equal(status.applied.length, MIGRATIONS.length);
    } finally {
      await Promise.all(dbs.map((db) => db.destroy()));
    }
  });
});

void describe('PostgreSQL dialect', () => {
  let database: TestDatabase;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- scratch tables outside the schema
  let db: Kysely<any>;

  before(async () => {
    database = await createTestDatabase();
    db = openPostgres({ connectionString: database.uri, poolSize: 4 });
    await sql`create table pairs (k int primary key, v int not null)`.execute(db);
    await sql`create table names (name varchar(8) primary key, n bigint not null)`.execute(db);
  });
  after(async () => {
    await db.destroy();
    await database.drop();
  });

  const reset = async () => {
    await sql`delete from pairs`.execute(db);
    await sql`insert into pairs values (1, 0), (2, 0)`.execute(db);
  };

  void it('retries a deadlock inside the server: both writers succeed', async () => {
    await reset();
    const bothLocked = barrier(2);
    let attempts = 0;
    const writer = (first: number, second: number) =>
      postgresDialect.transaction(db, async (trx) => {
        attempts += 1;
        await sql`update pairs set v = v + 1 where k = ${first}`.execute(trx);
        if (attempts <= 2) await bothLocked();
        await sql`update pairs set v = v + 1 where k = ${second}`.execute(trx);
      });
    await Promise.all([writer(1, 2), writer(2, 1)]);
    assert.ok(attempts >= 3, `one writer ran again (${attempts} attempts)`);
    const rows = await sql<{ k: number; v: number }>`select k, v from pairs order by k`.execute(db);
    assert.deepEqual(rows.rows, [
      { k: 1, v: 2 },
      { k: 2, v: 2 },
    ]);
  });

  void it('retries a serialization failure (write skew): the result is as if the writers ran one after the other', async () => {
    await reset();
    const bothRead = barrier(2);
    let attempts = 0;
    // Each writer sets its own row to 1 only if both are 0: serially, exactly one of them can.
    const writer = (mine: number) =>
      postgresDialect.transaction(db, async (trx) => {
        attempts += 1;
        const sum = await sql<{ s: number }>`select sum(v)::bigint as s from pairs`.execute(trx);
        if (attempts <= 2) await bothRead();
        if (sum.rows[0]?.s === 0) await sql`update pairs set v = 1 where k = ${mine}`.execute(trx);
      });
    await Promise.all([writer(1), writer(2)]);
    assert.ok(attempts >= 3, `one writer ran again (${attempts} attempts)`);
    const total = await sql<{ s: number }>`select sum(v)::bigint as s from pairs`.execute(db);
    assert.equal(total.rows[0]?.s, 1);
  });

  void it('gives up after a bounded number of attempts with TEMPORARILY_UNAVAILABLE, never a raw deadlock', async () => {
    let attempts = 0;
    const failing = postgresDialect.transaction(db, () => {
      attempts += 1;
      return Promise.reject(Object.assign(new Error('deadlock detected'), { code: '40P01' }));
    });
    await assert.rejects(failing, (e) => e instanceof MlflowError && e.code === 'TEMPORARILY_UNAVAILABLE');
    assert.ok(attempts > 1 && attempts <= 20, `${attempts} attempts`);
  });

  void it('also retries a conflict a shared query already translated', async () => {
    let attempts = 0;
    await postgresDialect.transaction(db, async () => {
      attempts += 1;
      if (attempts === 1) throw postgresDialect.translateError(Object.assign(new Error('x'), { code: '40001' }));
    });
    assert.equal(attempts, 2);
  });

  void it('translates driver errors into MLflow errors and leaves the rest alone', async () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any database will do
    const failure = async (query: string, target: Kysely<any> = db) => {
      try {
        await sql.raw(query).execute(target);
      } catch (error) {
        return postgresDialect.translateError(error);
      }
      return assert.fail(`${query} succeeded`);
    };
    await sql`insert into names values ('a', 1)`.execute(db);
    const duplicate = await failure(`insert into names values ('a', 2)`);
    assert.ok(duplicate instanceof MlflowError && duplicate.code === 'RESOURCE_ALREADY_EXISTS', String(duplicate));
    const tooLong = await failure(`insert into names values ('much too long', 2)`);
    assert.ok(tooLong instanceof MlflowError && tooLong.code === 'INVALID_PARAMETER_VALUE', String(tooLong));
    const impatient = openPostgres({ connectionString: database.uri, poolSize: 1, statementTimeoutMs: 50 });
    try {
      const timeout = await failure('select pg_sleep(2)', impatient);
      assert.ok(timeout instanceof MlflowError && timeout.code === 'DEADLINE_EXCEEDED', String(timeout));
    } finally {
      await impatient.destroy();
    }
    const syntax = await failure('selec 1');
    assert.ok(!(syntax instanceof MlflowError), 'a bug in a query stays an internal error');
  });

  void it("LIKE is case-sensitive, ILIKE is not; '%' and '_' are the only wildcards and '\\' matches itself", async () => {
    const values = ['abc', 'ABC', 'a_c', 'a%c', 'a\\c', 'a\\\\c', 'axc', 'ac'];
    const matches = async (pattern: string, caseSensitive: boolean) => {
      const rows = await db
        .selectFrom(sql<{ v: string }>`(select unnest(${values}::text[]) as v)`.as('t'))
        .select('v')
        .where((eb) => postgresDialect.likeMatch(eb.ref('v'), pattern, caseSensitive))
        .orderBy('v')
        .execute();
      return rows.map((r) => r.v as string).sort();
    };
    const sorted = (list: string[]) => [...list].sort();
    assert.deepEqual(await matches('a_c', true), sorted(['abc', 'a_c', 'a%c', 'a\\c', 'axc']));
    assert.deepEqual(await matches('A_C', true), ['ABC']);
    assert.deepEqual(await matches('A_C', false), sorted(['abc', 'ABC', 'a_c', 'a%c', 'a\\c', 'axc']));
    assert.deepEqual(await matches('a%c', true), sorted(['abc', 'a_c', 'a%c', 'a\\c', 'a\\\\c', 'axc', 'ac']));
    // A backslash escapes nothing: 'a\_c' means a, backslash, any one character, c.
    assert.deepEqual(await matches('a\\_c', true), ['a\\\\c']);
    assert.deepEqual(await matches('a\\c', false), ['a\\c']);
    assert.deepEqual(await matches('a\\%', true), sorted(['a\\c', 'a\\\\c']));
  });

  void it('reads BIGINT as a number and the clock from the database', async () => {
    const row = await sql<{
      big: unknown;
      now: unknown;
    }>`select ${sql.lit(2 ** 52)}::bigint as big, ${postgresDialect.currentTimeMillis()} as now`.execute(db);
    assert.equal(row.rows[0]?.big, 2 ** 52);
    assert.equal(typeof row.rows[0]?.now, 'number');
    assert.ok(Math.abs(Number(row.rows[0]?.now) - Date.now()) < 60_000);
  });
});
