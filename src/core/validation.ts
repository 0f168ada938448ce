import { MlflowError } from './errors.ts';
import type { Metric, Tag } from './entities.ts';

/** MLflow's limits (mlflow/utils/validation.py, 3.x). */
export const LIMITS = {
  maxMetricsPerBatch: 1000,
  maxParamsTagsPerBatch: 100,
  maxEntitiesPerBatch: 1000,
  maxBatchRequestBytes: 1_000_000,
  maxEntityKeyLength: 250,
  maxParamValueLength: 6000,
  maxRunTagValueLength: 8000,
  maxExperimentNameLength: 500,
  maxExperimentTagKeyLength: 250,
  maxExperimentTagValueLength: 5000,
  maxDatasetNameLength: 500,
  maxDatasetDigestLength: 36,
  maxDatasetSourceLength: 65535,
  maxDatasetSchemaLength: 1048575,
  maxDatasetProfileLength: 16777215,
  maxInputTagKeyLength: 255,
  maxInputTagValueLength: 500,
  maxSearchResults: 50000,
  maxSearchDatasetsExperiments: 20,
  maxBulkIntervalRuns: 100,
  maxBulkIntervalResults: 2500,
  maxHistoryBulkResults: 25000,
} as const;

const VALID_KEY = /^[/\w.\- ]*$/u;
const RUN_ID = /^[a-zA-Z0-9][\w-]{0,255}$/;
const BAD_CHARACTERS =
  'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/).';

/** posixpath.normpath, enough to tell whether a key would resolve to a different name as a file path. */
function normalizePosix(path: string): string {
  if (path === '') return '.';
  const absolute = path.startsWith('/');
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
    else if (part !== '..' || !absolute) parts.push(part);
  }
  const joined = parts.join('/');
  if (absolute) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

export function validateKeyName(kind: 'metric' | 'parameter' | 'tag', key: string): void {
  if (!VALID_KEY.test(key)) {
    throw MlflowError.invalidParameter(`Invalid ${kind} name: '${key}'. ${BAD_CHARACTERS}`);
  }
  // Without a slash only '.' and '..' can resolve to another name: skip the split for the common case.
  if (!key.includes('/') && key !== '.' && key !== '..') return;
  const normalized = normalizePosix(key);
  if (normalized !== key || normalized === '.' || normalized.startsWith('..') || normalized.startsWith('/')) {
    throw MlflowError.invalidParameter(
      `Invalid ${kind} name: '${key}'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${normalized}'`,
    );
  }
}

export function checkLength(what: string, limit: number, value: string): string {
  if (value.length <= limit) return value;
  throw MlflowError.invalidParameter(
    `${what} '${value.slice(0, 250)}' had length ${value.length}, which exceeded length limit of ${limit}`,
  );
}

/** Over-long param and run-tag values are cut, as MLflow does while MLFLOW_TRUNCATE_LONG_VALUES is on. */
function limitValue(what: string, limit: number, value: string, truncate: boolean): string {
  if (truncate && value.length > limit) return value.slice(0, limit);
  return checkLength(what, limit, value);
}

export interface ValueRules {
  readonly truncateLongValues: boolean;
}

export function validateMetric(metric: Metric): void {
  validateKeyName('metric', metric.key);
  checkLength('Metric name', LIMITS.maxEntityKeyLength, metric.key);
  if (!Number.isFinite(metric.timestamp) || metric.timestamp < 0 || !Number.isInteger(metric.timestamp)) {
    throw MlflowError.invalidParameter(
      `Got invalid timestamp ${metric.timestamp} for metric '${metric.key}' (value=${metric.value}). Timestamp must be a nonnegative long (64-bit integer) `,
    );
  }
  if (!Number.isInteger(metric.step)) {
    throw MlflowError.invalidParameter(
      `Got invalid step ${metric.step} for metric '${metric.key}' (value=${metric.value}). Step must be a valid long (64-bit integer).`,
    );
  }
}

export function validateParam(param: Tag, rules: ValueRules): Tag {
  validateKeyName('parameter', param.key);
  return {
    key: checkLength('Param key', LIMITS.maxEntityKeyLength, param.key),
    value: limitValue('Param value', LIMITS.maxParamValueLength, param.value, rules.truncateLongValues),
  };
}

export function validateRunTag(tag: Tag, rules: ValueRules): Tag {
  validateKeyName('tag', tag.key);
  return {
    key: checkLength('Tag key', LIMITS.maxEntityKeyLength, tag.key),
    value: limitValue('Tag value', LIMITS.maxRunTagValueLength, tag.value, rules.truncateLongValues),
  };
}

export function validateExperimentTag(tag: Tag): void {
  validateKeyName('tag', tag.key);
  checkLength('Tag key', LIMITS.maxExperimentTagKeyLength, tag.key);
  checkLength('Tag value', LIMITS.maxExperimentTagValueLength, tag.value);
}

export function validateExperimentName(name: string): void {
  if (name === '') throw MlflowError.invalidParameter(`Invalid experiment name: '${name}'`);
  if (name.length > LIMITS.maxExperimentNameLength) {
    throw MlflowError.invalidParameter(
      `Experiment name exceeds the maximum length of ${LIMITS.maxExperimentNameLength} characters`,
    );
  }
}

export function validateRunId(runId: string): void {
  if (!RUN_ID.test(runId)) throw MlflowError.invalidParameter(`Invalid run ID: '${runId}'`);
}

/** Experiment ids are database integers; MLflow rejects anything else before looking it up. */
export function parseExperimentId(experimentId: string): number {
  if (!/^\d{1,18}$/.test(experimentId)) {
    throw MlflowError.invalidParameter(
      `Invalid experiment ID '${experimentId}'. Experiment ID must be a valid integer.`,
    );
  }
  return Number(experimentId);
}

function checkBatchLimit(entityName: string, limit: number, length: number): void {
  if (length > limit) {
    throw MlflowError.invalidParameter(
      `A batch logging request can contain at most ${limit} ${entityName}. Got ${length} ${entityName}. Please split up ${entityName} across multiple requests and try again.`,
    );
  }
}

export function validateBatchLimits(metrics: number, params: number, tags: number): void {
  checkBatchLimit('metrics', LIMITS.maxMetricsPerBatch, metrics);
  checkBatchLimit('params', LIMITS.maxParamsTagsPerBatch, params);
  checkBatchLimit('tags', LIMITS.maxParamsTagsPerBatch, tags);
  checkBatchLimit('metrics, params, and tags', LIMITS.maxEntitiesPerBatch, metrics + params + tags);
}

export function validateUniqueParamKeys(params: readonly Tag[]): void {
  const seen = new Set<string>();
  const duplicates: string[] = [];
  for (const { key } of params) {
    if (seen.has(key)) duplicates.push(key);
    seen.add(key);
  }
  if (duplicates.length > 0) {
    throw MlflowError.invalidParameter(
      `Duplicate parameter keys have been submitted: [${duplicates.map((k) => `'${k}'`).join(', ')}]. Please ensure the request contains only one param value per param key.`,
    );
  }
}
