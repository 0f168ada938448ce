import type { DatasetSummary, Metric, MetricWithRunId, Page } from '../core/entities.ts';
import { MlflowError } from '../core/errors.ts';
import { decodePageToken, encodePageToken } from '../core/page-token.ts';
import { LIMITS } from '../core/validation.ts';
import type { DownsampledHistory, TrackingStore } from '../store/store.ts';
import { runNotFound } from './run.service.ts';

export interface IntervalQuery {
  readonly runIds: readonly string[];
  readonly metricKey: string;
  readonly startStep?: number | undefined;
  readonly endStep?: number | undefined;
  readonly maxResults?: number | undefined;
}

export interface DownsampleQuery {
  readonly runId: string;
  readonly metricKey: string;
  readonly startStep?: number | undefined;
  readonly endStep?: number | undefined;
  readonly maxPoints?: number | undefined;
}

/** Budget bounds of a downsampled read: below 10 the first/last points crowd out the buckets. */
export const DOWNSAMPLE_POINTS = { min: 10, max: 25_000, default: 1000 } as const;

/** Reads of metric histories, for clients (all points or pages) and for charts (sampled by step). */
export class MetricHistoryService {
  constructor(private readonly deps: { readonly store: TrackingStore }) {}

  /** Without maxResults every point comes back in one response, as MLflow does. */
  async history(
    runId: string,
    metricKey: string,
    options: { maxResults?: number | undefined; pageToken?: string | undefined },
  ): Promise<Page<Metric>> {
    if (!(await this.deps.store.getRunInfo(runId))) throw runNotFound(runId);
    if (options.maxResults !== undefined && options.maxResults < 1) {
      throw MlflowError.invalidParameter(
        `Invalid value ${options.maxResults} for parameter 'max_results' supplied. It must be a positive integer`,
      );
    }
    const { offset } = decodePageToken(options.pageToken);
    const page = await this.deps.store.getMetricHistory(runId, metricKey, { offset, limit: options.maxResults });
    const nextPageToken = page.hasMore ? encodePageToken({ offset: offset + page.items.length }) : undefined;
    return { items: page.items, nextPageToken };
  }

  /**
   * Every point of a history, read in keyset pages as the caller consumes them: a 1M-point
   * history never sits in memory whole. The run is checked before the first point is read.
   */
  async historyStream(runId: string, metricKey: string): Promise<AsyncIterable<Metric>> {
    if (!(await this.deps.store.getRunInfo(runId))) throw runNotFound(runId);
    return this.deps.store.streamMetricHistory(runId, metricKey);
  }

  /**
   * Plumb's chart read: at most maxPoints points of the history within [startStep, endStep],
   * keeping each step bucket's least and greatest value and its NaN (see TrackingReads).
   */
  async downsampled(query: DownsampleQuery): Promise<DownsampledHistory> {
    if (!query.metricKey) throw MlflowError.missingParameter('metric_key');
    const maxPoints = query.maxPoints ?? DOWNSAMPLE_POINTS.default;
    if (!Number.isSafeInteger(maxPoints) || maxPoints < DOWNSAMPLE_POINTS.min || maxPoints > DOWNSAMPLE_POINTS.max) {
      throw MlflowError.invalidParameter(
        `max_points must be between ${DOWNSAMPLE_POINTS.min} and ${DOWNSAMPLE_POINTS.max}. Found max_points=${maxPoints}.`,
      );
    }
    const { startStep, endStep } = query;
    if (startStep !== undefined && endStep !== undefined && startStep > endStep) {
      throw MlflowError.invalidParameter(
        `end_step must not be less than start_step. Found start_step=${startStep} and end_step=${endStep}.`,
      );
    }
    if (!(await this.deps.store.getRunInfo(query.runId))) throw runNotFound(query.runId);
    return this.deps.store.getMetricHistoryDownsampled(query.runId, query.metricKey, { startStep, endStep, maxPoints });
  }

  /**
   * The UI's get-history-bulk: each run's points ordered by (timestamp, step, value), all runs
   * together capped at maxResults (at most 25,000).
   */
  async bulk(runIds: readonly string[], metricKey: string, maxResults?: number): Promise<MetricWithRunId[]> {
    if (runIds.length === 0) {
      throw MlflowError.invalidParameter('GetMetricHistoryBulk request must specify at least one run_id.');
    }
    if (runIds.length > LIMITS.maxBulkIntervalRuns) {
      throw MlflowError.invalidParameter(
        `GetMetricHistoryBulk request cannot specify more than ${LIMITS.maxBulkIntervalRuns} run_ids. Received ${runIds.length} run_ids.`,
      );
    }
    if (!metricKey) throw MlflowError.invalidParameter('GetMetricHistoryBulk request must specify a metric_key.');
    const limit = Math.min(Math.max(maxResults ?? LIMITS.maxHistoryBulkResults, 1), LIMITS.maxHistoryBulkResults);
    const result: MetricWithRunId[] = [];
    for (const runId of runIds) {
      if (result.length >= limit) break;
      const { items } = await this.deps.store.getMetricHistory(runId, metricKey, { offset: 0, limit });
      const sorted = [...items].sort((a, b) => a.timestamp - b.timestamp || a.step - b.step || a.value - b.value);
      for (const metric of sorted) result.push({ ...metric, runId });
    }
    return result.slice(0, limit);
  }

  /**
   * MLflow's get-history-bulk-interval: evenly spaced steps over the union of the runs' steps,
   * always including each run's first and last step in range, then every point at those steps.
   */
  async bulkInterval(query: IntervalQuery): Promise<MetricWithRunId[]> {
    if (query.runIds.length === 0) throw MlflowError.missingParameter('run_ids');
    if (query.runIds.length > LIMITS.maxBulkIntervalRuns) {
      throw MlflowError.invalidParameter(
        `GetMetricHistoryBulkInterval request must specify at most ${LIMITS.maxBulkIntervalRuns} run_ids. Received ${query.runIds.length} run_ids.`,
      );
    }
    const maxResults = query.maxResults ?? LIMITS.maxBulkIntervalResults;
    if (maxResults < 1 || maxResults > LIMITS.maxBulkIntervalResults) {
      throw MlflowError.invalidParameter(`max_results must be between 1 and ${LIMITS.maxBulkIntervalResults}.`);
    }
    const { startStep, endStep } = query;
    if ((startStep === undefined) !== (endStep === undefined)) {
      throw MlflowError.invalidParameter('If either start step or end step are specified, both must be specified.');
    }
    if (startStep !== undefined && endStep !== undefined && startStep > endStep) {
      throw MlflowError.invalidParameter(
        `end_step must be greater than start_step. Found start_step=${startStep} and end_step=${endStep}.`,
      );
    }
    const stepsByRun = await Promise.all(
      query.runIds.map((runId) => this.deps.store.getMetricSteps(runId, query.metricKey)),
    );
    const allSteps = [...new Set(stepsByRun.flat())].sort((a, b) => a - b);
    const start = startStep ?? 0;
    const end = endStep ?? allSteps.at(-1) ?? 0;
    const chosen = new Set(sampleSteps(start, end, maxResults, allSteps));
    for (const steps of stepsByRun) {
      for (const edge of [steps[0], steps.at(-1)]) {
        if (edge !== undefined && edge >= start && edge <= end) chosen.add(edge);
      }
    }
    const sorted = [...chosen].sort((a, b) => a - b);
    const perRun = await Promise.all(
      query.runIds.map((runId) => this.deps.store.getMetricsAtSteps(runId, query.metricKey, sorted)),
    );
    return perRun.flat();
  }

  async searchDatasets(experimentIds: readonly string[]): Promise<DatasetSummary[]> {
    if (experimentIds.length === 0) {
      throw MlflowError.invalidParameter('SearchDatasets request must specify at least one experiment_id.');
    }
    if (experimentIds.length > LIMITS.maxSearchDatasetsExperiments) {
      throw MlflowError.invalidParameter(
        `SearchDatasets request cannot specify more than ${LIMITS.maxSearchDatasetsExperiments} experiment_ids. Received ${experimentIds.length} experiment_ids.`,
      );
    }
    return this.deps.store.searchDatasets(experimentIds);
  }
}

/** Evenly spaced picks from the sorted steps within [start, end], plus the last one. */
export function sampleSteps(start: number, end: number, maxResults: number, allSteps: readonly number[]): number[] {
  const lower = lowerBound(allSteps, start);
  const upper = upperBound(allSteps, end);
  if (upper - lower <= maxResults) return allSteps.slice(lower, upper);
  const count = upper - lower;
  const interval = count / maxResults;
  const picked: number[] = [];
  for (let i = 0; i < maxResults; i++) {
    const index = lower + Math.floor(i * interval);
    if (index < upper) picked.push(allSteps[index]!);
  }
  picked.push(allSteps[upper - 1]!);
  return picked;
}

function lowerBound(sorted: readonly number[], value: number): number {
  let [lo, hi] = [0, sorted.length];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(sorted: readonly number[], value: number): number {
  let [lo, hi] = [0, sorted.length];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
