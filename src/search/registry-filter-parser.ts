import { MlflowError } from '../core/errors.ts';
import type { Comparator, Comparison, Filter, OrderBy, Value } from './ast.ts';
import {
  METRIC_COMPARATORS,
  type ParsedIdentifier,
  pySet,
  quotedValue,
  stripQuotes,
  trimBackticks,
} from './identifiers.ts';
import { splitDirection } from './order-by-parser.ts';
import { parseStringList, pyReprList, type RawComparison, splitComparisons, type Token } from './tokenizer.ts';

/**
 * MLflow's filter and order_by grammar for search_registered_models and search_model_versions
 * (SearchModelUtils, SearchModelVersionUtils and the SQL store's checks). Like the run and
 * experiment parsers, identifiers and values of every clause are checked first, comparators second,
 * so that a filter with several mistakes reports the one MLflow reports.
 */
const ENTITY_TYPES = ['attribute', 'tag', 'tags'] as const;
const REGISTERED_MODEL_ATTRIBUTES = ['name'] as const;
const MODEL_VERSION_ATTRIBUTES = ['name', 'run_id', 'source_path', 'version_number'] as const;
const MODEL_VERSION_NUMERIC = ['creation_timestamp', 'last_updated_timestamp', 'version_number'] as const;
const MODEL_VERSION_ORDER_BY = ['creation_timestamp', 'last_updated_timestamp', 'name', 'version_number'] as const;
const STRING_COMPARATORS: readonly string[] = ['=', '!=', 'LIKE', 'ILIKE'];
const REGISTERED_MODEL_ORDER_BY = ['timestamp', 'last_updated_timestamp', 'name'] as const;

interface Parsed {
  readonly identifier: ParsedIdentifier;
  readonly comparator: string;
  readonly value: Value;
  readonly rawValue: string;
}

/** `name` and `tags.<key>`, compared with = != LIKE ILIKE. Empty or blank → []. */
export function parseRegisteredModelFilter(filter: string | undefined): Filter {
  if (filter === undefined || filter.trim() === '') return [];
  return splitComparisons(filter, false)
    .map((raw) => parseClause(raw, REGISTERED_MODEL_ATTRIBUTES, []))
    .map((clause) => {
      const { type } = clause.identifier;
      if (!STRING_COMPARATORS.includes(clause.comparator)) {
        throw MlflowError.invalidParameter(`Invalid comparator for ${type}: ${clause.comparator}`);
      }
      return comparison(clause);
    });
}

/** `name`, `run_id` (also IN), `source_path`, `version_number` (numeric) and `tags.<key>`. */
export function parseModelVersionFilter(filter: string | undefined): Filter {
  if (filter === undefined || filter.trim() === '') return [];
  return splitComparisons(filter, false)
    .map((raw) => parseClause(raw, MODEL_VERSION_ATTRIBUTES, MODEL_VERSION_NUMERIC))
    .map((clause) => {
      const { type, key } = clause.identifier;
      const c = clause.comparator;
      if (type === 'tag') {
        if (!STRING_COMPARATORS.includes(c)) throw MlflowError.invalidParameter(`Invalid comparator for tag: ${c}`);
      } else if (key === 'version_number') {
        if (!(METRIC_COMPARATORS as readonly string[]).includes(c)) {
          throw MlflowError.invalidParameter(`Invalid comparator for attribute ${key}: ${c}`);
        }
        return comparison({ ...clause, value: versionNumberValue(clause) });
      } else if (!(STRING_COMPARATORS.includes(c) || (c === 'IN' && key === 'run_id'))) {
        throw MlflowError.invalidParameter(`Invalid comparator for attribute: ${c}`);
      }
      return comparison(clause);
    });
}

function parseClause(raw: RawComparison, attributes: readonly string[], numericAttributes: readonly string[]): Parsed {
  if (raw.left.kind !== 'identifier') {
    throw MlflowError.invalidParameter(`Invalid comparison clause. Expected 'Identifier' found '${raw.left.raw}'`);
  }
  const identifier = registryIdentifier(raw.left.raw, attributes);
  return {
    identifier,
    comparator: raw.comparator.toUpperCase(),
    value: valueOf(identifier, raw.right, numericAttributes),
    rawValue: raw.right.raw,
  };
}

/**
 * `attribute.<key>`, `tag.<key>`, `tags.<key>` or a bare attribute, split on the first dot. As in
 * MLflow, an attribute name is checked as written, before quotes or backticks are removed.
 */
function registryIdentifier(text: string, attributes: readonly string[]): ParsedIdentifier {
  const dot = text.indexOf('.');
  const typeText = dot < 0 ? undefined : text.slice(0, dot);
  const rawKey = dot < 0 ? text : text.slice(dot + 1);
  if (typeText !== undefined && !(ENTITY_TYPES as readonly string[]).includes(typeText)) {
    throw MlflowError.invalidParameter(
      `Invalid entity type '${typeText}'. Valid entity types are ${pyReprList(ENTITY_TYPES, true)}`,
    );
  }
  const type = typeText === undefined || typeText === 'attribute' ? 'attribute' : 'tag';
  if (type === 'attribute' && !attributes.includes(rawKey)) {
    throw MlflowError.invalidParameter(
      `Invalid attribute key '${rawKey}' specified. Valid keys are '${pySet(attributes)}'`,
    );
  }
  return { type, key: trimBackticks(stripQuotes(rawKey)) };
}

const isStringLike = (t: Token): boolean => t.kind === 'string' || t.kind === 'identifier';

function valueOf({ type, key }: ParsedIdentifier, token: Token, numericAttributes: readonly string[]): Value {
  if (type === 'tag') {
    if (isStringLike(token)) return { kind: 'string', value: quotedValue(token.raw) };
    throw MlflowError.invalidParameter(
      `Expected a quoted string value for tag (e.g. 'my-value'). Got value ${token.raw}`,
    );
  }
  if (isStringLike(token)) return { kind: 'string', value: quotedValue(token.raw) };
  if (token.kind === 'group') {
    if (key !== 'run_id') {
      throw MlflowError.invalidParameter(
        "Only the 'run_id' attribute supports comparison with a list of quoted string values.",
      );
    }
    // Run ids are lower-case hex; MLflow drops other values so that MySQL's case-insensitive IN cannot match them.
    return { kind: 'list', values: parseStringList(token.raw).filter(isPythonLower) };
  }
  if (token.kind === 'number' && numericAttributes.length > 0) {
    if (!numericAttributes.includes(key)) {
      throw MlflowError.invalidParameter(
        `Only the '${pySet(numericAttributes)}' attributes support comparison with numeric values.`,
      );
    }
    return { kind: 'number', value: token.value };
  }
  throw MlflowError.invalidParameter(
    `Expected a quoted string value or a list of quoted string values for attributes. Got value ${token.raw}`,
  );
}

/**
 * MLflow hands a quoted version number to the database, which converts it; a string that is no
 * number matches nothing there (or everything, with !=), so we refuse it rather than guess.
 */
function versionNumberValue(clause: Parsed): Value {
  const { value } = clause;
  if (value.kind === 'number') return value;
  if (value.kind === 'string' && /^\s*[+-]?\d+\s*$/.test(value.value))
    return { kind: 'number', value: Number(value.value) };
  throw MlflowError.invalidParameter(`Expected a numeric value for version_number. Got value ${clause.rawValue}`);
}

function isPythonLower(value: string): boolean {
  return value === value.toLowerCase() && value !== value.toUpperCase();
}

function comparison(clause: Parsed): Comparison {
  const comparator = clause.comparator as Comparator;
  const takesList = comparator === 'IN' || comparator === 'NOT IN';
  if (takesList !== (clause.value.kind === 'list')) {
    throw MlflowError.invalidParameter(
      takesList
        ? `Invalid comparison clause. '${comparator}' expects a list of quoted string values. Got value ${clause.rawValue}`
        : `Invalid comparison clause. '${comparator}' cannot compare with a list. Got value ${clause.rawValue}`,
    );
  }
  return { identifier: clause.identifier, comparator, value: clause.value };
}

function duplicate(clauses: readonly string[]): MlflowError {
  return MlflowError.invalidParameter(`\`order_by\` contains duplicate fields: ${pyReprList(clauses)}`);
}

/**
 * search_registered_models' order_by: `name`, or `timestamp` / `last_updated_timestamp`, which
 * MLflow's SQL store both sorts by the last update time. Tie-breaks are the store's (name ASC).
 */
export function parseRegisteredModelOrderBy(clauses: readonly string[] | undefined): OrderBy[] {
  const seen = new Set<string>();
  return (clauses ?? []).map((clause) => {
    const { text, ascending } = splitDirection(clause);
    const token = text.trim();
    if (!(REGISTERED_MODEL_ORDER_BY as readonly string[]).includes(token)) {
      throw MlflowError.invalidParameter(
        `Invalid order by key '${token}' specified.Valid keys are '${pySet(['name', 'timestamp'])}'`,
      );
    }
    const key = token === 'name' ? 'name' : 'last_updated_timestamp';
    if (seen.has(key)) throw duplicate(clauses ?? []);
    seen.add(key);
    return { identifier: { type: 'attribute', key }, ascending };
  });
}

/** MLflow's default order of model versions when the request names none. */
const MODEL_VERSION_DEFAULT_ORDER = ['last_updated_timestamp DESC', 'name ASC', 'version_number DESC'];

/**
 * search_model_versions' order_by (default: last update DESC, name ASC, version DESC). MLflow's
 * store looks at the key only, so `tag.name` sorts by the model name as `name` does.
 */
export function parseModelVersionOrderBy(clauses: readonly string[] | undefined): OrderBy[] {
  const list = clauses !== undefined && clauses.length > 0 ? clauses : MODEL_VERSION_DEFAULT_ORDER;
  const seen = new Set<string>();
  return list.map((clause) => {
    const { text, ascending } = splitDirection(clause);
    const { key } = registryIdentifier(text.trim(), MODEL_VERSION_ORDER_BY);
    if (!(MODEL_VERSION_ORDER_BY as readonly string[]).includes(key)) {
      throw MlflowError.invalidParameter(
        `Invalid order by key '${key}' specified. Valid keys are ${pySet(MODEL_VERSION_ORDER_BY)}`,
      );
    }
    if (seen.has(key)) throw duplicate(list);
    seen.add(key);
    return { identifier: { type: 'attribute', key }, ascending };
  });
}
