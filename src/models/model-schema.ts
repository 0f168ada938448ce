import { MlflowError } from '../core/errors.ts';

/**
 * MLflow model signatures (`mlflow/types/schema.py`): a schema is either all column specs
 * (`{"type": "double", "name": "x1", "required": true}`) or all tensor specs
 * (`{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}`); names are given
 * for every entry or for none. Params are `{"name", "type", "default", "shape"}`.
 */
export const COLUMN_TYPES = ['boolean', 'integer', 'long', 'float', 'double', 'string', 'binary', 'datetime'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

export interface ColumnSpec {
  readonly kind: 'column';
  /** A scalar type, or a composite (`array`, `object`, `map`, `any`) kept as its JSON spec. */
  readonly type: ColumnType | 'array' | 'object' | 'map' | 'any';
  readonly name?: string;
  readonly required: boolean;
}

export interface TensorSpec {
  readonly kind: 'tensor';
  readonly dtype: string;
  /** -1 is a free dimension. */
  readonly shape: readonly number[];
  readonly name?: string;
}

export type Schema =
  | { readonly kind: 'columns'; readonly specs: readonly ColumnSpec[] }
  | { readonly kind: 'tensors'; readonly specs: readonly TensorSpec[] };

export interface ParamSpec {
  readonly name: string;
  readonly type: string;
  readonly default: unknown;
  readonly shape: readonly number[] | null;
}

const TENSOR_DTYPES = new Set([
  'bool',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'float16',
  'float32',
  'float64',
  'str',
  'object',
  'bytes',
]);
const COMPOSITE = new Set(['array', 'object', 'map', 'any']);

const bad = (where: string, why: string) => MlflowError.invalidParameter(`MLmodel: ${where}: ${why}`);

function parseJsonList(text: unknown, where: string): unknown[] {
  let value: unknown = text;
  if (typeof text === 'string') {
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw bad(where, `is not valid JSON (${(error as Error).message})`);
    }
  }
  if (!Array.isArray(value)) throw bad(where, 'must be a JSON list of specs');
  return value;
}

/** A schema from its MLmodel form: a JSON string (as MLflow writes it) or the already-parsed list. */
export function parseSchema(text: unknown, where: string): Schema {
  const entries = parseJsonList(text, where);
  if (entries.length === 0) throw bad(where, 'has no specs');
  const tensors = entries.filter((e) => (e as { type?: unknown })?.type === 'tensor').length;
  if (tensors !== 0 && tensors !== entries.length) throw bad(where, 'mixes tensor and column specs');
  const named = entries.filter((e) => typeof (e as { name?: unknown })?.name === 'string').length;
  if (named !== 0 && named !== entries.length) throw bad(where, 'names some specs and not others');
  if (tensors > 0) return { kind: 'tensors', specs: entries.map((e, i) => tensorSpec(e, `${where}[${i}]`)) };
  return { kind: 'columns', specs: entries.map((e, i) => columnSpec(e, `${where}[${i}]`)) };
}

function columnSpec(entry: unknown, where: string): ColumnSpec {
  if (typeof entry !== 'object' || entry === null) throw bad(where, 'must be an object');
  const { type, name, required } = entry as Record<string, unknown>;
  if (typeof type !== 'string' || !((COLUMN_TYPES as readonly string[]).includes(type) || COMPOSITE.has(type))) {
    throw bad(where, `unknown column type ${JSON.stringify(type)} (expected one of ${COLUMN_TYPES.join(', ')})`);
  }
  if (required !== undefined && typeof required !== 'boolean') throw bad(where, "'required' must be a boolean");
  return {
    kind: 'column',
    type: type as ColumnSpec['type'],
    ...(typeof name === 'string' ? { name } : {}),
    required: required ?? true,
  };
}

function tensorSpec(entry: unknown, where: string): TensorSpec {
  const { name, 'tensor-spec': spec } = entry as Record<string, unknown>;
  if (typeof spec !== 'object' || spec === null) throw bad(where, "a tensor spec needs 'tensor-spec'");
  const { dtype, shape } = spec as Record<string, unknown>;
  if (typeof dtype !== 'string' || !TENSOR_DTYPES.has(dtype)) {
    throw bad(where, `unknown tensor dtype ${JSON.stringify(dtype)}`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d === -1 || d >= 0))) {
    throw bad(where, 'tensor shape must be a list of sizes (-1 for a free dimension)');
  }
  return { kind: 'tensor', dtype, shape: shape as number[], ...(typeof name === 'string' ? { name } : {}) };
}

export function parseParamsSchema(text: unknown, where: string): ParamSpec[] {
  return parseJsonList(text, where).map((entry, i) => {
    const at = `${where}[${i}]`;
    if (typeof entry !== 'object' || entry === null) throw bad(at, 'must be an object');
    const { name, type, default: value, shape } = entry as Record<string, unknown>;
    if (typeof name !== 'string' || name === '') throw bad(at, "a param needs a 'name'");
    if (typeof type !== 'string' || !(COLUMN_TYPES as readonly string[]).includes(type)) {
      throw bad(at, `unknown param type ${JSON.stringify(type)}`);
    }
    if (shape !== undefined && shape !== null && !Array.isArray(shape)) throw bad(at, "'shape' must be a list or null");
    return { name, type, default: value ?? null, shape: (shape as number[] | null | undefined) ?? null };
  });
}

/** The schema as MLflow prints it in errors: `['x1': double (required)]` or `[Tensor('float32', (-1, 3))]`. */
export function formatSchema(schema: Schema): string {
  if (schema.kind === 'tensors') {
    return `[${schema.specs
      .map((s) => `${s.name === undefined ? '' : `'${s.name}': `}Tensor('${s.dtype}', ${formatShape(s.shape)})`)
      .join(', ')}]`;
  }
  return `[${schema.specs
    .map((s) => `${s.name === undefined ? '' : `'${s.name}': `}${s.type} (${s.required ? 'required' : 'optional'})`)
    .join(', ')}]`;
}

/** A shape as Python prints a tuple: `(-1, 3)`, `(3,)`. */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}
