import { MlflowError } from '../core/errors.ts';
import type { Comparator, Comparison, EntityType, Filter, Value } from './ast.ts';
import {
  canonicalRunAttribute,
  DATASET_COMPARATORS,
  EXPERIMENT_NUMERIC_ATTRIBUTES,
  EXPERIMENT_SEARCH_ATTRIBUTES,
  METRIC_COMPARATORS,
  MLFLOW_TYPE_NAMES,
  PARAM_COMPARATORS,
  type ParsedIdentifier,
  parseExperimentIdentifier,
  parseRunIdentifier,
  pySet,
  quotedValue,
  RUN_NUMERIC_ATTRIBUTES,
  RUN_SEARCH_ATTRIBUTES,
  STRING_ATTRIBUTE_COMPARATORS,
  TAG_COMPARATORS,
} from './identifiers.ts';
import { parseStringList, type RawComparison, splitComparisons, type Token } from './tokenizer.ts';

/**
 * MLflow validates a filter in two passes, and so do we, so that a filter with several mistakes
 * reports the same one: first every clause's identifier and value (SearchUtils.parse_search_filter),
 * then every clause's comparator (the SQL store, as it builds the query).
 */
interface Parsed {
  readonly identifier: ParsedIdentifier;
  readonly comparator: string;
  readonly value: Value;
  readonly rawValue: string;
}

/** The filter of search_runs, parsed and checked as MLflow 3.x does. Empty or blank → []. */
export function parseRunFilter(filter: string | undefined): Filter {
  if (filter === undefined || filter.trim() === '') return [];
  const parsed = splitComparisons(filter, true).map((raw) => {
    const identifier = parseRunIdentifier(leftIdentifier(raw), RUN_SEARCH_ATTRIBUTES);
    return parsedClause(identifier, raw, valueOf(identifier, raw.right, RUN_NUMERIC_ATTRIBUTES));
  });
  return parsed.map(checkRunComparator);
}

/** The filter of search_experiments: name, creation_time, last_update_time and tags. */
export function parseExperimentFilter(filter: string | undefined): Filter {
  if (filter === undefined || filter.trim() === '') return [];
  const parsed = splitComparisons(filter, false).map((raw) => {
    const identifier = parseExperimentIdentifier(leftIdentifier(raw), EXPERIMENT_SEARCH_ATTRIBUTES);
    return parsedClause(identifier, raw, valueOf(identifier, raw.right, EXPERIMENT_NUMERIC_ATTRIBUTES));
  });
  return parsed.map(checkExperimentComparator);
}

function leftIdentifier(raw: RawComparison): string {
  if (raw.left.kind !== 'identifier') {
    throw MlflowError.invalidParameter(`Invalid comparison clause. Expected 'Identifier' found '${raw.left.raw}'`);
  }
  return raw.left.raw;
}

function parsedClause(identifier: ParsedIdentifier, raw: RawComparison, value: Value): Parsed {
  return { identifier, comparator: raw.comparator, value, rawValue: raw.right.raw };
}

const isStringLike = (t: Token): boolean => t.kind === 'string' || t.kind === 'identifier';

/** MLflow's _get_value: which kind of constant each identifier takes, and the message when it is wrong. */
function valueOf({ type, key }: ParsedIdentifier, token: Token, numericAttributes: readonly string[]): Value {
  switch (type) {
    case 'metric':
      if (token.kind === 'number') return { kind: 'number', value: token.value };
      throw MlflowError.invalidParameter(`Expected numeric value type for metric. Found ${token.raw}`);
    case 'param':
    case 'tag':
      if (isStringLike(token)) return { kind: 'string', value: quotedValue(token.raw) };
      throw MlflowError.invalidParameter(
        `Expected a quoted string value for ${MLFLOW_TYPE_NAMES[type]} (e.g. 'my-value'). Got value ${token.raw}`,
      );
    case 'attribute':
      if (numericAttributes.includes(key)) {
        if (token.kind === 'number') return { kind: 'number', value: token.value };
        throw MlflowError.invalidParameter(
          `Expected numeric value type for numeric attribute: ${key}. Found ${token.raw}`,
        );
      }
      if (isStringLike(token)) return { kind: 'string', value: quotedValue(token.raw) };
      if (token.kind === 'group') {
        if (key !== 'run_id') {
          throw MlflowError.invalidParameter(
            "Only the 'run_id' attribute supports comparison with a list of quoted string values.",
          );
        }
        // MLflow drops ids that are not lower case: run ids are lower-case hex, and MySQL's IN
        // would otherwise match them case-insensitively.
        return { kind: 'list', values: parseStringList(token.raw).filter(isPythonLower) };
      }
      throw MlflowError.invalidParameter(`Expected a quoted string value for attributes. Got value ${token.raw}`);
    case 'dataset':
      if (isStringLike(token)) return { kind: 'string', value: quotedValue(token.raw) };
      if (token.kind === 'group') return { kind: 'list', values: parseStringList(token.raw) };
      throw MlflowError.invalidParameter(
        `Expected a quoted string value for dataset attributes. Got value ${token.raw}`,
      );
    default:
      return assertNever(type);
  }
}

/** Python's str.islower(): at least one cased character and no upper-case one. */
function isPythonLower(value: string): boolean {
  return value === value.toLowerCase() && value !== value.toUpperCase();
}

function invalidComparator(comparator: string, allowed: readonly string[], closingQuote: boolean): MlflowError {
  // Some of MLflow's messages lack the closing quote; clients may match on the text, so we keep it.
  return MlflowError.invalidParameter(
    `Invalid comparator '${comparator}' not one of '${pySet(allowed)}${closingQuote ? "'" : ''}`,
  );
}

const includes = (set: readonly string[], value: string): boolean => set.includes(value);

function checkRunComparator(clause: Parsed): Comparison {
  const { type } = clause.identifier;
  const comparator = clause.comparator.toUpperCase();
  const key = type === 'attribute' ? canonicalRunAttribute(clause.identifier.key) : clause.identifier.key;
  switch (type) {
    case 'attribute':
      if (key === 'start_time' || key === 'end_time') {
        // sic: MLflow lists the string comparators when a numeric attribute's comparator is wrong.
        if (!includes(METRIC_COMPARATORS, comparator)) {
          throw invalidComparator(comparator, STRING_ATTRIBUTE_COMPARATORS, false);
        }
      } else if (!includes(STRING_ATTRIBUTE_COMPARATORS, comparator)) {
        throw invalidComparator(comparator, STRING_ATTRIBUTE_COMPARATORS, true);
      }
      break;
    case 'metric':
      if (!includes(METRIC_COMPARATORS, comparator)) throw invalidComparator(comparator, METRIC_COMPARATORS, false);
      break;
    case 'param':
      if (!includes(PARAM_COMPARATORS, comparator)) throw invalidComparator(comparator, PARAM_COMPARATORS, true);
      break;
    case 'tag':
      if (!includes(TAG_COMPARATORS, comparator)) throw invalidComparator(comparator, TAG_COMPARATORS, false);
      break;
    case 'dataset':
      if (!includes(DATASET_COMPARATORS, comparator)) throw invalidComparator(comparator, DATASET_COMPARATORS, false);
      break;
    default:
      return assertNever(type);
  }
  return comparison(type, key, comparator as Comparator, clause);
}

const EXPERIMENT_STRING_COMPARATORS = ['=', '!=', 'LIKE', 'ILIKE'];

/** MLflow checks experiment comparators as written, without upper-casing them (so `like` fails). */
function checkExperimentComparator(clause: Parsed): Comparison {
  const { type, key } = clause.identifier;
  const { comparator } = clause;
  if (type === 'attribute') {
    if (includes(EXPERIMENT_NUMERIC_ATTRIBUTES, key)) {
      if (!includes(METRIC_COMPARATORS, comparator)) {
        throw invalidComparator(comparator, STRING_ATTRIBUTE_COMPARATORS, false);
      }
    } else {
      if (!includes(STRING_ATTRIBUTE_COMPARATORS, comparator)) {
        throw invalidComparator(comparator, STRING_ATTRIBUTE_COMPARATORS, true);
      }
      if (!EXPERIMENT_STRING_COMPARATORS.includes(comparator)) {
        throw MlflowError.invalidParameter(`Invalid comparator for string attribute: ${comparator}`);
      }
    }
  } else if (!EXPERIMENT_STRING_COMPARATORS.includes(comparator)) {
    throw MlflowError.invalidParameter(`Invalid comparator for tag: ${comparator}`);
  }
  return comparison(type, key, comparator as Comparator, clause);
}

function comparison(type: EntityType, key: string, comparator: Comparator, clause: Parsed): Comparison {
  const takesList = comparator === 'IN' || comparator === 'NOT IN';
  // MLflow hands such a clause to the database and fails there; we say what is wrong instead.
  if (takesList !== (clause.value.kind === 'list')) {
    throw MlflowError.invalidParameter(
      takesList
        ? `Invalid comparison clause. '${comparator}' expects a list of quoted string values. Got value ${clause.rawValue}`
        : `Invalid comparison clause. '${comparator}' cannot compare with a list. Got value ${clause.rawValue}`,
    );
  }
  return { identifier: { type, key }, comparator, value: clause.value };
}

function assertNever(value: never): never {
  throw new MlflowError('INTERNAL_ERROR', `Unexpected entity type ${String(value)}`);
}
