import type { TrackingStore, TrackingWrites } from '../store/store.ts';
import type { PlumbMetrics } from './metrics.ts';

/** Tables whose ingested rows are counted, as `plumb_rows_ingested_total{table}` labels. */
export const INGEST_TABLES = ['experiments', 'runs', 'metrics', 'params', 'tags', 'inputs'] as const;
type IngestTable = (typeof INGEST_TABLES)[number];

/**
 * The tracking store with rows counted per table. Rows are tallied while a write's work runs and
 * added to the counter only once that write has committed, so a request rolled back (alone or
 * inside a group) adds nothing.
 */
export function countIngestedRows(store: TrackingStore, metrics: PlumbMetrics): TrackingStore {
  const counted = <T>(
    run: (work: (tx: TrackingWrites) => Promise<T>) => Promise<T>,
    work: (tx: TrackingWrites) => Promise<T>,
  ) => {
    const tally = new Map<IngestTable, number>();
    const add = (table: IngestTable, n: number) => tally.set(table, (tally.get(table) ?? 0) + n);
    return run((tx) => work(tallying(tx, add))).then((value) => {
      for (const [table, n] of tally) metrics.rows(table, n);
      return value;
    });
  };
  const observed: TrackingStore = Object.create(store) as TrackingStore;
  observed.write = (work) => counted((w) => store.write(w), work);
  observed.writeRun = (runId, work, options) => counted((w) => store.writeRun(runId, w, options), work);
  return observed;
}

function tallying(tx: TrackingWrites, add: (table: IngestTable, n: number) => void): TrackingWrites {
  const writes: TrackingWrites = Object.create(tx) as TrackingWrites;
  writes.insertExperiment = (experiment) => tx.insertExperiment(experiment).then((id) => (add('experiments', 1), id));
  writes.insertRun = (run) => tx.insertRun(run).then(() => add('runs', 1));
  writes.insertMetrics = (runId, points) => tx.insertMetrics(runId, points).then(() => add('metrics', points.length));
  writes.insertParams = (runId, params) => tx.insertParams(runId, params).then(() => add('params', params.length));
  writes.setRunTags = (runId, tags) => tx.setRunTags(runId, tags).then(() => add('tags', tags.length));
  writes.logInputs = (runId, experimentId, datasets, models) =>
    tx.logInputs(runId, experimentId, datasets, models).then(() => add('inputs', datasets.length + models.length));
  return writes;
}
