/**
 * Compares a live Plumb response with a recorded MLflow one and explains every difference by JSON
 * pointer. Pure: knows nothing of HTTP or of the replay's id mapping, which it receives as `pin`.
 */
import type { Json, RecordedResponse } from './fixtures.ts';

export interface Diff {
  /** RFC 6901 pointer into the body, or `(status)` / `(content-type)` / `(body)` for the envelope. */
  readonly pointer: string;
  readonly problem: string;
  readonly expected?: unknown;
  readonly actual?: unknown;
  /** Free text shown under the values, such as the body of a response with the wrong status. */
  readonly detail?: string;
}

export interface JsonCompareOptions {
  /** Pointers whose recorded values change between captures: only presence and JSON type are compared. */
  readonly volatile?: Iterable<string>;
  /**
   * For a volatile pointer, the exact value it must have after all (a recorded id whose live
   * counterpart is known, a timestamp the client chose), or undefined to compare the type only.
   */
  readonly pin?: (pointer: string, expected: Json) => Json | undefined;
}

type JsonType = 'null' | 'array' | 'object' | 'number' | 'string' | 'boolean';

function jsonType(value: Json): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value as 'object' | 'number' | 'string' | 'boolean';
}

const escapeToken = (token: string) => token.replaceAll('~', '~0').replaceAll('/', '~1');
const isObject = (value: Json): value is { [key: string]: Json } => jsonType(value) === 'object';

/** JSON with object keys sorted, so equal values have equal text. */
function canonical(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k] as Json)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** True when `act` holds exactly the elements of `exp`, but not in the same order. */
function isReordering(exp: readonly Json[], act: readonly Json[]): boolean {
  const [e, a] = [exp.map(canonical), act.map(canonical)];
  if (e.every((text, i) => text === a[i])) return false;
  return [...e].sort().join('\0') === [...a].sort().join('\0');
}

/** The `key` of each element when the array is an MLflow key/value list with unique keys, else undefined. */
function entryKeys(array: readonly Json[]): string[] | undefined {
  const keys = array.map((e) => (isObject(e) && typeof e.key === 'string' ? e.key : undefined));
  if (keys.length === 0 || keys.some((k) => k === undefined)) return undefined;
  return new Set(keys).size === keys.length ? (keys as string[]) : undefined;
}

/**
 * Structural comparison: object key sets must be equal (MLflow omits default-valued fields, so an
 * extra or missing key is a real wire difference), arrays compare element-wise in order, numbers by
 * value (Python's `1.0` and JS's `1` parse to the same number).
 */
export function compareJson(expected: Json, actual: Json, options: JsonCompareOptions = {}): Diff[] {
  const volatile = new Set(options.volatile ?? []);
  const diffs: Diff[] = [];

  const walk = (pointer: string, exp: Json, act: Json): void => {
    if (!volatile.has(pointer)) return structural(pointer, exp, act);
    const pinned = options.pin?.(pointer, exp);
    if (pinned !== undefined) return structural(pointer, pinned, act);
    if (jsonType(exp) !== jsonType(act)) {
      diffs.push({ pointer, problem: 'type differs (volatile value: type only)', expected: exp, actual: act });
    }
  };

  const structural = (pointer: string, exp: Json, act: Json): void => {
    if (jsonType(exp) !== jsonType(act)) {
      diffs.push({ pointer, problem: 'type differs', expected: exp, actual: act });
    } else if (isObject(exp) && isObject(act)) {
      for (const [key, value] of Object.entries(exp)) {
        const child = `${pointer}/${escapeToken(key)}`;
        const other = act[key];
        if (other === undefined) diffs.push({ pointer: child, problem: 'missing key', expected: value });
        else walk(child, value, other);
      }
      for (const [key, value] of Object.entries(act)) {
        if (!Object.hasOwn(exp, key)) {
          diffs.push({ pointer: `${pointer}/${escapeToken(key)}`, problem: 'unexpected key', actual: value });
        }
      }
    } else if (Array.isArray(exp) && Array.isArray(act)) {
      arrays(pointer, exp, act);
    } else if (exp !== act) {
      diffs.push({ pointer, problem: 'value differs', expected: exp, actual: act });
    }
  };

  // Arrays compare in order. When they differ only in order, or are MLflow key/value lists (tags,
  // params, metrics) whose keys differ, one summary diff replaces a cascade of positional ones and
  // the elements are matched by key, so a real value difference still shows.
  const arrays = (pointer: string, exp: Json[], act: Json[]): void => {
    const expKeys = entryKeys(exp);
    const actKeys = entryKeys(act);
    if (expKeys && actKeys && expKeys.join('\0') !== actKeys.join('\0')) {
      const sameSet = expKeys.length === actKeys.length && expKeys.every((k) => actKeys.includes(k));
      const problem = sameSet ? 'same keys in a different order' : 'keys differ';
      diffs.push({ pointer, problem, expected: expKeys, actual: actKeys });
      expKeys.forEach((key, i) => {
        const j = actKeys.indexOf(key);
        if (j >= 0) walk(`${pointer}/${i}`, exp[i] as Json, act[j] as Json);
      });
      return;
    }
    if (exp.length === act.length && isReordering(exp, act)) {
      diffs.push({ pointer, problem: 'same elements in a different order', expected: exp, actual: act });
      return;
    }
    if (exp.length !== act.length) {
      diffs.push({ pointer, problem: 'array length differs', expected: exp.length, actual: act.length });
    }
    const common = Math.min(exp.length, act.length);
    for (let i = 0; i < common; i++) walk(`${pointer}/${i}`, exp[i] as Json, act[i] as Json);
    for (let i = common; i < exp.length; i++) {
      diffs.push({ pointer: `${pointer}/${i}`, problem: 'missing element', expected: exp[i] });
    }
    for (let i = common; i < act.length; i++) {
      diffs.push({ pointer: `${pointer}/${i}`, problem: 'unexpected element', actual: act[i] });
    }
  };

  walk('', expected, actual);
  return diffs;
}

export interface LiveResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
}

export interface ResponseCompareOptions extends JsonCompareOptions {
  /** `non-empty` for bodies whose content is not ours to match, such as the server version string. */
  readonly text?: 'exact' | 'non-empty';
}

/** `json` for application/json and +json types, else the top-level type: text/html and text/plain are both `text`. */
export function contentClass(contentType: string): string {
  const mime = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (mime === 'application/json' || mime.endsWith('+json')) return 'json';
  return mime.split('/')[0] || '(none)';
}

function parseJson(body: Buffer): { ok: true; value: Json } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) as Json };
  } catch {
    return { ok: false };
  }
}

/**
 * Whole-response comparison. Status and `error_code` must match exactly; MLflow's free-text error
 * `message` only has to be a string. Where MLflow answers with an HTML error page (unknown route,
 * wrong method) a JSON `{error_code, message}` body with the same status is accepted too.
 */
export function compareResponse(
  expected: RecordedResponse,
  live: LiveResponse,
  options: ResponseCompareOptions = {},
): Diff[] {
  if (expected.status !== live.status) {
    // The rest of the body is noise once the status is wrong; its text usually says why.
    const detail = `live body: ${truncate(live.body.toString('utf8'))}`;
    return [{ pointer: '(status)', problem: 'status differs', expected: expected.status, actual: live.status, detail }];
  }
  const liveClass = contentClass(live.contentType);
  const body = expected.body;
  if (body.kind === 'json') {
    if (liveClass !== 'json') return [contentTypeDiff(expected, live)];
    const parsed = parseJson(live.body);
    if (!parsed.ok) return [{ pointer: '(body)', problem: 'body is not JSON', actual: live.body.toString('utf8') }];
    const volatile = [...(options.volatile ?? [])];
    if (expected.errorCode !== undefined || (isObject(body.value) && 'error_code' in body.value)) {
      volatile.push('/message');
    }
    return compareJson(body.value, parsed.value, { ...options, volatile });
  }
  if (expected.status >= 400 && contentClass(expected.contentType) === 'text') {
    // An error page's wording is the web framework's, not the API's: only its status is the contract.
    if (liveClass === 'json') return errorBodyDiffs(live.body);
    if (liveClass === 'text') return [];
  }
  if (body.kind === 'none') {
    return live.body.length === 0
      ? []
      : [{ pointer: '(body)', problem: 'expected no body', actual: live.body.toString('utf8') }];
  }
  if (liveClass !== contentClass(expected.contentType)) return [contentTypeDiff(expected, live)];
  if (body.kind === 'binary') {
    return body.bytes.equals(live.body)
      ? []
      : [{ pointer: '(body)', problem: 'bytes differ', expected: body.bytes.length, actual: live.body.length }];
  }
  const text = live.body.toString('utf8');
  if (options.text === 'non-empty') {
    return text.trim() === '' ? [{ pointer: '(body)', problem: 'empty body', expected: 'non-empty text' }] : [];
  }
  return text === body.text ? [] : [{ pointer: '(body)', problem: 'text differs', expected: body.text, actual: text }];
}

const contentTypeDiff = (expected: RecordedResponse, live: LiveResponse): Diff => ({
  pointer: '(content-type)',
  problem: 'content type differs',
  expected: expected.contentType,
  actual: live.contentType,
});

/** Plumb's JSON stand-in for an MLflow HTML error page must still be a well-formed MLflow error. */
function errorBodyDiffs(body: Buffer): Diff[] {
  const parsed = parseJson(body);
  if (!parsed.ok || !isObject(parsed.value)) {
    return [{ pointer: '(body)', problem: 'JSON error body is not an object', actual: body.toString('utf8') }];
  }
  const diffs: Diff[] = [];
  for (const key of ['error_code', 'message']) {
    const value = parsed.value[key];
    if (typeof value !== 'string') {
      diffs.push({ pointer: `/${key}`, problem: 'JSON error body needs a string', actual: value });
    }
  }
  return diffs;
}

const MAX_SHOWN = 40;
const MAX_VALUE_CHARS = 300;

const truncate = (text: string) =>
  text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}… (${text.length} chars)` : text;
const show = (value: unknown) => (value === undefined ? '(absent)' : truncate(JSON.stringify(value)));

/** One block per difference: pointer and problem, then expected (MLflow) and actual (Plumb). */
export function formatDiffs(diffs: readonly Diff[]): string {
  const lines = diffs
    .slice(0, MAX_SHOWN)
    .flatMap((d) => [
      `  ${d.pointer || '(root)'}: ${d.problem}`,
      ...('expected' in d ? [`      expected: ${show(d.expected)}`] : []),
      ...('actual' in d ? [`      actual:   ${show(d.actual)}`] : []),
      ...(d.detail === undefined ? [] : [`      ${d.detail}`]),
    ]);
  if (diffs.length > MAX_SHOWN) lines.push(`  … and ${diffs.length - MAX_SHOWN} more differences`);
  return lines.join('\n');
}
