import { parse as parseYaml } from 'yaml';
import { MlflowError } from '../core/errors.ts';
import { type ParamSpec, parseParamsSchema, parseSchema, type Schema } from './model-schema.ts';

/**
 * The `MLmodel` file at the root of every MLflow model directory (`mlflow/models/model.py`): which
 * flavors can load the model, its signature, input example, requirement files and provenance.
 * Unknown top-level keys are kept in `extra` (MLflow adds keys between versions).
 */
export interface MlModel {
  readonly flavors: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly signature?: {
    readonly inputs?: Schema;
    readonly outputs?: Schema;
    readonly params?: readonly ParamSpec[];
  };
  readonly inputExample?: {
    readonly artifactPath: string;
    readonly type?: string;
    readonly pandasOrient?: string;
    readonly servingInputPath?: string;
  };
  readonly modelUuid?: string;
  readonly modelId?: string;
  readonly runId?: string;
  readonly artifactPath?: string;
  readonly utcTimeCreated?: string;
  readonly mlflowVersion?: string;
  readonly modelSizeBytes?: number;
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** The environment files the python_function flavor names (`conda.yaml`, `python_env.yaml`). */
  readonly environments: Readonly<Record<string, string>>;
  readonly extra: Readonly<Record<string, unknown>>;
}

const KNOWN = new Set([
  'flavors',
  'signature',
  'saved_input_example_info',
  'model_uuid',
  'model_id',
  'run_id',
  'artifact_path',
  'utc_time_created',
  'mlflow_version',
  'model_size_bytes',
  'metadata',
]);

/** The requirement files MLflow writes beside MLmodel; inspect lists those present. */
export const REQUIREMENT_FILES = ['requirements.txt', 'conda.yaml', 'python_env.yaml'] as const;

const bad = (why: string) => MlflowError.invalidParameter(`MLmodel: ${why}`);

function optionalString(doc: Record<string, unknown>, key: string): string | undefined {
  const value = doc[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw bad(`'${key}' must be a string, got ${JSON.stringify(value)}`);
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses and validates an MLmodel file's text; every problem is an INVALID_PARAMETER_VALUE naming the field. */
export function parseMlModel(text: string): MlModel {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw bad(`not valid YAML (${(error as Error).message.split('\n')[0]})`);
  }
  if (!isRecord(doc)) throw bad('the file must be a YAML mapping');
  const flavors = doc.flavors;
  if (flavors === undefined || flavors === null) throw bad("'flavors' is missing");
  if (!isRecord(flavors)) throw bad("'flavors' must be a mapping of flavor name to its settings");
  for (const [name, settings] of Object.entries(flavors)) {
    if (!isRecord(settings)) throw bad(`flavor '${name}' must be a mapping`);
  }
  const utcTimeCreated = optionalString(doc, 'utc_time_created');
  if (utcTimeCreated !== undefined && Number.isNaN(Date.parse(`${utcTimeCreated.replace(' ', 'T')}Z`))) {
    throw bad(`'utc_time_created' is not a time: '${utcTimeCreated}'`);
  }
  const size = doc.model_size_bytes;
  if (size !== undefined && size !== null && !(Number.isInteger(size) && (size as number) >= 0)) {
    throw bad("'model_size_bytes' must be a non-negative integer");
  }
  if (doc.metadata !== undefined && doc.metadata !== null && !isRecord(doc.metadata)) {
    throw bad("'metadata' must be a mapping");
  }
  const pyfunc = (flavors as Record<string, Record<string, unknown>>).python_function;
  const env = pyfunc?.env;
  const environments: Record<string, string> = {};
  if (typeof env === 'string') environments.conda = env;
  else if (isRecord(env)) for (const [k, v] of Object.entries(env)) if (typeof v === 'string') environments[k] = v;
  const extra = Object.fromEntries(Object.entries(doc).filter(([k]) => !KNOWN.has(k)));
  const modelUuid = optionalString(doc, 'model_uuid');
  const modelId = optionalString(doc, 'model_id');
  const runId = optionalString(doc, 'run_id');
  const artifactPath = optionalString(doc, 'artifact_path');
  const mlflowVersion = optionalString(doc, 'mlflow_version');
  const signature = parseSignature(doc.signature);
  const inputExample = parseInputExample(doc.saved_input_example_info);
  return {
    flavors: flavors as MlModel['flavors'],
    environments,
    extra,
    ...(signature && { signature }),
    ...(inputExample && { inputExample }),
    ...(modelUuid !== undefined && { modelUuid }),
    ...(modelId !== undefined && { modelId }),
    ...(runId !== undefined && { runId }),
    ...(artifactPath !== undefined && { artifactPath }),
    ...(utcTimeCreated !== undefined && { utcTimeCreated }),
    ...(mlflowVersion !== undefined && { mlflowVersion }),
    ...(typeof size === 'number' && { modelSizeBytes: size }),
    ...(isRecord(doc.metadata) && { metadata: doc.metadata }),
  };
}

function parseSignature(value: unknown): MlModel['signature'] {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw bad("'signature' must be a mapping with inputs, outputs and params");
  const present = (v: unknown) => v !== undefined && v !== null;
  return {
    ...(present(value.inputs) && { inputs: parseSchema(value.inputs, 'signature.inputs') }),
    ...(present(value.outputs) && { outputs: parseSchema(value.outputs, 'signature.outputs') }),
    ...(present(value.params) && { params: parseParamsSchema(value.params, 'signature.params') }),
  };
}

function parseInputExample(value: unknown): MlModel['inputExample'] {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value) || typeof value.artifact_path !== 'string') {
    throw bad("'saved_input_example_info' needs an 'artifact_path'");
  }
  const text = (k: string) => (typeof value[k] === 'string' ? (value[k] as string) : undefined);
  const type = text('type');
  const pandasOrient = text('pandas_orient');
  const servingInputPath = text('serving_input_path');
  return {
    artifactPath: value.artifact_path,
    ...(type !== undefined && { type }),
    ...(pandasOrient !== undefined && { pandasOrient }),
    ...(servingInputPath !== undefined && { servingInputPath }),
  };
}
