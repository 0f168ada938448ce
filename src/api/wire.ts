import { z } from 'zod';
import { MlflowError } from '../core/errors.ts';

/**
 * Field types as MLflow's protobuf JSON parsing accepts them. GET requests carry every value as a
 * query-string string, so scalars accept their string forms too; int64s may arrive as JSON
 * numbers or strings; a repeated field given once in a query string is a single string.
 */
export const wire = {
  string: () =>
    z.preprocess(
      (v) => (typeof v === 'number' || typeof v === 'bigint' ? String(v) : Array.isArray(v) ? v.at(-1) : v),
      z.string(),
    ),
  int64: () =>
    z.preprocess((v) => {
      const scalar = Array.isArray(v) ? v.at(-1) : v;
      if (typeof scalar === 'string' && /^-?\d+$/.test(scalar.trim())) return Number(scalar);
      return scalar;
    }, z.number().int().refine(Number.isSafeInteger)),
  double: () =>
    z.preprocess(
      (v) => {
        if (typeof v !== 'string') return v;
        if (v === 'NaN') return Number.NaN;
        if (v === 'Infinity' || v === 'inf') return Number.POSITIVE_INFINITY;
        if (v === '-Infinity' || v === '-inf') return Number.NEGATIVE_INFINITY;
        return v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
      },
      // z.number() refuses NaN and ±Infinity, which metrics may carry.
      z.custom<number>((v) => typeof v === 'number'),
    ),
  bool: () =>
    z.preprocess((v) => {
      const scalar = Array.isArray(v) ? v.at(-1) : v;
      return scalar === 'true' ? true : scalar === 'false' ? false : scalar;
    }, z.boolean()),
  list: <T extends z.ZodType>(item: T) =>
    z.preprocess((v) => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]), z.array(item)),
  enumOf: <const T extends readonly [string, ...string[]]>(values: T) =>
    z.preprocess((v) => (Array.isArray(v) ? v.at(-1) : v), z.enum(values)),
  tag: () => z.object({ key: wire.string().optional(), value: wire.string().optional() }),
};

function pathOf(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
    .join('.')
    .replace(/\.\[/g, '[');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'boolean') return 'bool';
  return typeof value === 'object' ? 'dict' : typeof value;
}

/** Parses a request message; the first problem becomes MLflow's INVALID_PARAMETER_VALUE message. */
export function parseMessage<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = pathOf(issue.path);
  const value = valueAt(input, issue.path);
  if (value === undefined || value === null) throw MlflowError.missingParameter(path);
  throw MlflowError.invalidParameter(
    `Invalid value ${JSON.stringify(value)} for parameter '${path}' supplied: Hint: Value was of type '${typeName(value)}'. See the API docs for more information about request parameters.`,
  );
}

/** MLflow's `_assert_required`: absent and empty values are both "missing". */
export function required<T>(value: T | undefined | null, name: string): T {
  if (value === undefined || value === null || value === '') throw MlflowError.missingParameter(name);
  if (Array.isArray(value) && value.length === 0) throw MlflowError.missingParameter(name);
  return value;
}
