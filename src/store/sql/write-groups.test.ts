import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import { MlflowError } from '../../core/errors.ts';
import { openSqlite, sqliteDialect } from '../sqlite/sqlite-dialect.ts';
import { DEFAULT_WRITE_GROUPS, type WriteGroupSettings, WriteGroups } from './write-groups.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a scratch table outside Plumb's schema
type AnyDb = Kysely<any>;

void describe('WriteGroups (group commit)', () => {
  let dir: string;
  let db: AnyDb;
  let reader: BetterSqlite3.Database;
  let transactions: number;
  let failNextGroup: boolean;
  const locked: string[][] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plumb-write-groups-'));
    const path = join(dir, 'groups.db');
    db = openSqlite({ path }).db as AnyDb;
    await sql`create table rows_written (k text primary key, run text not null)`.execute(db);
    // A second connection sees only what has been committed.
    reader = new BetterSqlite3(path, { readonly: true });
  });
  after(async () => {
    reader.close();
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const committed = (k: string) =>
    reader.prepare('select count(*) as n from rows_written where k = ?').get(k) as { n: number };

  function groups(settings: Partial<WriteGroupSettings> = {}): WriteGroups<unknown> {
    transactions = 0;
    failNextGroup = false;
    locked.length = 0;
    return new WriteGroups<unknown>(
      async (work) => {
        transactions++;
        const lockedHere: string[] = [];
        locked.push(lockedHere);
        return sqliteDialect.transaction(db, async (trx) => {
          const result = await work(trx);
          if (failNextGroup && lockedHere.length > 1) {
            failNextGroup = false;
            throw new Error('connection lost before commit');
          }
          return result;
        });
      },
      async (_trx, runId) => {
        locked.at(-1)!.push(runId);
      },
      { ...DEFAULT_WRITE_GROUPS, ...settings },
    );
  }

  const insert = (k: string, run: string) => async (trx: AnyDb) => {
    await sql`insert into rows_written (k, run) values (${k}, ${run})`.execute(trx);
    return k;
  };

  it('shares transactions among concurrent requests and answers each only once its rows are committed', async () => {
    const writer = groups();
    const keys = Array.from({ length: 40 }, (_, i) => `a${i}`);
    const visibleWhenAnswered = await Promise.all(
      keys.map((k, i) => writer.submit(`run-${i % 7}`, 1, insert(k, `run-${i % 7}`)).then((v) => committed(v).n)),
    );
    assert.deepEqual(visibleWhenAnswered, Array(40).fill(1));
    assert.ok(transactions < 10, `${transactions} transactions for 40 requests`);
    // Within a group, runs are locked in id order: two groups cannot wait on each other.
    for (const order of locked) assert.deepEqual(order, [...order].sort());
  });

  it('rolls back a request that breaks a rule to its savepoint; its neighbours commit', async () => {
    const writer = groups();
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        writer.submit(`run-${i}`, 1, async (trx) => {
          await insert(`b${i}`, `run-${i}`)(trx);
          if (i === 4) throw MlflowError.invalidParameter('param changed');
          return i;
        }),
      ),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 9);
    const rejected = results[4] as PromiseRejectedResult;
    assert.match(String(rejected.reason), /param changed/);
    assert.equal(committed('b4').n, 0);
    for (const i of [0, 1, 2, 3, 5, 6, 7, 8, 9]) assert.equal(committed(`b${i}`).n, 1);
    assert.ok(transactions <= 3, `${transactions} transactions`);
  });

  it('runs each request alone when the group transaction fails, so nothing is lost or doubled', async () => {
    const writer = groups();
    const first = writer.submit('run-0', 1, insert('c0', 'run-0'));
    failNextGroup = true;
    const rest = Array.from({ length: 8 }, (_, i) => writer.submit(`run-${i}`, 1, insert(`c${i + 1}`, `run-${i}`)));
    const values = await Promise.all([first, ...rest]);
    assert.deepEqual(
      values,
      Array.from({ length: 9 }, (_, i) => `c${i}`),
    );
    for (const k of values) assert.equal(committed(k).n, 1);
    assert.equal(failNextGroup, false, 'a group did fail');
  });

  it('an unexpected error in one request fails that request only', async () => {
    const writer = groups();
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        writer.submit(`run-${i}`, 1, async (trx) => {
          if (i === 2) throw new TypeError('bug in one request');
          return insert(`d${i}`, `run-${i}`)(trx);
        }),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled'],
    );
    for (const i of [0, 1, 3, 4, 5]) assert.equal(committed(`d${i}`).n, 1);
  });

  it('refuses with TEMPORARILY_UNAVAILABLE and a Retry-After when too many rows are waiting', async () => {
    const writer = groups({ maxQueuedRows: 100 });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const inFlight = writer.submit('run-0', 80, async (trx) => {
      await gate;
      return insert('e0', 'run-0')(trx);
    });
    await new Promise((resolve) => setImmediate(resolve)); // the first group has started
    const queued = writer.submit('run-1', 60, insert('e1', 'run-1'));
    await assert.rejects(writer.submit('run-2', 60, insert('e2', 'run-2')), (error: unknown) => {
      assert.ok(error instanceof MlflowError);
      assert.equal(error.code, 'TEMPORARILY_UNAVAILABLE');
      assert.equal(error.httpStatus, 503);
      assert.equal(error.retryAfterSeconds, 1);
      return true;
    });
    assert.deepEqual(writer.queued, { requests: 1, rows: 60 });
    open();
    assert.deepEqual(await Promise.all([inFlight, queued]), ['e0', 'e1']);
    assert.equal(committed('e2').n, 0);
    // With the queue drained, a request larger than the whole limit is still taken.
    assert.equal(await writer.submit('run-3', 500, insert('e3', 'run-3')), 'e3');
  });

  it('bounds a group by requests and by rows', async () => {
    const writer = groups({ maxRequests: 4, maxRows: 10 });
    await Promise.all(Array.from({ length: 13 }, (_, i) => writer.submit(`run-${i}`, 3, insert(`f${i}`, 'r'))));
    assert.ok(locked.every((group) => group.length <= 3 && group.length >= 1));
    assert.ok(transactions >= 5);
  });
});
