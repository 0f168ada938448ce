import { MlflowError } from '../core/errors.ts';
import type { OrderBy } from './ast.ts';
import {
  canonicalRunAttribute,
  EXPERIMENT_ORDER_BY_ATTRIBUTES,
  MLFLOW_TYPE_NAMES,
  type ParsedIdentifier,
  parseExperimentIdentifier,
  parseRunIdentifier,
  RUN_ORDER_BY_ATTRIBUTES,
} from './identifiers.ts';
import { pyReprList, tokenize } from './tokenizer.ts';

/**
 * The order_by clauses of search_runs, parsed and checked as MLflow 3.x does. The store appends
 * the default order and tie-breaks; they are not part of the result. A key may appear only once.
 */
export function parseRunOrderBy(clauses: readonly string[] | undefined): OrderBy[] {
  const seen = new Set<string>();
  return (clauses ?? []).map((clause) => {
    const { text, ascending } = splitDirection(clause);
    const { type, key } = parseRunIdentifier(text, RUN_ORDER_BY_ATTRIBUTES);
    if (type === 'dataset') {
      throw MlflowError.invalidParameter(`Invalid identifier type '${MLFLOW_TYPE_NAMES[type]}'`);
    }
    const canonical = type === 'attribute' ? canonicalRunAttribute(key) : key;
    const id = `${type}\u0000${canonical}`;
    if (seen.has(id)) {
      throw MlflowError.invalidParameter(`\`order_by\` contains duplicate fields: ${pyReprList(clauses ?? [])}`);
    }
    seen.add(id);
    return { identifier: { type, key: canonical }, ascending };
  });
}

/** The order_by clauses of search_experiments: attributes only (name, experiment_id and the two times). */
export function parseExperimentOrderBy(clauses: readonly string[] | undefined): OrderBy[] {
  return (clauses ?? []).map((clause) => {
    const { text, ascending } = splitDirection(clause);
    const identifier: ParsedIdentifier = parseExperimentIdentifier(text, EXPERIMENT_ORDER_BY_ATTRIBUTES);
    if (identifier.type !== 'attribute') {
      throw MlflowError.invalidParameter(`Invalid order_by entity: ${MLFLOW_TYPE_NAMES[identifier.type]}`);
    }
    return { identifier, ascending };
  });
}

const unparsable = (clause: string) =>
  MlflowError.invalidParameter(`Invalid order_by clause '${clause}'. Could not be parsed.`);

/**
 * MLflow accepts a clause that sqlparse reads as one identifier, optionally followed by one more
 * word, and then splits it shell-style (backticks read as double quotes) into key and direction.
 */
export function splitDirection(clause: string): { text: string; ascending: boolean } {
  const tokens = tokenize(clause);
  const [first, second] = tokens;
  const shapeOk =
    clause === clause.trim() &&
    first?.kind === 'identifier' &&
    (tokens.length === 1 || (tokens.length === 2 && (second?.kind === 'identifier' || second?.kind === 'number')));
  if (!shapeOk) throw unparsable(clause);
  const words = shellSplit(clause.replaceAll('`', '"'));
  if (words === undefined || words.length === 0 || words.length > 2) throw unparsable(clause);
  const [key = '', direction] = words;
  if (direction === undefined) return { text: clause.trim(), ascending: true };
  const order = direction.toLowerCase();
  if (order !== 'asc' && order !== 'desc') {
    throw MlflowError.invalidParameter(`Invalid ordering key in order_by clause '${clause}'.`);
  }
  return { text: key.trim(), ascending: order === 'asc' };
}

/** Python's shlex.split in POSIX mode; undefined where shlex would raise (an unclosed quote). */
function shellSplit(text: string): string[] | undefined {
  const words: string[] = [];
  // A word exists once any character or quote of it was read, so "" yields an empty word.
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    const next = text[i + 1] ?? '';
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && next !== '' && '\\"$`\n'.includes(next)) word += text[++i];
      else word += c;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      [word, inWord] = ['', false];
    } else if (c === '"' || c === "'") {
      [quote, inWord] = [c, true];
    } else if (c === '\\') {
      if (next === '') return undefined;
      word += text[++i];
      inWord = true;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== undefined) return undefined;
  if (inWord) words.push(word);
  return words;
}
