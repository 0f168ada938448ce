/**
 * Metric rollups stay a function of the metrics table on every engine: what the ingest path
 * merged batch by batch (retries included) equals the rollups computed from the stored points in
 * one go, equals what a dump load without rollups rebuilds in SQL (migration 8's statements) and
 * what plumb import mlflow writes, and gc deletes them with the run.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openMetadataStore } from '../../src/app.ts';
import type { ImportedMetric, ImportedRun } from '../../src/store/import-store.ts';
import type { DumpRow } from '../../src/store/maintenance-store.ts';
import { metricRollupRows } from '../../src/store/sql/metric-rollups.ts';
import type { MetadataStore, MetricToStore } from '../../src/store/store.ts';
import { ENGINES } from '../maintenance/engines.ts';
import { storeConfigOf } from '../maintenance/world.ts';

const RUN_ID = 'a'.repeat(32);
const IMPORTED_RUN_ID = 'c'.repeat(32);

function importedRun(experiment: number, metrics: ImportedMetric[]): ImportedRun {
  return {
    runId: IMPORTED_RUN_ID,
    experimentId: experiment,
    name: 'imported',
    userId: 'u',
    status: 'FINISHED',
    startTime: 1,
    endTime: 2,
    deletedTime: null,
    lifecycleStage: 'active',
    artifactUri: `mlflow-artifacts:/${experiment}/${IMPORTED_RUN_ID}/artifacts`,
    params: [],
    tags: [],
    metrics,
    latestMetrics: [],
    inputs: [],
    inputTags: [],
    outputs: [],
  };
}

function randomPoints(seed: number, count: number): MetricToStore[] {
  let state = seed;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  return Array.from({ length: count }, (_, i) => {
    const roll = next();
    const value =
      roll < 0.02
        ? Number.NaN
        : roll < 0.03
          ? Number.POSITIVE_INFINITY
          : roll < 0.04
            ? Number.NEGATIVE_INFINITY
            : next() * 10 - 5;
    // Steps on both sides of zero, sparse and repeated, over several widths of every level.
    const step = Math.floor(next() * 2_000_000) - 100_000;
    return { key: next() < 0.5 ? 'loss' : 'acc', value, timestamp: 1_700_000_000_000 + i, step };
  });
}

async function tableRows(store: MetadataStore, table: string): Promise<DumpRow[]> {
  return store.maintenance.dump.read(async (reader) => {
    const spec = reader.tables.find((t) => t.name === table);
    assert.ok(spec, `${table} is a dump table`);
    const rows: DumpRow[] = [];
    for await (const page of reader.rows(spec)) rows.push(...page);
    return rows;
  });
}

/** Rollup rows as comparable strings: run_uuid and key as they are, numbers as numbers, NULL as NULL. */
const canonical = (rows: readonly (readonly unknown[])[]) =>
  rows.map((r) => r.map((v, i) => (i < 2 || v === null ? String(v) : Number(v))).join('|')).sort();

async function openFresh(uri: string, dir: string): Promise<MetadataStore> {
  const store = openMetadataStore(storeConfigOf(uri, dir));
  await store.schema.upgrade();
  return store;
}

/** Returns the run's experiment id. */
async function seedRun(store: MetadataStore): Promise<string> {
  const tracking = store.tracking;
  const experimentId = await tracking.write((tx) =>
    tx.insertExperiment({ name: 'rollups', defaultArtifactRoot: 'mlflow-artifacts:/', creationTime: 1, tags: [] }),
  );
  await tracking.write((tx) =>
    tx.insertRun({
      runId: RUN_ID,
      experimentId,
      name: 'r',
      userId: 'u',
      status: 'RUNNING',
      startTime: 1,
      artifactUri: `mlflow-artifacts:/${experimentId}/${RUN_ID}/artifacts`,
      tags: [],
    }),
  );
  return experimentId;
}

for (const engine of ENGINES) {
  void describe(`metric rollups on ${engine.name}`, () => {
    void it('ingest, a rebuild from the points and a dump load without rollups agree; gc deletes them', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'plumb-rollups-'));
      const [source, target] = [await engine.create(), await engine.create()];
      const stores: MetadataStore[] = [];
      try {
        const a = await openFresh(source.uri, dir);
        stores.push(a);
        const experimentId = await seedRun(a);
        const points = randomPoints(11, 4000);
        for (let i = 0; i < points.length; i += 500) {
          const batch = points.slice(i, i + 500);
          await a.tracking.writeRun(RUN_ID, (tx) => tx.insertMetrics(RUN_ID, batch));
          // A client's retry of the same batch: the points are no-ops, the rollups must be too.
          if (i % 1000 === 0) await a.tracking.writeRun(RUN_ID, (tx) => tx.insertMetrics(RUN_ID, batch));
        }
        const ingested = canonical(await tableRows(a, 'metric_rollups'));
        const fromPoints = canonical(
          metricRollupRows((await tableRows(a, 'metrics')).map((r) => r.slice(0, 6) as never)),
        );
        assert.ok(ingested.length > 1000);
        assert.deepEqual(ingested, fromPoints);

        const b = await openFresh(target.uri, dir);
        stores.push(b);
        const dump = await a.maintenance.dump.read(async (reader) => {
          const tables = [];
          for (const table of reader.tables) {
            if (table.name === 'metric_rollups') continue;
            const rows: DumpRow[] = [];
            for await (const page of reader.rows(table)) rows.push(...page);
            tables.push({ name: table.name, columns: table.columns.map((c) => c.name), rows });
          }
          return tables;
        });
        await b.maintenance.dump.load(async (writer) => {
          for (const table of dump)
            if (table.rows.length > 0) await writer.insert(table.name, table.columns, table.rows);
        });
        assert.deepEqual(canonical(await tableRows(b, 'metric_rollups')), ingested);
        for (const request of [{ maxPoints: 50 }, { maxPoints: 400, startStep: -3000, endStep: 700_123 }]) {
          assert.deepEqual(
            await b.tracking.getMetricHistoryDownsampled(RUN_ID, 'loss', request),
            await a.tracking.getMetricHistoryDownsampled(RUN_ID, 'loss', request),
          );
        }

        // plumb import mlflow writes stored values (NaN as 0 + is_nan, ±Infinity as ±MAX_VALUE).
        const stored = (await tableRows(a, 'metrics')).map((r) => ({
          key: String(r[1]),
          value: Number(r[2]),
          timestamp: Number(r[3]),
          step: Number(r[4]),
          isNan: Number(r[5]) as 0 | 1,
        }));
        await a.imports.write((tx) => tx.insertRun(importedRun(Number(experimentId), stored)));
        const imported = canonical(
          (await tableRows(a, 'metric_rollups'))
            .filter((r) => r[0] === IMPORTED_RUN_ID)
            .map((r) => [RUN_ID, ...r.slice(1)]),
        );
        assert.deepEqual(imported, ingested);

        await a.tracking.write((tx) => tx.setRunLifecycle(RUN_ID, 'deleted', 2));
        const purged = await a.maintenance.purge.purgeRun(RUN_ID);
        assert.equal(purged.metric_rollups, ingested.length);
        assert.ok((await tableRows(a, 'metric_rollups')).every((r) => r[0] === IMPORTED_RUN_ID));
      } finally {
        for (const store of stores) await store.close();
        await source.drop();
        await target.drop();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
