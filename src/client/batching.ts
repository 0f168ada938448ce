import { LIMITS } from '../core/validation.ts';
import { encodeMetricValue } from './wire-types.ts';

/** One value to log into a run: a metric point, a param or a tag. */
export type LogItem = MetricItem | ParamItem | TagItem;

export interface MetricItem {
  readonly kind: 'metric';
  readonly key: string;
  readonly value: number;
  readonly timestamp: number;
  readonly step: number;
  readonly modelId?: string;
}

export interface ParamItem {
  readonly kind: 'param';
  readonly key: string;
  readonly value: string;
}

export interface TagItem {
  readonly kind: 'tag';
  readonly key: string;
  readonly value: string;
}

/**
 * The room a log-batch body has: the server's 1 MB limit less space for the envelope (`run_id`
 * may be 256 characters; brackets and field names take a few dozen more).
 */
const BODY_BUDGET = LIMITS.maxBatchRequestBytes - 1024;

/**
 * An upper bound on the bytes one item adds to the JSON body. Metric keys the server accepts are
 * ASCII, a double prints in at most 24 characters and an int64 in 20, so a metric needs no
 * stringify; params and tags are measured, escapes and UTF-8 included.
 */
export function itemBytes(item: LogItem): number {
  if (item.kind === 'metric') return item.key.length + (item.modelId?.length ?? 0) + 120;
  return Buffer.byteLength(JSON.stringify(item.key)) + Buffer.byteLength(JSON.stringify(item.value)) + 20;
}

/**
 * How many items from `start` fit one log-batch request that the server accepts: ≤1000 metrics,
 * ≤100 params, ≤100 tags, ≤1000 in all, under 1 MB, and no key twice among params (the server
 * refuses duplicates) or tags (a second value for a key starts the next batch, so order holds).
 * `stopAtTag` ends the batch before the first tag (the async logger keeps tags on one lane).
 * Always at least 1 when an item is left and may be taken, so a caller never loops without progress.
 */
export function batchEnd(items: ArrayLike<LogItem>, start: number, end: number, stopAtTag = false): number {
  let metrics = 0;
  let params = 0;
  let tags = 0;
  let bytes = 0;
  let paramKeys: Set<string> | undefined;
  let tagKeys: Set<string> | undefined;
  let i = start;
  for (; i < end; i++) {
    const item = items[i]!;
    if (i - start >= LIMITS.maxEntitiesPerBatch) break;
    const size = itemBytes(item);
    if (i > start && bytes + size > BODY_BUDGET) break;
    if (item.kind === 'metric') {
      if (metrics >= LIMITS.maxMetricsPerBatch) break;
      metrics++;
    } else if (item.kind === 'param') {
      paramKeys ??= new Set();
      if (params >= LIMITS.maxParamsTagsPerBatch || paramKeys.has(item.key)) break;
      paramKeys.add(item.key);
      params++;
    } else {
      tagKeys ??= new Set();
      if (stopAtTag || tags >= LIMITS.maxParamsTagsPerBatch || tagKeys.has(item.key)) break;
      tagKeys.add(item.key);
      tags++;
    }
    bytes += size;
  }
  return i;
}

export interface LogBatchBody {
  readonly run_id: string;
  readonly metrics: { key: string; value: number | string; timestamp: number; step: number; model_id?: string }[];
  readonly params: { key: string; value: string }[];
  readonly tags: { key: string; value: string }[];
}

/** The log-batch request of items[start, end). */
export function logBatchBody(runId: string, items: ArrayLike<LogItem>, start: number, end: number): LogBatchBody {
  const body: LogBatchBody = { run_id: runId, metrics: [], params: [], tags: [] };
  for (let i = start; i < end; i++) {
    const item = items[i]!;
    switch (item.kind) {
      case 'metric': {
        const wire = {
          key: item.key,
          value: encodeMetricValue(item.value),
          timestamp: item.timestamp,
          step: item.step,
        };
        body.metrics.push(item.modelId === undefined ? wire : { ...wire, model_id: item.modelId });
        break;
      }
      case 'param':
        body.params.push({ key: item.key, value: item.value });
        break;
      case 'tag':
        body.tags.push({ key: item.key, value: item.value });
        break;
    }
  }
  return body;
}

/** Splits items into log-batch requests the server accepts, in order. */
export function* batches(runId: string, items: readonly LogItem[]): Generator<LogBatchBody> {
  for (let start = 0; start < items.length; ) {
    const end = batchEnd(items, start, items.length);
    yield logBatchBody(runId, items, start, end);
    start = end;
  }
}
