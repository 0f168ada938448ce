/**
 * The replica-failover test's bookkeeping and its checks, run in SQL on the database once the
 * servers are stopped (see replica-workload.ts): what a sent point looks like, and the invariants
 * the stored metrics and registry rows must hold against what the clients were told.
 */
import assert from 'node:assert/strict';

export const RUNS = 4;
export const MODELS = ['fleet-a', 'fleet-b', 'fleet-c'];
export const KEYS = ['m0', 'm1', 'm2', 'm3', 'm4'];
/** Batch b holds steps [100·b, 100·b + 100): the step names the batch a stored point came from. */
export const STEPS_PER_BATCH = 100;
export const T0 = 1_700_000_000_000;

/** Read access to the database under test (the checks' SQL runs on PostgreSQL and MariaDB alike). */
export interface DirectDatabase {
  query(sql: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export interface Batch {
  readonly id: number;
  readonly runId: string;
  readonly points: number;
  acked: boolean;
  /** Some attempt died with the killed replica: it may have committed there. */
  maybeStored: boolean;
}

/** What clients were told about one model, to hold the stored registry against. */
export const NO_LEDGER = {
  highest: 0,
  createdVersions: [] as number[],
  lostCreates: 0,
  createdModel: 0,
  aliasesSet: 0,
  promotions: 0,
};
export type ModelLedger = typeof NO_LEDGER;

/** Point i of batch `id`: a pure function of both, so the check can tell what was sent from a stored row. */
export function pointOf(id: number, i: number) {
  // The field order of readRows, so that a stored row and the point sent compare as JSON.
  return {
    key: KEYS[i % KEYS.length]!,
    value: ((id * 37 + i * 11) % 4096) / 4 - 300,
    timestamp: T0 + id * 1000 + i,
    step: id * STEPS_PER_BATCH + Math.floor(i / KEYS.length),
  };
}

export function makeBatch(id: number, runId: string, points: number): { batch: Batch; body: string } {
  const metrics = Array.from({ length: points }, (_, i) => pointOf(id, i));
  return {
    batch: { id, runId, points, acked: false, maybeStored: false },
    body: JSON.stringify({ run_id: runId, metrics, params: [], tags: [] }),
  };
}

export type Row = { run_uuid: string; key: string; value: number; timestamp: number; step: number };

/** The metric table's rows, in the field order of `pointOf`, numbers as numbers on either driver. */
export async function readRows(db: DirectDatabase, table: 'metrics' | 'latest_metrics'): Promise<Row[]> {
  // Qualified (`m.key`), MariaDB takes the reserved words unquoted.
  const rows = await db.query(`select m.run_uuid, m.key, m.value, m.timestamp, m.step from ${table} m`);
  return rows.map((r) => ({
    run_uuid: String(r.run_uuid),
    key: String(r.key),
    value: Number(r.value),
    timestamp: Number(r.timestamp),
    step: Number(r.step),
  }));
}

/**
 * Invariant 1, from the metrics table itself: no point twice, every row one that was sent, every
 * acknowledged batch whole and none in part.
 */
export async function checkMetrics(db: DirectDatabase, rows: readonly Row[], batches: readonly Batch[]): Promise<void> {
  const duplicates = await db.query(
    `select m.run_uuid, m.key, m.step, m.timestamp, m.value, count(*) as n from metrics m
     group by m.run_uuid, m.key, m.step, m.timestamp, m.value having count(*) > 1`,
  );
  assert.deepEqual(duplicates, [], 'metric points stored more than once');
  const stored = new Map<number, number>();
  const strangers: unknown[] = [];
  for (const row of rows) {
    const id = Math.floor(row.step / STEPS_PER_BATCH);
    const batch = batches[id];
    const i = (row.step % STEPS_PER_BATCH) * KEYS.length + KEYS.indexOf(row.key);
    const sent = batch && i < batch.points ? { run_uuid: batch.runId, ...pointOf(id, i) } : undefined;
    if (!sent || JSON.stringify(row) !== JSON.stringify(sent)) strangers.push({ row, sent });
    else stored.set(id, (stored.get(id) ?? 0) + 1);
  }
  assert.deepEqual(strangers.slice(0, 10), [], `${strangers.length} stored points no client sent`);
  for (const [id, n] of stored) {
    const batch = batches[id]!;
    assert.ok(batch.acked || batch.maybeStored, `batch ${id} is stored, but every replica refused it`);
    assert.equal(n, batch.points, `batch ${id} is stored in part: ${n} of ${batch.points} points`);
  }
  const missing = batches.filter((b) => b.acked && !stored.has(b.id)).map((b) => b.id);
  assert.deepEqual(missing, [], 'acknowledged batches that are not stored');
}

/** What runs/search orders by: MLflow's latest, the greatest (step, timestamp, value) of each history. */
export async function checkLatestMetrics(db: DirectDatabase, rows: readonly Row[]): Promise<void> {
  const later = (a: Row, b: Row) =>
    a.step !== b.step ? a.step > b.step : a.timestamp !== b.timestamp ? a.timestamp > b.timestamp : a.value > b.value;
  const historyMax = new Map<string, Row>();
  for (const row of rows) {
    const id = `${row.run_uuid}/${row.key}`;
    const max = historyMax.get(id);
    if (!max || later(row, max)) historyMax.set(id, row);
  }
  const order = (a: Row, b: Row) => (`${a.run_uuid}/${a.key}` < `${b.run_uuid}/${b.key}` ? -1 : 1);
  const latest = (await readRows(db, 'latest_metrics')).sort(order);
  assert.equal(latest.length, RUNS * KEYS.length, 'every run got every key');
  assert.deepEqual(latest, [...historyMax.values()].sort(order));
}

/** Invariants 2 and 3, from the registry tables: dense versions, single aliases, one Production. */
export async function checkRegistry(db: DirectDatabase, ledgers: ReadonlyMap<string, ModelLedger>): Promise<void> {
  const names = (await db.query('select name from registered_models order by name')).map((m) => m.name);
  assert.deepEqual(names, MODELS, 'each model exactly once');
  const versions = await db.query(
    `select m.name, v.version, v.current_stage from model_versions v
     join registered_models m on m.id = v.registered_model_id order by m.name, v.version`,
  );
  const aliases = await db.query(
    `select m.name, a.alias, a.version from registered_model_aliases a
     join registered_models m on m.id = a.registered_model_id`,
  );
  for (const [name, ledger] of ledgers) {
    assert.ok(ledger.createdModel <= 1, `${name}: ${ledger.createdModel} clients were told they created it`);
    const mine = versions.filter((v) => v.name === name);
    const numbers = mine.map((v) => Number(v.version));
    const dense = numbers.map((_, i) => i + 1);
    assert.deepEqual(numbers, dense, `${name}: stored versions are not 1..N`);
    const given = [...ledger.createdVersions].sort((a, b) => a - b);
    assert.equal(new Set(given).size, given.length, `${name}: two clients were given the same version number`);
    for (const v of given) assert.ok(v <= numbers.length, `${name}: version ${v} was acknowledged but is not stored`);
    const extra = numbers.length - given.length;
    assert.ok(
      extra >= 0 && extra <= ledger.lostCreates,
      `${name}: ${numbers.length} versions stored, ${given.length} acknowledged, ` +
        `${ledger.lostCreates} lost with the killed replica`,
    );
    const mineAliases = aliases.filter((a) => a.name === name);
    assert.equal(new Set(mineAliases.map((a) => a.alias)).size, mineAliases.length, `${name}: an alias has two rows`);
    for (const a of mineAliases) {
      const version = Number(a.version);
      assert.ok(numbers.includes(version), `${name}: alias ${String(a.alias)} names missing version ${version}`);
    }
    const champion = mineAliases.some((a) => a.alias === 'champion');
    if (ledger.aliasesSet > 0) assert.ok(champion, `${name}: champion was set, but is gone`);
    const production = mine.filter((v) => v.current_stage === 'Production').map((v) => Number(v.version));
    assert.ok(production.length <= 1, `${name}: versions ${production.join(', ')} are all in Production`);
    if (ledger.promotions > 0) assert.equal(production.length, 1, `${name}: promoted, but nothing is in Production`);
  }
}
