import { MlflowError } from '../core/errors.ts';
import type { EntityType } from './ast.ts';

/**
 * MLflow's names for the parts of a search identifier, and the sets its messages print. MLflow
 * prints Python sets, whose order varies between processes; we print them in a fixed order, for
 * the metric comparators the one a recorded MLflow 3 server printed.
 */
export const METRIC_COMPARATORS = ['>=', '=', '>', '!=', '<=', '<'] as const;
export const PARAM_COMPARATORS = ['!=', '=', 'LIKE', 'ILIKE'] as const;
export const TAG_COMPARATORS = PARAM_COMPARATORS;
export const STRING_ATTRIBUTE_COMPARATORS = ['!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'] as const;
export const DATASET_COMPARATORS = STRING_ATTRIBUTE_COMPARATORS;
export const DATASET_KEYS = ['name', 'digest', 'context'] as const;

/** Python's `str(set)` of strings. */
export function pySet(values: readonly string[]): string {
  return `{${values.map((v) => `'${v}'`).join(', ')}}`;
}

/** MLflow's name of each entity type, as its messages spell them. */
export const MLFLOW_TYPE_NAMES: Record<EntityType, string> = {
  metric: 'metric',
  param: 'parameter',
  tag: 'tag',
  attribute: 'attribute',
  dataset: 'dataset',
};

const ENTITY_ALIASES = new Map<string, EntityType>(
  Object.entries({
    metric: 'metric',
    metrics: 'metric',
    parameter: 'param',
    parameters: 'param',
    param: 'param',
    params: 'param',
    tag: 'tag',
    tags: 'tag',
    attribute: 'attribute',
    attributes: 'attribute',
    attr: 'attribute',
    run: 'attribute',
    dataset: 'dataset',
    datasets: 'dataset',
  } satisfies Record<string, EntityType>),
);

const isQuoted = (value: string, quote: string): boolean =>
  value.length >= 2 && value.startsWith(quote) && value.endsWith(quote);

/** Removes one pair of surrounding single or double quotes, if there is one. */
export function stripQuotes(value: string): string {
  return isQuoted(value, "'") || isQuoted(value, '"') ? value.slice(1, -1) : value;
}

export function trimBackticks(value: string): string {
  return isQuoted(value, '`') ? value.slice(1, -1) : value;
}

/** A value that had to be a quoted string: MLflow's wording when it is not. */
export function quotedValue(raw: string): string {
  if (isQuoted(raw, "'") || isQuoted(raw, '"')) return raw.slice(1, -1);
  throw MlflowError.invalidParameter(
    `Parameter value is either not quoted or unidentified quote types used for string value ${raw}. Use either single or double quotes.`,
  );
}

export interface ParsedIdentifier {
  readonly type: EntityType;
  /** The key as written, unquoted but before attribute aliases are resolved. */
  readonly key: string;
}

/** Splits `type.key` on its first dot, as MLflow does, whatever quoting surrounds the dot. */
function splitIdentifier(text: string): { typeText: string | undefined; key: string } {
  const dot = text.indexOf('.');
  return dot < 0 ? { typeText: undefined, key: text } : { typeText: text.slice(0, dot), key: text.slice(dot + 1) };
}

/** A run search identifier: any entity type; attribute keys are checked against `validAttributes`. */
export function parseRunIdentifier(text: string, validAttributes: readonly string[]): ParsedIdentifier {
  const { typeText, key: rawKey } = splitIdentifier(text);
  let type: EntityType = 'attribute';
  if (typeText !== undefined) {
    const found = ENTITY_ALIASES.get(trimBackticks(typeText));
    if (found === undefined) {
      throw MlflowError.invalidParameter(
        `Invalid entity type '${trimBackticks(typeText)}'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']`,
      );
    }
    type = found;
  }
  const key = trimBackticks(stripQuotes(rawKey));
  if (type === 'attribute' && !validAttributes.includes(key)) {
    throw MlflowError.invalidParameter(
      `Invalid attribute key '${key}' specified. Valid keys are '${pySet(validAttributes)}'`,
    );
  }
  if (type === 'dataset' && !(DATASET_KEYS as readonly string[]).includes(key)) {
    throw MlflowError.invalidParameter(
      `Invalid dataset key '${key}' specified. Valid keys are '${pySet(DATASET_KEYS)}'`,
    );
  }
  return { type, key };
}

/** An experiment search identifier: only attributes and tags, spelled without aliases. */
export function parseExperimentIdentifier(text: string, validAttributes: readonly string[]): ParsedIdentifier {
  const { typeText, key: rawKey } = splitIdentifier(text);
  let type: EntityType = 'attribute';
  if (typeText !== undefined) {
    if (typeText !== 'attribute' && typeText !== 'tag' && typeText !== 'tags') {
      throw MlflowError.invalidParameter(
        `Invalid entity type '${typeText}'. Valid entity types are ('attribute', 'tag', 'tags')`,
      );
    }
    type = typeText === 'attribute' ? 'attribute' : 'tag';
  }
  const key = trimBackticks(stripQuotes(rawKey));
  if (type === 'attribute' && !validAttributes.includes(key)) {
    throw MlflowError.invalidParameter(
      `Invalid attribute key '${key}' specified. Valid keys are '${pySet(validAttributes)}'`,
    );
  }
  return { type, key };
}

/** Run attributes: MLflow's searchable RunInfo properties plus the UI's column-name aliases. */
export const RUN_SEARCH_ATTRIBUTES = [
  'Created',
  'Run Name',
  'Run name',
  'artifact_uri',
  'created',
  'end_time',
  'run name',
  'run_id',
  'run_name',
  'start_time',
  'status',
  'user_id',
] as const;
export const RUN_ORDER_BY_ATTRIBUTES = [
  'Created',
  'artifact_uri',
  'created',
  'end_time',
  'run_id',
  'run_name',
  'start_time',
  'status',
  'user_id',
] as const;
export const RUN_NUMERIC_ATTRIBUTES = ['start_time', 'end_time', 'created', 'Created'] as const;

/** MLflow's translate_key_alias: the canonical attribute names of ast.ts. */
export function canonicalRunAttribute(key: string): string {
  if (key === 'created' || key === 'Created') return 'start_time';
  if (key === 'run name' || key === 'Run name' || key === 'Run Name') return 'run_name';
  return key;
}

export const EXPERIMENT_SEARCH_ATTRIBUTES = ['creation_time', 'last_update_time', 'name'] as const;
export const EXPERIMENT_ORDER_BY_ATTRIBUTES = ['creation_time', 'experiment_id', 'last_update_time', 'name'] as const;
export const EXPERIMENT_NUMERIC_ATTRIBUTES = ['creation_time', 'last_update_time'] as const;
