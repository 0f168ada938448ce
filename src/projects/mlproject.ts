import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { MlflowError } from '../core/errors.ts';
import { formatCommand, shellQuote } from './command-template.ts';

/** MLflow's project parameter types (mlflow/projects/_project_spec.py). */
export const PARAMETER_TYPES = ['string', 'float', 'int', 'path', 'uri'] as const;
export type ParameterType = (typeof PARAMETER_TYPES)[number];

export interface ParameterSpec {
  readonly name: string;
  readonly type: ParameterType;
  readonly default?: string;
}

export interface EntryPoint {
  readonly name: string;
  readonly parameters: readonly ParameterSpec[];
  readonly command: string;
}

/** The environment an MLproject declares: at most one of these. */
export type ProjectEnvironment =
  | { readonly kind: 'none' }
  | { readonly kind: 'conda'; readonly file: string }
  | { readonly kind: 'python'; readonly file: string }
  | {
      readonly kind: 'docker';
      readonly image: string;
      readonly volumes: readonly string[];
      readonly environment: readonly (string | readonly [string, string])[];
    };

export interface Project {
  readonly name: string;
  readonly dir: string;
  readonly entryPoints: Readonly<Record<string, EntryPoint>>;
  readonly environment: ProjectEnvironment;
}

const bad = (why: string) => MlflowError.invalidParameter(`MLproject: ${why}`);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads `<dir>/MLproject` (or `mlproject`); a directory without one is a project of its scripts only. */
export function loadProject(dir: string): Project {
  const file = ['MLproject', 'mlproject'].map((f) => join(dir, f)).find((f) => existsSync(f));
  if (file === undefined)
    return { name: dir.split('/').at(-1) ?? 'project', dir, entryPoints: {}, environment: { kind: 'none' } };
  return parseProject(readFileSync(file, 'utf8'), dir);
}

export function parseProject(text: string, dir: string): Project {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw bad(`not valid YAML (${(error as Error).message.split('\n')[0]})`);
  }
  if (!isRecord(doc)) throw bad('the file must be a YAML mapping');
  const declared = ['conda_env', 'python_env', 'docker_env'].filter((k) => doc[k] !== undefined && doc[k] !== null);
  if (declared.length > 1) throw bad(`declares ${declared.join(' and ')}: a project has at most one environment`);
  const entryPoints: Record<string, EntryPoint> = {};
  const raw = doc.entry_points ?? {};
  if (!isRecord(raw)) throw bad("'entry_points' must be a mapping of entry point names");
  for (const [name, spec] of Object.entries(raw)) entryPoints[name] = parseEntryPoint(name, spec);
  return {
    name: typeof doc.name === 'string' ? doc.name : (dir.split('/').at(-1) ?? 'project'),
    dir,
    entryPoints,
    environment: parseEnvironment(doc, dir),
  };
}

function parseEntryPoint(name: string, spec: unknown): EntryPoint {
  if (!isRecord(spec) || typeof spec.command !== 'string' || spec.command.trim() === '') {
    throw bad(`entry point '${name}' needs a 'command'`);
  }
  const parameters: ParameterSpec[] = [];
  const raw = spec.parameters ?? {};
  if (!isRecord(raw)) throw bad(`entry point '${name}': 'parameters' must be a mapping`);
  for (const [param, value] of Object.entries(raw)) {
    // `alpha: float` is shorthand for `alpha: {type: float}`.
    const settings = typeof value === 'string' ? { type: value } : value;
    if (!isRecord(settings)) throw bad(`parameter '${param}' of entry point '${name}' must be a type or a mapping`);
    const type = settings.type ?? 'string';
    if (typeof type !== 'string' || !(PARAMETER_TYPES as readonly string[]).includes(type)) {
      throw bad(
        `parameter '${param}' of entry point '${name}' has unknown type ${JSON.stringify(type)} (${PARAMETER_TYPES.join(', ')})`,
      );
    }
    const fallback = settings.default;
    if (fallback !== undefined && fallback !== null && typeof fallback === 'object') {
      throw bad(`parameter '${param}' of entry point '${name}': the default must be a single value`);
    }
    parameters.push({
      name: param,
      type: type as ParameterType,
      ...(fallback !== undefined && fallback !== null && { default: String(fallback) }),
    });
  }
  return { name, parameters, command: spec.command };
}

function parseEnvironment(doc: Record<string, unknown>, dir: string): ProjectEnvironment {
  const file = (key: string) => {
    const value = doc[key];
    if (typeof value !== 'string') throw bad(`'${key}' must be the path of an environment file`);
    const path = resolve(dir, value);
    if (!existsSync(path)) throw bad(`'${key}' names ${value}, which does not exist in the project`);
    return path;
  };
  if (doc.conda_env != null) return { kind: 'conda', file: file('conda_env') };
  if (doc.python_env != null) return { kind: 'python', file: file('python_env') };
  if (doc.docker_env != null) {
    const docker = doc.docker_env;
    if (!isRecord(docker) || typeof docker.image !== 'string') throw bad("'docker_env' needs an 'image'");
    const volumes = Array.isArray(docker.volumes) ? docker.volumes.map(String) : [];
    const environment = (Array.isArray(docker.environment) ? docker.environment : []).map((e) =>
      Array.isArray(e) ? ([String(e[0]), String(e[1])] as const) : String(e),
    );
    return { kind: 'docker', image: docker.image, volumes, environment };
  }
  return { kind: 'none' };
}

/**
 * The entry point to run: a declared one, or (as MLflow allows) a `.py` or `.sh` file of the project
 * run with `python`/`bash`, its parameters passed as `--key value`.
 */
export function entryPointOf(project: Project, name: string): EntryPoint {
  const declared = project.entryPoints[name];
  if (declared) return declared;
  if ((name.endsWith('.py') || name.endsWith('.sh')) && existsSync(join(project.dir, name))) {
    return { name, parameters: [], command: `${name.endsWith('.py') ? 'python' : 'bash'} ${shellQuote(name)}` };
  }
  const known = Object.keys(project.entryPoints);
  throw MlflowError.invalidParameter(
    `Could not find ${name} among entry points ${JSON.stringify(known)} or interpret ${name} as a runnable script. Supported script file extensions: ['.py', '.sh']`,
  );
}

const URI = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/** A parameter value checked against its type; `path` values become absolute. */
function typedValue(spec: ParameterSpec, value: string, cwd: string): string {
  switch (spec.type) {
    case 'string':
      return value;
    case 'float':
      if (value.trim() === '' || !Number.isFinite(Number(value))) {
        throw MlflowError.invalidParameter(`Parameter '${spec.name}' must be a float, got '${value}'`);
      }
      return value;
    case 'int':
      if (!/^[+-]?\d+$/.test(value.trim())) {
        throw MlflowError.invalidParameter(`Parameter '${spec.name}' must be an int, got '${value}'`);
      }
      return value;
    case 'path':
      if (URI.test(value) && !value.startsWith('file:')) {
        throw MlflowError.invalidParameter(
          `Parameter '${spec.name}' is a path: '${value}' is a URI (download it first, or declare the parameter as type uri)`,
        );
      }
      return isAbsolute(value) ? value : resolve(cwd, value.replace(/^file:\/\//, ''));
    case 'uri':
      if (!URI.test(value) && !isAbsolute(value)) {
        throw MlflowError.invalidParameter(`Expected URI for parameter ${spec.name} but got ${value}`);
      }
      return value;
    default: {
      const unreachable: never = spec.type;
      throw MlflowError.invalidParameter(`unknown parameter type ${String(unreachable)}`);
    }
  }
}

export interface ResolvedCommand {
  /** The shell command line, every substituted value quoted for the shell. */
  readonly command: string;
  /** Every parameter used, as logged to the run. */
  readonly params: Readonly<Record<string, string>>;
}

/**
 * Fills the entry point's template: declared parameters from the user or their defaults, typed and
 * shell-quoted (a value can never become shell syntax); undeclared ones appended as `--key value`.
 * `cwd` is where relative `path` values given by the user point.
 */
export function resolveCommand(
  entryPoint: EntryPoint,
  given: Readonly<Record<string, string>>,
  cwd: string,
): ResolvedCommand {
  const missing = entryPoint.parameters.filter((p) => given[p.name] === undefined && p.default === undefined);
  if (missing.length > 0) {
    throw MlflowError.invalidParameter(
      `No value given for missing parameters: ${missing.map((p) => `'${p.name}'`).join(', ')}`,
    );
  }
  const params: Record<string, string> = {};
  const quoted: Record<string, string> = {};
  for (const spec of entryPoint.parameters) {
    const raw = given[spec.name] ?? spec.default!;
    const value = typedValue(spec, raw, cwd);
    params[spec.name] = value;
    quoted[spec.name] = shellQuote(value);
  }
  const extras = Object.entries(given).filter(([k]) => !(k in params));
  for (const [key, value] of extras) {
    if (!/^[A-Za-z0-9_.-]+$/.test(key)) throw MlflowError.invalidParameter(`Invalid parameter name '${key}'`);
    params[key] = value;
  }
  const tail = extras.map(([k, v]) => ` --${k} ${shellQuote(v)}`).join('');
  return { command: formatCommand(entryPoint.command, quoted) + tail, params };
}
