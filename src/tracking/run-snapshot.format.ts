import { z } from 'zod';
import { MlflowError } from '../core/errors.ts';

/**
 * The run snapshot a server writes next to a run's artifacts when the run ends, so that `plumb
 * reconcile` can rebuild runs a database lost. Version 1. Readers validate with `parseRunSnapshot`
 * and refuse versions they do not know.
 *
 * Layout, for a run whose artifacts are at `<exp>/<run>/artifacts`:
 *   <exp>/<run>/plumb-snapshot/run.json              this document
 *   <exp>/<run>/plumb-snapshot/metric-history.jsonl.gz  one JSON array per line: [key, step, timestamp, value]
 *                                                   (value a number, or "NaN"), ordered by key, step, timestamp
 */
export const SNAPSHOT_FORMAT = 'plumb-run-snapshot';
export const SNAPSHOT_VERSION = 1;
export const SNAPSHOT_DIR = 'plumb-snapshot';
export const SNAPSHOT_FILE = 'run.json';
export const HISTORY_FILE = 'metric-history.jsonl.gz';

const Tag = z.object({ key: z.string(), value: z.string() });
const MetricValue = z.union([z.number(), z.literal('NaN')]);

export const RunSnapshot = z.object({
  format: z.literal(SNAPSHOT_FORMAT),
  version: z.literal(SNAPSHOT_VERSION),
  writtenAt: z.number().int(),
  experiment: z.object({ experimentId: z.string(), name: z.string(), artifactLocation: z.string() }),
  run: z.object({
    runId: z.string().regex(/^[0-9a-f]{32}$/),
    runName: z.string(),
    userId: z.string(),
    status: z.enum(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']),
    startTime: z.number().int().nullable(),
    endTime: z.number().int().nullable(),
    artifactUri: z.string(),
    lifecycleStage: z.enum(['active', 'deleted']),
  }),
  params: z.array(Tag),
  tags: z.array(Tag),
  latestMetrics: z.array(
    z.object({ key: z.string(), value: MetricValue, timestamp: z.number().int(), step: z.number().int() }),
  ),
  datasetInputs: z.array(
    z.object({
      tags: z.array(Tag),
      dataset: z.object({
        name: z.string(),
        digest: z.string(),
        sourceType: z.string(),
        source: z.string(),
        schema: z.string().optional(),
        profile: z.string().optional(),
      }),
    }),
  ),
  modelInputs: z.array(z.object({ modelId: z.string() })),
  metricHistory: z.object({
    file: z.literal(HISTORY_FILE),
    points: z.number().int().nonnegative(),
    sha256: z.string(),
  }),
});

export type RunSnapshot = z.infer<typeof RunSnapshot>;

export const HistoryLine = z.tuple([z.string(), z.number().int(), z.number().int(), MetricValue]);

/** Validates a snapshot document read back from storage; an unknown or damaged one is an error, not data. */
export function parseRunSnapshot(json: unknown): RunSnapshot {
  const result = RunSnapshot.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new MlflowError(
      'DATA_LOSS',
      `Not a valid ${SNAPSHOT_FORMAT} v${SNAPSHOT_VERSION} document: ${issue.path.join('.')}: ${issue.message}`,
    );
  }
  return result.data;
}

export const snapshotValue = (value: number): number | 'NaN' => (Number.isNaN(value) ? 'NaN' : value);
export const restoredValue = (value: number | 'NaN'): number => (value === 'NaN' ? Number.NaN : value);
