import { MlflowError } from '../core/errors.ts';
import type { Comparator, Comparison, Filter, Value } from './ast.ts';
import {
  METRIC_COMPARATORS,
  PARAM_COMPARATORS,
  parseRunIdentifier,
  pySet,
  quotedValue,
  STRING_ATTRIBUTE_COMPARATORS,
} from './identifiers.ts';
import { parseStringList, splitComparisons, type Token } from './tokenizer.ts';

/**
 * The filter and order_by of logged-model search (MLflow 3's SearchLoggedModelsUtils): attributes
 * of the model, `metrics.*` (numeric), `params.*` and `tags.*` (strings). Datasets are not part of
 * the filter: the request's `datasets` field scopes the metric clauses instead.
 */
const ATTRIBUTE_ALIASES: Readonly<Record<string, string>> = {
  name: 'name',
  model_id: 'model_id',
  model_type: 'model_type',
  status: 'status',
  source_run_id: 'source_run_id',
  experiment_id: 'experiment_id',
  creation_timestamp: 'creation_timestamp',
  creation_time: 'creation_timestamp',
  last_updated_timestamp: 'last_updated_timestamp',
  last_updated_time: 'last_updated_timestamp',
};
export const LOGGED_MODEL_ATTRIBUTES = Object.keys(ATTRIBUTE_ALIASES);
const NUMERIC_ATTRIBUTES = new Set(['creation_timestamp', 'last_updated_timestamp']);

const includes = (set: readonly string[], value: string): boolean => set.includes(value);

/** A logged-model search identifier (`metrics.acc`, `name`, …) → its type and canonical key. */
export function parseLoggedModelIdentifier(text: string): { type: Comparison['identifier']['type']; key: string } {
  const { type, key } = parseRunIdentifier(text, LOGGED_MODEL_ATTRIBUTES);
  if (type === 'dataset') {
    throw MlflowError.invalidParameter(
      "Invalid entity type 'dataset'. Scope metric filters with the 'datasets' field of the request.",
    );
  }
  return { type, key: type === 'attribute' ? ATTRIBUTE_ALIASES[key]! : key };
}

export function parseLoggedModelFilter(filter: string | undefined): Filter {
  if (filter === undefined || filter.trim() === '') return [];
  return splitComparisons(filter, true).map((raw) => {
    if (raw.left.kind !== 'identifier') {
      throw MlflowError.invalidParameter(`Invalid comparison clause. Expected 'Identifier' found '${raw.left.raw}'`);
    }
    const identifier = parseLoggedModelIdentifier(raw.left.raw);
    const comparator = raw.comparator.toUpperCase();
    const numeric = identifier.type === 'metric' || NUMERIC_ATTRIBUTES.has(identifier.key);
    const allowed = numeric
      ? METRIC_COMPARATORS
      : identifier.type === 'attribute'
        ? STRING_ATTRIBUTE_COMPARATORS
        : PARAM_COMPARATORS;
    if (!includes(allowed, comparator)) {
      throw MlflowError.invalidParameter(`Invalid comparator '${comparator}' not one of '${pySet(allowed)}'`);
    }
    let value = valueOf(raw.right, numeric, comparator);
    if (identifier.key === 'status' && identifier.type === 'attribute') value = statusValue(value);
    return { identifier, comparator: comparator as Comparator, value };
  });
}

function valueOf(token: Token, numeric: boolean, comparator: string): Value {
  if (numeric) {
    if (token.kind === 'number') return { kind: 'number', value: token.value };
    throw MlflowError.invalidParameter(`Expected numeric value type for metric or timestamp. Found ${token.raw}`);
  }
  if (comparator === 'IN' || comparator === 'NOT IN') {
    if (token.kind === 'group') return { kind: 'list', values: parseStringList(token.raw) };
    throw MlflowError.invalidParameter(
      `Invalid comparison clause. '${comparator}' expects a list of quoted string values. Got value ${token.raw}`,
    );
  }
  if (token.kind === 'string' || token.kind === 'identifier') return { kind: 'string', value: quotedValue(token.raw) };
  throw MlflowError.invalidParameter(`Expected a quoted string value. Got value ${token.raw}`);
}

/** Statuses are stored bare (`READY`); clients may write the wire enum (`LOGGED_MODEL_READY`). */
function statusValue(value: Value): Value {
  const bare = (s: string) => (s.startsWith('LOGGED_MODEL_') ? s.slice('LOGGED_MODEL_'.length) : s);
  if (value.kind === 'string') return { kind: 'string', value: bare(value.value) };
  if (value.kind === 'list') return { kind: 'list', values: value.values.map(bare) };
  return value;
}
