import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { isMlflowError } from '../../core/errors.ts';
import { Migrator } from '../sql/migrator.ts';
import type { Database } from '../sql/schema.ts';
import { mysqlDialect, openMysql } from './mysql-dialect.ts';

/** The machine's MariaDB (STACK.md); every describe block works in its own fresh database. */
const ADMIN_URI = process.env.PLUMB_TEST_MYSQL_URI ?? 'mysql://root@127.0.0.1:3306/test';

async function freshDatabase(): Promise<{ uri: string; drop: () => Promise<void> }> {
  const name = `plumb_test_${randomBytes(6).toString('hex')}`;
  const admin = openMysql({ uri: ADMIN_URI }).db;
  await sql.raw(`create database ${name}`).execute(admin);
  const uri = new URL(ADMIN_URI);
  uri.pathname = `/${name}`;
  return {
    uri: uri.toString(),
    drop: async () => {
      await sql.raw(`drop database if exists ${name}`).execute(admin);
      await admin.destroy();
    },
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test tables outside the typed schema
type AnyDb = Kysely<any>;

void describe('mysql dialect (MariaDB)', () => {
  let database: { uri: string; drop: () => Promise<void> };
  let db: AnyDb;
  before(async () => {
    database = await freshDatabase();
    db = openMysql({ uri: database.uri }).db;
  });
  after(async () => {
    await db.destroy();
    await database.drop();
  });

  void it('five concurrent upgrades of a new database: one applies the migrations, all succeed', async () => {
    const dbs = Array.from({ length: 5 }, () => openMysql({ uri: database.uri }).db);
    try {
      const results = await Promise.all(dbs.map((d) => new Migrator(d, mysqlDialect).upgrade(Date.now)));
      const appliers = results.filter((applied) => applied.length > 0);
      assert.equal(appliers.length, 1);
      const status = await new Migrator(db, mysqlDialect).status();
      assert.equal(status.pending.length, 0);
      assert.equal(status.checksumMismatches.length, 0);
    } finally {
      await Promise.all(dbs.map((d) => d.destroy()));
    }
  });

  void it('stores the Default experiment under id 0 (NO_AUTO_VALUE_ON_ZERO), then counts on from 1', async () => {
    const typed = db as Kysely<Database>;
    const row = { artifact_location: '', lifecycle_stage: 'active', creation_time: 1, last_update_time: 1 };
    await typed
      .insertInto('experiments')
      .values({ ...row, experiment_id: 0, name: 'Default' })
      .execute();
    await typed
      .insertInto('experiments')
      .values({ ...row, name: 'next' })
      .execute();
    const ids = await typed
      .selectFrom('experiments')
      .select(['experiment_id', 'name'])
      .orderBy('experiment_id')
      .execute();
    assert.deepEqual(ids, [
      { experiment_id: 0, name: 'Default' },
      { experiment_id: 1, name: 'next' },
    ]);
  });

  void it('translates a duplicate key into RESOURCE_ALREADY_EXISTS and lock failures into TEMPORARILY_UNAVAILABLE', async () => {
    await db.schema
      .createTable('dup')
      .addColumn('k', 'varchar(10)', (c) => c.primaryKey())
      .execute();
    await db.insertInto('dup').values({ k: 'a' }).execute();
    const error = await db
      .insertInto('dup')
      .values({ k: 'a' })
      .execute()
      .then(
        () => undefined,
        (e: unknown) => mysqlDialect.translateError(e),
      );
    assert.ok(isMlflowError(error) && error.code === 'RESOURCE_ALREADY_EXISTS', String(error));
    // Keys compare case-sensitively (utf8mb4_bin), as MLflow's names do.
    await db.insertInto('dup').values({ k: 'A' }).execute();
    for (const errno of [1205, 1213]) {
      const translated = mysqlDialect.translateError(Object.assign(new Error('lock'), { errno }));
      assert.ok(isMlflowError(translated) && translated.code === 'TEMPORARILY_UNAVAILABLE');
    }
    const other = new Error('other');
    assert.equal(mysqlDialect.translateError(other), other);
  });

  void it('insertIgnoringDuplicates skips existing keys but still fails on bad values', async () => {
    await db.schema
      .createTable('ign')
      .addColumn('k', 'varchar(3)', (c) => c.primaryKey())
      .execute();
    const insert = (k: string) => mysqlDialect.insertIgnoringDuplicates(db.insertInto('ign').values({ k })).execute();
    await insert('abc');
    await insert('abc');
    await assert.rejects(insert('abcd'), /too long/i);
    assert.equal((await db.selectFrom('ign').selectAll().execute()).length, 1);
  });

  void it('retries a transaction that lost a deadlock, so both writers succeed', async () => {
    await db.schema
      .createTable('dl')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('v', 'integer', (c) => c.notNull())
      .execute();
    await db
      .insertInto('dl')
      .values([
        { id: 1, v: 0 },
        { id: 2, v: 0 },
      ])
      .execute();
    let arrived = 0;
    let release: () => void = () => undefined;
    const bothLocked = new Promise<void>((r) => (release = r));
    let attempts = 0;
    const writer = (first: number, second: number) =>
      mysqlDialect.transaction(db, async (trx) => {
        attempts++;
        await trx.updateTable('dl').set({ v: sql`v + 1` }).where('id', '=', first).execute();
        if (++arrived === 2) release();
        await bothLocked;
        await trx.updateTable('dl').set({ v: sql`v + 1` }).where('id', '=', second).execute();
      });
    await Promise.all([writer(1, 2), writer(2, 1)]);
    assert.ok(attempts >= 3, `one writer ran again (attempts: ${attempts})`);
    const rows = await db.selectFrom('dl').select(['id', 'v']).orderBy('id').execute();
    assert.deepEqual(rows, [
      { id: 1, v: 2 },
      { id: 2, v: 2 },
    ]);
  });

  void it('LIKE is case-sensitive with only % and _ as wildcards; ILIKE ignores case', async () => {
    await db.schema
      .createTable('words')
      .addColumn('w', 'varchar(50)', (c) => c.notNull())
      .execute();
    const words = ['abc', 'ABC', 'a_c', 'a%c', 'a\\c', 'a|c', 'aéc', 'Ab\\', 'a\\\\c'];
    await db
      .insertInto('words')
      .values(words.map((w) => ({ w })))
      .execute();
    const match = async (pattern: string, caseSensitive: boolean) =>
      (
        await db
          .selectFrom('words')
          .select('w')
          .where(mysqlDialect.likeMatch(sql.ref('w'), pattern, caseSensitive))
          .execute()
      )
        .map((r) => r.w as string)
        .sort();
    assert.deepEqual(await match('abc', true), ['abc']);
    assert.deepEqual(await match('ABC', false), ['ABC', 'abc']);
    assert.deepEqual(await match('a_c', true), ['a%c', 'a\\c', 'a_c', 'abc', 'aéc', 'a|c'].sort());
    assert.deepEqual(await match('a%', true), words.filter((w) => w.startsWith('a')).sort());
    assert.deepEqual(await match('a\\c', true), ['a\\c'], 'a backslash is a literal character');
    assert.deepEqual(await match('a\\_', true), ['a\\c'], 'a backslash does not escape _');
    assert.deepEqual(await match('a\\%', true), ['a\\\\c', 'a\\c'], 'nor %');
    assert.deepEqual(await match('a\\\\c', true), ['a\\\\c']);
    assert.deepEqual(await match('a|c', true), ['a|c'], 'the escape character we chose is literal too');
    assert.deepEqual(await match('ab\\', false), ['Ab\\']);
    assert.deepEqual(await match('AÉC', false), ['aéc']);
  });

  void it('reads the clock from the database in epoch milliseconds', async () => {
    const before = Date.now();
    const { rows } = await sql<{ now: number }>`select ${mysqlDialect.currentTimeMillis()} as now`.execute(db);
    const now = rows[0]?.now ?? 0;
    assert.equal(typeof now, 'number');
    assert.ok(Math.abs(now - before) < 5_000, `${now} vs ${before}`);
  });
});
