import { join } from 'node:path';
import { MlflowError } from '../core/errors.ts';
import { shapeOf } from './enforce-schema.ts';
import type { FlavorPlugin, Loaded } from './flavor-plugin.ts';
import type { MlModel } from './mlmodel.ts';
import type { ModelInput } from './model-input.ts';

/**
 * The part of onnxruntime-node used here, typed structurally: the package is optional, so the
 * type check must not depend on it being installed.
 */
interface OrtTensor {
  readonly data: ArrayLike<unknown>;
  readonly dims: readonly number[];
}
interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly {
    name: string;
    isTensor: boolean;
    type?: unknown;
    shape?: readonly (number | string)[];
  }[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface Ort {
  readonly Tensor: new (type: string, data: unknown, dims: readonly number[]) => OrtTensor;
  readonly InferenceSession: { create(path: string): Promise<OrtSession> };
}

export const ONNX_INSTALL_HINT =
  'Serving an ONNX model needs the optional dependency onnxruntime-node: install it with ' +
  '`ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@1.30.0` (the CPU runtime ships in the package).';

/** onnxruntime-node is optional (288 MB): imported only when an ONNX model is served. */
async function importOrt(load: () => Promise<unknown>): Promise<Ort> {
  try {
    return (await load()) as Ort;
  } catch (error) {
    throw new MlflowError('NOT_IMPLEMENTED', `${ONNX_INSTALL_HINT} (${(error as Error).message})`);
  }
}

/** Flattens rectangular nested arrays row-major. */
function flatten(value: unknown): unknown[] {
  return Array.isArray(value) ? (value.flat(Number.POSITIVE_INFINITY) as unknown[]) : [value];
}

function toTensor(
  ort: Ort,
  value: unknown,
  type: string,
  declared: readonly (number | string)[] | undefined,
): OrtTensor {
  let shape = shapeOf(value);
  // A column of scalars feeding a [batch, 1] input: the frame's column becomes one feature per row.
  if (declared !== undefined && declared.length === shape.length + 1 && declared.at(-1) === 1) shape = [...shape, 1];
  const data = flatten(value);
  switch (type) {
    case 'float32':
      return new ort.Tensor('float32', Float32Array.from(data as number[]), shape);
    case 'float64':
      return new ort.Tensor('float64', Float64Array.from(data as number[]), shape);
    case 'int32':
      return new ort.Tensor('int32', Int32Array.from(data as number[]), shape);
    case 'int64':
      return new ort.Tensor('int64', BigInt64Array.from((data as number[]).map((n) => BigInt(Math.trunc(n)))), shape);
    case 'bool':
      return new ort.Tensor('bool', Uint8Array.from(data.map((b) => (b ? 1 : 0))), shape);
    case 'string':
      return new ort.Tensor('string', data.map(String), shape);
    default:
      throw MlflowError.invalidParameter(`The ONNX flavor cannot feed an input of type ${type}`);
  }
}

/** A tensor back to nested arrays of JSON numbers. */
function toNested(tensor: OrtTensor): unknown {
  const flat = Array.from(tensor.data as ArrayLike<unknown>, (v) => (typeof v === 'bigint' ? Number(v) : v));
  const dims = tensor.dims;
  const build = (offset: number, axis: number): unknown => {
    if (axis === dims.length) return flat[offset];
    const stride = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: dims[axis]! }, (_, i) => build(offset + i * stride, axis + 1));
  };
  return build(0, 0);
}

/**
 * The built-in `onnx` flavor (MLflow writes `flavors.onnx.data: model.onnx`). Inputs map as MLflow's
 * ONNX pyfunc maps them: one tensor (or a frame's rows) to a single-input graph, named tensors or
 * frame columns to the graph inputs of those names. Predictions are `{ output: nested arrays }`
 * for tensor input and one record per row for frame input.
 */
export function createOnnxFlavor(loadRuntime: () => Promise<unknown> = () => import('onnxruntime-node')): FlavorPlugin {
  return { flavor: 'onnx', load: (dir, mlmodel) => loadOnnx(dir, mlmodel, loadRuntime) };
}

export const onnxFlavor = createOnnxFlavor();

async function loadOnnx(modelDir: string, mlmodel: MlModel, loadRuntime: () => Promise<unknown>): Promise<Loaded> {
  const ort = await importOrt(loadRuntime);
  const file = mlmodel.flavors.onnx?.data;
  if (typeof file !== 'string')
    throw MlflowError.invalidParameter("MLmodel: flavor 'onnx' needs 'data' (the .onnx file)");
  const session = await ort.InferenceSession.create(join(modelDir, file));
  const metadata = new Map(
    session.inputMetadata.map((m) => [m.name, m.isTensor ? { type: m.type as string, shape: m.shape } : undefined]),
  );
  const feedOf = (input: ModelInput): Record<string, OrtTensor> => {
    const inputOf = (name: string, value: unknown) => {
      const meta = metadata.get(name);
      if (meta === undefined) throw MlflowError.invalidParameter(`The ONNX model has no tensor input '${name}'`);
      return toTensor(ort, value, meta.type, meta.shape);
    };
    const single = session.inputNames.length === 1 ? session.inputNames[0]! : undefined;
    if (input.kind === 'tensor' || (input.kind === 'dataframe' && single !== undefined)) {
      if (single === undefined) {
        throw MlflowError.invalidParameter(
          `The ONNX model has inputs ${session.inputNames.join(', ')}: send named inputs, not one tensor`,
        );
      }
      return { [single]: inputOf(single, input.kind === 'tensor' ? input.value : input.rows) };
    }
    const named =
      input.kind === 'tensors'
        ? input.value
        : Object.fromEntries(input.columns.map((c, i) => [c, input.rows.map((r) => r[i])]));
    return Object.fromEntries(session.inputNames.map((n) => [n, inputOf(n, named[n])]));
  };
  return {
    async predict(input: ModelInput) {
      let outputs: Record<string, OrtTensor>;
      try {
        outputs = await session.run(feedOf(input));
      } catch (error) {
        if (error instanceof MlflowError) throw error;
        throw MlflowError.invalidParameter(`ONNX Runtime refused the input: ${(error as Error).message}`);
      }
      const nested = Object.fromEntries(session.outputNames.map((n) => [n, toNested(outputs[n]!)]));
      if (input.kind !== 'dataframe') return nested;
      const rows = (nested[session.outputNames[0]!] as unknown[]).length;
      return Array.from({ length: rows }, (_, i) =>
        Object.fromEntries(session.outputNames.map((n) => [n, (nested[n] as unknown[])[i]])),
      );
    },
    close: () => session.release(),
  };
}
