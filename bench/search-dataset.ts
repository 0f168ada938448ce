/**
 * Where the search datasets live: each in a database of its own, named after its size (a SQLite
 * file under $TMPDIR/plumb-bench-cache, a database plumb_bench_search_… on PostgreSQL and
 * MariaDB). The large one is written through the store (bench/search-data.ts), which still takes
 * minutes, so it is kept between bench runs and reused while the schema has the same migrations;
 * BENCH_SEARCH_CACHE=0 builds it afresh and drops it afterwards.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { MIGRATIONS } from '../src/store/sql/migrations/index.ts';
import { type Engine, MYSQL_ADMIN_URI, POSTGRES_ADMIN_URI, type PlumbServer, startPlumb } from './engines.ts';
import { type DatasetCounts, type DatasetSpec, expectedCounts, loadOverHttp, loadThroughStore } from './search-data.ts';
import { createExperiment, get, post } from './util.ts';

const CACHE_DIR = join(tmpdir(), 'plumb-bench-cache');
const PREFIX = 'plumb_bench_search_';
/** The experiment tag set once every run is written: a dataset without it was interrupted. */
const COMPLETE_TAG = 'plumb.bench.complete';

const keepDataset = () => process.env.BENCH_SEARCH_CACHE !== '0';

export interface OpenDataset {
  readonly server: PlumbServer;
  readonly experimentId: string;
  readonly counts: DatasetCounts;
  /** Seconds the load took, or undefined when the kept dataset was reused. */
  readonly loadSeconds: number | undefined;
  close(): Promise<void>;
}

interface DatasetDatabase {
  readonly uri: string;
  drop(): Promise<void>;
}

async function onPostgres(work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URI });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

async function onMysql(statement: string): Promise<void> {
  const connection = await mysql.createConnection(MYSQL_ADMIN_URI);
  try {
    await connection.query(statement);
  } finally {
    await connection.end();
  }
}

/** The dataset's database, created empty when absent; its name changes with the migrations. */
async function datasetDatabase(engine: Engine, spec: DatasetSpec): Promise<DatasetDatabase> {
  const sized = `${PREFIX}${spec.runs}x${spec.metricsPerRun}_m`;
  const name = `${sized}${MIGRATIONS.length}`;
  switch (engine.id) {
    case 'sqlite': {
      mkdirSync(CACHE_DIR, { recursive: true });
      // This size's datasets of older schemas are not read again; they only take space.
      for (const file of readdirSync(CACHE_DIR)) {
        if (file.startsWith(sized) && !file.startsWith(`${name}.`)) rmSync(join(CACHE_DIR, file), { force: true });
      }
      const path = join(CACHE_DIR, `${name}.db`);
      return {
        uri: `sqlite:///${path}`,
        drop: async () => {
          for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
        },
      };
    }
    case 'postgres': {
      await onPostgres(async (c) => {
        const { rowCount } = await c.query('select 1 from pg_database where datname = $1', [name]);
        if (!rowCount) await c.query(`create database ${name}`);
      });
      const uri = new URL(POSTGRES_ADMIN_URI);
      uri.pathname = `/${name}`;
      return {
        uri: uri.toString(),
        drop: () => onPostgres((c) => c.query(`drop database if exists ${name} with (force)`)),
      };
    }
    case 'mysql': {
      await onMysql(`create database if not exists ${name}`);
      const uri = new URL(MYSQL_ADMIN_URI);
      uri.pathname = `/${name}`;
      return { uri: uri.toString(), drop: () => onMysql(`drop database if exists ${name}`) };
    }
  }
}

/**
 * Gathers the planner's statistics after a load, as the engine does by itself on a running
 * deployment within a minute or so (PostgreSQL's autovacuum, InnoDB's persistent statistics);
 * SQLite gathers them when the server opens the file (src/store/sqlite). Measuring before that
 * would time plans made for empty tables, which no running server keeps.
 */
async function gatherStatistics(engine: Engine, uri: string): Promise<void> {
  if (engine.id === 'postgres') {
    const client = new pg.Client({ connectionString: uri });
    await client.connect();
    try {
      await client.query('analyze');
    } finally {
      await client.end();
    }
  } else if (engine.id === 'mysql') {
    const connection = await mysql.createConnection(uri);
    try {
      await connection.query('analyze table runs, params, tags, latest_metrics, metrics');
    } finally {
      await connection.end();
    }
  }
}

/** The id of the dataset's experiment when its load finished, else undefined. */
async function completeExperiment(baseUrl: string, name: string): Promise<string | undefined> {
  try {
    const { experiment } = (await get(baseUrl, `experiments/get-by-name?experiment_name=${name}`)) as {
      experiment: { experiment_id: string; tags?: { key: string }[] };
    };
    return experiment.tags?.some((t) => t.key === COMPLETE_TAG) ? experiment.experiment_id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A server on a dataset of `spec`. `over: 'http'` loads it on a fresh database through the API
 * and drops it on close; `over: 'store'` reuses the kept dataset when it is complete, else writes
 * it through the store (and keeps it unless BENCH_SEARCH_CACHE=0). After a load the server is
 * reopened on the database, its statistics gathered, as a server that has been running finds it.
 */
export async function openDataset(
  engine: Engine,
  spec: DatasetSpec,
  over: 'http' | 'store',
  progress: (message: string) => void,
): Promise<OpenDataset> {
  const experimentName = `search-${spec.runs}x${spec.metricsPerRun}`;
  const keep = over === 'store' && keepDataset();
  let database = await datasetDatabase(engine, spec);
  const opened = (server: PlumbServer, experimentId: string, counts: DatasetCounts, loadSeconds?: number) => ({
    server,
    experimentId,
    counts,
    loadSeconds,
    async close() {
      await server.close();
      if (!keep) await database.drop();
    },
  });
  if (keep) {
    const server = await startPlumb(engine, database.uri).catch(() => undefined);
    const experimentId = server && (await completeExperiment(server.baseUrl, experimentName));
    if (server && experimentId) return opened(server, experimentId, expectedCounts(spec));
    await server?.close();
  }
  await database.drop();
  database = await datasetDatabase(engine, spec);
  const started = performance.now();
  const loading = await startPlumb(engine, database.uri);
  let counts: DatasetCounts;
  let experimentId: string;
  try {
    experimentId = await createExperiment(loading.baseUrl, experimentName);
    counts =
      over === 'http'
        ? await loadOverHttp(loading.baseUrl, experimentId, spec)
        : await loadThroughStore(loading.store, loading.baseUrl, experimentId, spec, (runs) =>
            progress(`${engine.label}: ${runs.toLocaleString('en')} of ${spec.runs.toLocaleString('en')} runs written`),
          );
    await post(loading.baseUrl, 'experiments/set-experiment-tag', {
      experiment_id: experimentId,
      key: COMPLETE_TAG,
      value: 'true',
    });
  } finally {
    await loading.close();
  }
  const loadSeconds = (performance.now() - started) / 1000;
  await gatherStatistics(engine, database.uri);
  return opened(await startPlumb(engine, database.uri), experimentId, counts, loadSeconds);
}
