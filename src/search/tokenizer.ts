import { MlflowError } from '../core/errors.ts';

/**
 * A small lexer for MLflow's search grammar. MLflow tokenises filters with sqlparse; we do not
 * replicate sqlparse, only the token classes its search code looks at, so that the filters MLflow
 * accepts parse to the same comparisons and the ones it rejects fail with the same messages.
 */
export type Token =
  /** Dotted name whose parts may be bare, `backticked` or "double-quoted"; raw keeps the quotes. */
  | { readonly kind: 'identifier'; readonly raw: string }
  /** Single-quoted string, raw including the quotes (MLflow never unescapes them). */
  | { readonly kind: 'string'; readonly raw: string }
  | { readonly kind: 'number'; readonly raw: string; readonly value: number }
  /** A parenthesised group, raw including the parentheses. */
  | { readonly kind: 'group'; readonly raw: string }
  | { readonly kind: 'comparator'; readonly raw: string }
  | { readonly kind: 'keyword'; readonly raw: string; readonly word: string }
  | { readonly kind: 'other'; readonly raw: string };

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN', 'IS', 'NULL', 'BETWEEN', 'EXISTS', 'TRUE', 'FALSE']);
const WORD_COMPARATORS = new Set(['LIKE', 'ILIKE', 'RLIKE']);

const WORD = /[\p{L}_][\p{L}\p{N}_$#]*|\p{N}[\p{L}\p{N}_$#]*/uy;
const BACKTICKED = /`(?:``|[^`])*`/y;
const DOUBLE_QUOTED = /"(?:""|\\\\|\\"|[^"])*"/y;
const SINGLE_QUOTED = /'(?:''|\\\\|\\'|[^'])*'/y;
const NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?(?![\p{L}\p{N}_])/uy;
const COMPARATOR = /[<>=~!]+/y;
const NOT_LIKE = /NOT\s+(?:LIKE|ILIKE|RLIKE)(?![\p{L}\p{N}_])/iuy;
const OPERATOR = /[+/@#%^&|?*-]+/y;
const WHITESPACE = /\s+/y;

function matchAt(re: RegExp, text: string, at: number): string | undefined {
  re.lastIndex = at;
  return re.exec(text)?.[0];
}

function segmentAt(text: string, at: number): string | undefined {
  return matchAt(BACKTICKED, text, at) ?? matchAt(DOUBLE_QUOTED, text, at) ?? matchAt(WORD, text, at);
}

/** Index just past the parenthesis closing the one at `open`, or -1 when it is never closed. */
function closingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === '"' || c === '`') {
      const quoted = matchAt(c === "'" ? SINGLE_QUOTED : c === '"' ? DOUBLE_QUOTED : BACKTICKED, text, i);
      if (quoted === undefined) return -1;
      i += quoted.length - 1;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i + 1;
  }
  return -1;
}

function identifierAt(text: string, at: number): string | undefined {
  let end = at;
  let segment = segmentAt(text, end);
  if (segment === undefined) return undefined;
  for (;;) {
    end += segment.length;
    if (text[end] !== '.') break;
    const next = segmentAt(text, end + 1);
    if (next === undefined) break;
    end += 1;
    segment = next;
  }
  return text.slice(at, end);
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < text.length) {
    const space = matchAt(WHITESPACE, text, at);
    if (space !== undefined) {
      at += space.length;
      continue;
    }
    const token = tokenAt(text, at);
    tokens.push(token);
    at += token.raw.length;
  }
  return tokens;
}

function tokenAt(text: string, at: number): Token {
  const c = text[at] ?? '';
  if (c === '(') {
    const end = closingParen(text, at);
    return end < 0 ? { kind: 'other', raw: c } : { kind: 'group', raw: text.slice(at, end) };
  }
  if (c === "'") {
    const raw = matchAt(SINGLE_QUOTED, text, at);
    return raw === undefined ? { kind: 'other', raw: c } : { kind: 'string', raw };
  }
  const number = matchAt(NUMBER, text, at);
  if (number !== undefined) return { kind: 'number', raw: number, value: Number(number) };
  const notLike = matchAt(NOT_LIKE, text, at);
  if (notLike !== undefined) return { kind: 'comparator', raw: notLike };
  const identifier = identifierAt(text, at);
  if (identifier !== undefined) {
    const word = identifier.toUpperCase();
    if (WORD_COMPARATORS.has(word)) return { kind: 'comparator', raw: identifier };
    if (KEYWORDS.has(word)) return { kind: 'keyword', raw: identifier, word };
    return { kind: 'identifier', raw: identifier };
  }
  const comparator = matchAt(COMPARATOR, text, at);
  if (comparator !== undefined) return { kind: 'comparator', raw: comparator };
  return { kind: 'other', raw: matchAt(OPERATOR, text, at) ?? c };
}

/** One `left comparator right` clause as the statement grouped it, before any meaning is given to it. */
export interface RawComparison {
  readonly left: Token;
  /** As written, except that `NOT IN` is normalised the way MLflow joins its two keywords. */
  readonly comparator: string;
  readonly right: Token;
}

const isOperand = (t: Token | undefined): t is Token =>
  t !== undefined && (t.kind === 'identifier' || t.kind === 'string' || t.kind === 'number' || t.kind === 'group');
const isKeyword = (t: Token | undefined, word: string): boolean => t?.kind === 'keyword' && t.word === word;

/**
 * Splits a filter into its comparisons. Like MLflow, only comparisons and the AND keyword may
 * appear at the top level (so a missing or doubled AND is tolerated) and everything else is
 * reported as an invalid clause; `quoteClauses` reflects that the run and experiment searches
 * word that message differently.
 */
export function splitComparisons(filter: string, quoteClauses: boolean): RawComparison[] {
  rejectMultipleStatements(filter);
  const tokens = tokenize(filter);
  const comparisons: RawComparison[] = [];
  const invalid: Token[] = [];
  for (let i = 0; i < tokens.length; ) {
    const [t, a, b, c] = [tokens[i], tokens[i + 1], tokens[i + 2], tokens[i + 3]];
    if (t === undefined) break;
    if (isKeyword(t, 'AND')) {
      i += 1;
    } else if (t.kind === 'identifier' && isKeyword(a, 'IN') && b?.kind === 'group') {
      comparisons.push({ left: t, comparator: a?.raw ?? 'IN', right: b });
      i += 3;
    } else if (t.kind === 'identifier' && isKeyword(a, 'NOT') && isKeyword(b, 'IN') && c?.kind === 'group') {
      comparisons.push({ left: t, comparator: 'NOT IN', right: c });
      i += 4;
    } else if (isOperand(t) && a?.kind === 'comparator' && isOperand(b)) {
      comparisons.push({ left: t, comparator: a.raw, right: b });
      i += 3;
    } else {
      invalid.push(t);
      i += 1;
    }
  }
  if (invalid.length > 0) {
    const clauses = invalid.map((t) => (quoteClauses ? `'${t.raw}'` : t.raw)).join(', ');
    throw MlflowError.invalidParameter(`Invalid clause(s) in filter string: ${clauses}`);
  }
  return comparisons;
}

/** sqlparse splits on `;`: a second non-empty statement is its own error, a trailing `;` an invalid clause. */
function rejectMultipleStatements(filter: string): void {
  const tokens = tokenize(filter);
  const semicolon = tokens.findIndex((t) => t.raw === ';');
  if (semicolon >= 0 && semicolon < tokens.length - 1) {
    throw MlflowError.invalidParameter(
      `Search filter contained multiple expression ${pyRepr(filter)}. Provide AND-ed expression list.`,
    );
  }
}

/** Python's repr() of a string, which MLflow interpolates into several messages. */
export function pyRepr(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of value) {
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch < ' ' || ch === '\x7f') out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** Python's repr() of a list or tuple of strings. */
export function pyReprList(values: readonly string[], tuple = false): string {
  const items = values.map(pyRepr);
  if (!tuple) return `[${items.join(', ')}]`;
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

const ILL_FORMED =
  'While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.';
const PY_STRING = /'(?:\\[\s\S]|[^'\\\n])*'|"(?:\\[\s\S]|[^"\\\n])*"/y;
const PY_NUMBER = /[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?/y;
const PY_ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r', '0': '\0' };

function unescapePython(literal: string): string {
  return literal.slice(1, -1).replace(/\\([\s\S])/g, (whole, ch: string) => PY_ESCAPES[ch] ?? whole);
}

/**
 * Reads `('a', 'b')` the way MLflow does, with Python's literal_eval: adjacent strings concatenate,
 * a single parenthesised string is a one-element list, a trailing comma is allowed.
 */
export function parseStringList(group: string): string[] {
  const inner = group.slice(1, -1);
  const items: (string | { readonly number: string })[] = [];
  let at = 0;
  const skipSpace = () => {
    at += matchAt(WHITESPACE, inner, at)?.length ?? 0;
  };
  skipSpace();
  while (at < inner.length) {
    let item: string | { readonly number: string } | undefined;
    for (let s = matchAt(PY_STRING, inner, at); s !== undefined; s = matchAt(PY_STRING, inner, at)) {
      item = (typeof item === 'string' ? item : '') + unescapePython(s);
      at += s.length;
      skipSpace();
    }
    if (item === undefined) {
      const n = matchAt(PY_NUMBER, inner, at);
      if (n === undefined) throw MlflowError.invalidParameter(ILL_FORMED);
      item = { number: n };
      at += n.length;
      skipSpace();
    }
    items.push(item);
    if (at >= inner.length) break;
    if (inner[at] !== ',') throw MlflowError.invalidParameter(ILL_FORMED);
    at += 1;
    skipSpace();
  }
  if (items.length === 0) {
    throw MlflowError.invalidParameter(
      'While parsing a list in the query, expected a non-empty list of string values, but got empty list',
    );
  }
  if (items.some((i) => typeof i !== 'string')) {
    const repr = items.map((i) => (typeof i === 'string' ? pyRepr(i) : pyNumber(i.number)));
    const tuple = repr.length === 1 ? `(${repr[0]},)` : `(${repr.join(', ')})`;
    throw MlflowError.invalidParameter(
      `While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: ${tuple}`,
    );
  }
  return items as string[];
}

/** Python's repr() of a numeric literal: ints keep their digits, floats always show a fraction. */
function pyNumber(literal: string): string {
  const n = Number(literal);
  if (/^[-+]?\d+$/.test(literal)) return String(BigInt(literal));
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  return Number.isInteger(n) && Math.abs(n) < 1e16 ? `${n}.0` : String(n);
}
