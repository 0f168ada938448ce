import { MlflowError } from '../core/errors.ts';
import type { ModelInput } from './model-input.ts';
import {
  type ColumnSpec,
  formatSchema,
  formatShape,
  type ParamSpec,
  type Schema,
  type TensorSpec,
} from './model-schema.ts';

/**
 * Signature enforcement after MLflow's `_enforce_schema` (mlflow/models/utils.py): a column
 * signature turns any input into a frame of exactly the signature's columns, in its order, with
 * values of the declared types; a tensor signature checks shapes (-1 matches any size) and dtypes.
 * Failures carry MLflow's wording, wrapped as MLflow's pyfunc wraps them.
 */
class SchemaMismatch extends Error {}

/** `Failed to enforce schema of data '…' with schema '…'. Error: …` as INVALID_PARAMETER_VALUE. */
export function enforceSchema(input: ModelInput, schema: Schema): ModelInput {
  try {
    return schema.kind === 'columns' ? enforceColumns(input, schema.specs) : enforceTensors(input, schema.specs);
  } catch (error) {
    if (!(error instanceof SchemaMismatch)) throw error;
    throw MlflowError.invalidParameter(
      `Failed to enforce schema of data '${describeData(input)}' with schema '${formatSchema(schema)}'. Error: ${error.message}`,
    );
  }
}

/** A short rendering of request data for error messages (MLflow prints the whole frame; we cap it). */
export function describeData(input: ModelInput): string {
  const text =
    input.kind === 'dataframe'
      ? JSON.stringify({ columns: input.columns, data: input.rows })
      : JSON.stringify(input.value);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

const pyList = (names: readonly string[]) => `[${names.map((n) => `'${n}'`).join(', ')}]`;

function asFrame(input: ModelInput): { columns: readonly string[]; rows: readonly (readonly unknown[])[] } {
  if (input.kind === 'dataframe') return input;
  if (input.kind === 'tensors') {
    const columns = Object.keys(input.value);
    const values = columns.map((c) => input.value[c]);
    const length = Math.max(1, ...values.map((v) => (Array.isArray(v) ? v.length : 1)));
    if (values.some((v) => Array.isArray(v) && v.length !== length)) {
      throw new SchemaMismatch('All arrays must be of the same length');
    }
    const rows = Array.from({ length }, (_, i) => values.map((v) => (Array.isArray(v) ? v[i] : v)));
    return { columns, rows };
  }
  const value = input.value;
  if (!Array.isArray(value)) return { columns: ['0'], rows: [[value]] };
  if (value.every(Array.isArray)) {
    const width = (value[0] as unknown[] | undefined)?.length ?? 0;
    return { columns: Array.from({ length: width }, (_, i) => String(i)), rows: value as unknown[][] };
  }
  return { columns: ['0'], rows: value.map((v) => [v]) };
}

function enforceColumns(input: ModelInput, specs: readonly ColumnSpec[]): ModelInput {
  const frame = asFrame(input);
  const named = specs[0]?.name !== undefined;
  let picks: (number | undefined)[];
  if (named) {
    const names = specs.map((s) => s.name!);
    const missing = specs.filter((s) => s.required && !frame.columns.includes(s.name!)).map((s) => s.name!);
    if (missing.length > 0) {
      const extra = frame.columns.filter((c) => !names.includes(c));
      const note = extra.length > 0 ? ` Note that there were extra inputs: ${pyList(extra)}.` : '';
      throw new SchemaMismatch(`Model is missing inputs ${pyList(missing)}.${note}`);
    }
    picks = names.map((n) => {
      const at = frame.columns.indexOf(n);
      return at < 0 ? undefined : at;
    });
  } else {
    const required = specs.filter((s) => s.required).length;
    if (frame.columns.length < required) {
      throw new SchemaMismatch(
        `Model inference is missing inputs. The model signature declares ${specs.length} inputs but the provided value only has ${frame.columns.length} inputs. Note: the inputs were not named in the signature so we can only verify their count.`,
      );
    }
    picks = specs.map((_, i) => (i < frame.columns.length ? i : undefined));
  }
  const columns = specs.map((s, i) => s.name ?? frame.columns[picks[i]!] ?? String(i));
  const rows = frame.rows.map((row) =>
    specs.map((spec, i) => {
      const at = picks[i];
      return convertCell(at === undefined ? null : row[at], spec, columns[i]!);
    }),
  );
  return { kind: 'dataframe', columns, rows };
}

function jsTypeName(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? 'int64' : 'float64';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  return Array.isArray(value) ? 'list' : 'object';
}

const NUMPY_OF: Record<string, string> = {
  integer: 'int32',
  long: 'int64',
  float: 'float32',
  double: 'float64',
  boolean: 'bool',
  string: 'str',
  binary: 'bytes',
  datetime: 'datetime64[ns]',
};

function convertCell(value: unknown, spec: ColumnSpec, column: string): unknown {
  if (value === null || value === undefined) {
    if (spec.required)
      throw new SchemaMismatch(`Incompatible input types for column ${column}. Missing value in a required column.`);
    return null;
  }
  const incompatible = () =>
    new SchemaMismatch(
      `Incompatible input types for column ${column}. Can not safely convert ${jsTypeName(value)} to ${NUMPY_OF[spec.type] ?? spec.type}.`,
    );
  switch (spec.type) {
    case 'double':
    case 'float':
      if (typeof value !== 'number') throw incompatible();
      return value;
    case 'integer':
    case 'long':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw incompatible();
      if (spec.type === 'integer' && (value > 2 ** 31 - 1 || value < -(2 ** 31))) throw incompatible();
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw incompatible();
      return value;
    case 'string':
    case 'binary':
      if (typeof value !== 'string') throw incompatible();
      return value;
    case 'datetime':
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw incompatible();
      return value;
    case 'array':
      if (!Array.isArray(value)) throw incompatible();
      return value;
    case 'object':
    case 'map':
      if (typeof value !== 'object' || Array.isArray(value)) throw incompatible();
      return value;
    case 'any':
      return value;
    default: {
      const unreachable: never = spec.type;
      throw new SchemaMismatch(`unknown type ${String(unreachable)}`);
    }
  }
}

/** The shape of nested arrays; ragged input is refused (no tensor has it). */
export function shapeOf(value: unknown): number[] {
  if (!Array.isArray(value)) return [];
  if (value.length === 0) return [0];
  const inner = shapeOf(value[0]);
  const key = inner.join(',');
  for (const item of value) {
    if (shapeOf(item).join(',') !== key) throw new SchemaMismatch('Input tensor is ragged: its rows differ in shape');
  }
  return [value.length, ...inner];
}

function checkTensor(value: unknown, spec: TensorSpec): void {
  const shape = shapeOf(value);
  const matches = shape.length === spec.shape.length && spec.shape.every((d, i) => d === -1 || d === shape[i]);
  if (!matches) {
    throw new SchemaMismatch(
      `Shape of input ${formatShape(shape)} does not match expected shape ${formatShape(spec.shape)}.`,
    );
  }
  const leaves = (Array.isArray(value) ? value.flat(Number.POSITIVE_INFINITY) : [value]) as unknown[];
  const ok = (v: unknown): boolean => {
    if (spec.dtype.startsWith('float')) return typeof v === 'number';
    if (spec.dtype.startsWith('int') || spec.dtype.startsWith('uint')) {
      return typeof v === 'number' && Number.isInteger(v) && (!spec.dtype.startsWith('uint') || v >= 0);
    }
    if (spec.dtype === 'bool') return typeof v === 'boolean';
    if (spec.dtype === 'str' || spec.dtype === 'bytes') return typeof v === 'string';
    return true;
  };
  const wrong = leaves.find((v) => !ok(v));
  if (wrong !== undefined) {
    throw new SchemaMismatch(`dtype of input ${jsTypeName(wrong)} does not match expected dtype ${spec.dtype}`);
  }
}

function enforceTensors(input: ModelInput, specs: readonly TensorSpec[]): ModelInput {
  if (specs[0]?.name === undefined) {
    const value = input.kind === 'tensor' ? input.value : input.kind === 'dataframe' ? input.rows : undefined;
    const only = input.kind === 'tensors' ? Object.values(input.value) : [];
    const tensor = value ?? (only.length === 1 ? only[0] : undefined);
    if (tensor === undefined) {
      throw new SchemaMismatch('This model has one unnamed tensor input: send a list, not named inputs');
    }
    checkTensor(tensor, specs[0]!);
    return { kind: 'tensor', value: tensor };
  }
  const named: Record<string, unknown> =
    input.kind === 'tensors'
      ? { ...input.value }
      : input.kind === 'dataframe'
        ? Object.fromEntries(input.columns.map((c, i) => [c, input.rows.map((r) => r[i])]))
        : specs.length === 1
          ? { [specs[0]!.name!]: input.value }
          : {};
  const missing = specs.filter((s) => !(s.name! in named)).map((s) => s.name!);
  if (missing.length > 0) throw new SchemaMismatch(`Model is missing inputs ${pyList(missing)}.`);
  for (const spec of specs) checkTensor(named[spec.name!], spec);
  return { kind: 'tensors', value: Object.fromEntries(specs.map((s) => [s.name!, named[s.name!]])) };
}

/**
 * MLflow's `_enforce_params_schema`: declared params take their defaults when absent and must
 * convert to the declared type; undeclared ones are dropped (MLflow logs and ignores them).
 */
export function enforceParams(
  params: Readonly<Record<string, unknown>> | undefined,
  specs: readonly ParamSpec[] | undefined,
): Record<string, unknown> | undefined {
  if (specs === undefined) return params === undefined ? undefined : { ...params };
  const result: Record<string, unknown> = {};
  for (const spec of specs) {
    const value = params?.[spec.name];
    if (value === undefined || value === null) {
      result[spec.name] = spec.default;
      continue;
    }
    const values = spec.shape === null ? [value] : Array.isArray(value) ? value : undefined;
    const ok =
      values !== undefined &&
      values.every((v) =>
        spec.type === 'double' || spec.type === 'float'
          ? typeof v === 'number'
          : spec.type === 'integer' || spec.type === 'long'
            ? Number.isInteger(v)
            : spec.type === 'boolean'
              ? typeof v === 'boolean'
              : typeof v === 'string',
      );
    if (!ok) {
      throw MlflowError.invalidParameter(
        `Failed to validate type and shape for '${spec.name}', error: Incompatible types for param '${spec.name}'. Can not safely convert ${jsTypeName(value)} to ${spec.type}${spec.shape === null ? '' : ` with shape ${formatShape(spec.shape)}`}.`,
      );
    }
    result[spec.name] = value;
  }
  return result;
}
