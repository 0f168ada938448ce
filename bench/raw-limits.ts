/**
 * The physical limit: the rows the ingest benchmark sends through Plumb, inserted straight into the
 * engine with the best raw method, into a table built like Plumb's `metrics` table
 * (src/store/sql/migrations/0001-tracking.ts: same columns and types, the same six-column primary
 * key, the foreign key to runs.run_uuid; on MariaDB InnoDB, utf8mb4_bin as Plumb's DDL plugin does).
 * Each method gets a fresh table in a fresh database and sends one statement (one transaction) per
 * batch of 1000 rows. On PostgreSQL and MariaDB each method also runs on 8 connections at once, like
 * the 8 ingest clients: a server engine commits concurrent transactions together (group commit), so
 * one connection alone is not its limit. SQLite has one writer, so it runs on one connection only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import BetterSqlite3 from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createMysqlTestDatabase } from '../test/helpers/mysql-databases.ts';
import { createTestDatabase } from '../test/helpers/postgres-databases.ts';
import type { Engine } from './engines.ts';
import { batchMetrics, rawRunIds, VALUES_PER_BATCH } from './workload.ts';

export interface RawResult {
  readonly method: string;
  /** Connections inserting at once, each the batches of its own runs (as the ingest clients do). */
  readonly connections: number;
  readonly rows: number;
  readonly rowsPerSecond: number;
}

type Row = [runUuid: string, key: string, value: number, timestamp: number, step: number, isNan: number];

function rowsOfBatch(batch: number, runIds: readonly string[]): Row[] {
  const runId = runIds[batch % runIds.length]!;
  return batchMetrics(batch, runIds.length).map((m) => [runId, m.key, m.value, m.timestamp, m.step, 0]);
}

/** Plumb's metrics table; `q` quotes an identifier the engine's way. */
function metricsDdl(q: (name: string) => string, suffix = ''): string {
  return `create table metrics (
    run_uuid varchar(32) not null references runs (run_uuid),
    ${q('key')} varchar(250) not null,
    value double precision not null,
    ${q('timestamp')} bigint not null,
    step bigint not null,
    is_nan smallint not null,
    dataset_name varchar(500),
    dataset_digest varchar(36),
    model_id varchar(64),
    constraint metrics_pk primary key (run_uuid, ${q('key')}, step, ${q('timestamp')}, value, is_nan)
  )${suffix}`;
}

const RUNS_DDL = 'create table runs (run_uuid varchar(32) not null unique)';
/** What src/store/mysql/mysql-ddl-plugin.ts appends to every CREATE TABLE. */
const MYSQL_TABLE_OPTIONS = ' engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin';

/**
 * Times `insertBatch` over every batch, `connections` at a time: connection c inserts batches c,
 * c + connections, … in order. Row generation stays inside the window (about 1% of it).
 */
async function timeBatches(
  batches: number,
  connections: number,
  insertBatch: (connection: number, batch: number) => Promise<unknown> | void,
): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      for (let b = c; b < batches; b += connections) await insertBatch(c, b);
    }),
  );
  return (batches * VALUES_PER_BATCH) / ((performance.now() - started) / 1000);
}

async function sqliteLimit(batches: number, runIds: readonly string[]): Promise<RawResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'plumb-bench-raw-'));
  const db = new BetterSqlite3(join(dir, 'raw.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.exec(RUNS_DDL);
    db.exec(metricsDdl((name) => `"${name}"`));
    const addRun = db.prepare('insert into runs values (?)');
    for (const id of runIds) addRun.run(id);
    const insert = db.prepare(
      'insert into metrics (run_uuid, key, value, timestamp, step, is_nan) values (?, ?, ?, ?, ?, ?)',
    );
    const insertAll = db.transaction((rows: Row[]) => {
      for (const row of rows) insert.run(row);
    });
    const rate = await timeBatches(batches, 1, (_, b) => insertAll(rowsOfBatch(b, runIds)));
    return [
      {
        method: `prepared insert, ${VALUES_PER_BATCH}-row transactions (WAL, synchronous=NORMAL)`,
        connections: 1,
        rows: batches * VALUES_PER_BATCH,
        rowsPerSecond: rate,
      },
    ];
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const PG_COLUMNS = 'run_uuid, key, value, "timestamp", step, is_nan';

const pgMultiRowSql = `insert into metrics (${PG_COLUMNS}) values ${Array.from(
  { length: VALUES_PER_BATCH },
  (_, r) => `(${Array.from({ length: 6 }, (_, c) => `$${r * 6 + c + 1}`).join(', ')})`,
).join(', ')}`;

const pgUnnestSql = `insert into metrics (${PG_COLUMNS}) select * from unnest($1::varchar[], $2::varchar[], $3::float8[], $4::int8[], $5::int8[], $6::int2[])`;

const PG_METHODS: readonly { method: string; insert: (client: pg.Client, rows: Row[]) => Promise<unknown> }[] = [
  {
    method: `multi-row INSERT ×${VALUES_PER_BATCH} (prepared)`,
    insert: (client, rows) => client.query({ name: 'raw_multi_row', text: pgMultiRowSql, values: rows.flat() }),
  },
  {
    method: 'INSERT … SELECT * FROM unnest($1::text[], …) (prepared)',
    insert: (client, rows) =>
      client.query({
        name: 'raw_unnest',
        text: pgUnnestSql,
        values: [0, 1, 2, 3, 4, 5].map((c) => rows.map((row) => row[c])),
      }),
  },
];

async function postgresLimits(batches: number, runIds: readonly string[]): Promise<RawResult[]> {
  const results: RawResult[] = [];
  for (const connections of [1, runIds.length]) {
    for (const { method, insert } of PG_METHODS) {
      const database = await createTestDatabase();
      const clients = Array.from({ length: connections }, () => new pg.Client({ connectionString: database.uri }));
      try {
        await Promise.all(clients.map((c) => c.connect()));
        const [first] = clients as [pg.Client];
        await first.query(RUNS_DDL);
        await first.query(metricsDdl((name) => `"${name}"`));
        await first.query({ text: 'insert into runs select unnest($1::varchar[])', values: [runIds] });
        // A clean WAL, so that the previous method's dirty pages are not flushed on this one's time.
        await first.query('checkpoint');
        const rate = await timeBatches(batches, connections, (c, b) => insert(clients[c]!, rowsOfBatch(b, runIds)));
        results.push({ method, connections, rows: batches * VALUES_PER_BATCH, rowsPerSecond: rate });
      } finally {
        await Promise.all(clients.map((c) => c.end()));
        await database.drop();
      }
    }
  }
  return results;
}

async function mysqlLimits(batches: number, runIds: readonly string[]): Promise<RawResult[]> {
  const results: RawResult[] = [];
  for (const connections of [1, runIds.length]) {
    const database = await createMysqlTestDatabase();
    const pool = await Promise.all(Array.from({ length: connections }, () => mysql.createConnection(database.uri)));
    try {
      const [first] = pool as [mysql.Connection];
      await first.query(RUNS_DDL + MYSQL_TABLE_OPTIONS);
      await first.query(metricsDdl((name) => `\`${name}\``, MYSQL_TABLE_OPTIONS));
      await first.query('insert into runs values ?', [runIds.map((id) => [id])]);
      const rate = await timeBatches(batches, connections, (c, b) =>
        pool[c]!.query('insert into metrics (run_uuid, `key`, value, `timestamp`, step, is_nan) values ?', [
          rowsOfBatch(b, runIds),
        ]),
      );
      results.push({
        method: `multi-row INSERT ×${VALUES_PER_BATCH} (autocommit)`,
        connections,
        rows: batches * VALUES_PER_BATCH,
        rowsPerSecond: rate,
      });
    } finally {
      await Promise.all(pool.map((c) => c.end()));
      await database.drop();
    }
  }
  return results;
}

/** Every raw method of the engine, over `batches` batches spread over `runs` runs as in the 8-client ingest. */
export async function rawLimits(engine: Engine, batches: number, runs: number): Promise<RawResult[]> {
  const runIds = rawRunIds(runs);
  switch (engine.id) {
    case 'sqlite':
      return sqliteLimit(batches, runIds);
    case 'postgres':
      return postgresLimits(batches, runIds);
    case 'mysql':
      return mysqlLimits(batches, runIds);
  }
}

/** The best raw rate reachable with at most `connections` connections: the limit for that many clients. */
export function limitFor(raw: readonly RawResult[], connections: number): RawResult {
  return raw.filter((r) => r.connections <= connections).reduce((a, b) => (b.rowsPerSecond > a.rowsPerSecond ? b : a));
}

/** Per method, the best rate over several rounds of rawLimits() (same methods in the same order). */
export function bestOfRounds(rounds: readonly (readonly RawResult[])[]): RawResult[] {
  const [first = []] = rounds;
  return first.map((_, i) =>
    rounds.map((round) => round[i]!).reduce((a, b) => (b.rowsPerSecond > a.rowsPerSecond ? b : a)),
  );
}
