import { createHash } from 'node:crypto';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { MlflowError } from '../core/errors.ts';
import type { ProjectEnvironment } from './mlproject.ts';

export const ENV_MANAGERS = ['local', 'conda', 'virtualenv', 'docker'] as const;
export type EnvManager = (typeof ENV_MANAGERS)[number];

/** Whether an executable of that name is on PATH (as `which` would find it). */
export function onPath(tool: string, path: string = process.env.PATH ?? ''): boolean {
  return path
    .split(delimiter)
    .filter((d) => d !== '')
    .some((dir) => {
      try {
        accessSync(join(dir, tool), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

/** MLflow's choice when no --env-manager is given: what the project declares, else run as-is. */
export function defaultEnvManager(environment: ProjectEnvironment): EnvManager {
  switch (environment.kind) {
    case 'docker':
      return 'docker';
    case 'python':
      return 'virtualenv';
    case 'conda':
      return 'conda';
    case 'none':
      return 'local';
    default: {
      const unreachable: never = environment;
      throw MlflowError.invalidParameter(`unknown environment ${JSON.stringify(unreachable)}`);
    }
  }
}

const TOOL: Record<Exclude<EnvManager, 'local'>, string> = {
  conda: 'conda',
  virtualenv: 'virtualenv',
  docker: 'docker',
};

/**
 * How to run a command line in the chosen environment: the program and arguments to spawn, plus
 * set-up steps to run before (creating a conda env or virtualenv). A manager whose tool is not on
 * PATH is refused with the way out.
 */
export interface EnvironmentPlan {
  readonly setup: readonly (readonly string[])[];
  readonly argv: readonly string[];
}

export function planEnvironment(options: {
  readonly manager: EnvManager;
  readonly environment: ProjectEnvironment;
  readonly projectDir: string;
  readonly command: string;
  /** MLFLOW_* variables the process gets; docker passes them into the container. */
  readonly env: Readonly<Record<string, string>>;
  readonly path?: string;
}): EnvironmentPlan {
  const { manager, environment, command } = options;
  if (manager === 'local') return { setup: [], argv: ['bash', '-c', command] };
  const tool = TOOL[manager];
  if (!onPath(tool, options.path)) {
    throw MlflowError.invalidParameter(
      `This project runs in a ${manager} environment, but '${tool}' is not on PATH. Install ${tool}, or run the ` +
        'project as-is in the current environment with --env-manager local.',
    );
  }
  switch (manager) {
    case 'docker': {
      if (environment.kind !== 'docker') {
        throw MlflowError.invalidParameter("--env-manager docker needs the project's MLproject to declare docker_env");
      }
      const args = [
        'docker',
        'run',
        '--rm',
        '-v',
        `${options.projectDir}:/mlflow/projects/code`,
        '-w',
        '/mlflow/projects/code',
      ];
      // A tracking server on this machine is reached through the host's network.
      if (/^https?:\/\/(localhost|127\.)/.test(options.env.MLFLOW_TRACKING_URI ?? '')) args.push('--network', 'host');
      for (const volume of environment.volumes) args.push('-v', volume);
      for (const [key, value] of Object.entries(options.env)) args.push('-e', `${key}=${value}`);
      for (const entry of environment.environment) {
        args.push('-e', typeof entry === 'string' ? entry : `${entry[0]}=${entry[1]}`);
      }
      return { setup: [], argv: [...args, environment.image, 'bash', '-c', command] };
    }
    case 'conda': {
      if (environment.kind !== 'conda') {
        throw MlflowError.invalidParameter("--env-manager conda needs the project's MLproject to declare conda_env");
      }
      const name = `mlflow-${createHash('sha1').update(readFileSync(environment.file)).digest('hex')}`;
      return {
        setup: [
          [
            'bash',
            '-c',
            `conda env list | grep -q '^${name} ' || conda env create -q -n ${name} -f '${environment.file}'`,
          ],
        ],
        argv: ['conda', 'run', '--no-capture-output', '-n', name, 'bash', '-c', command],
      };
    }
    case 'virtualenv': {
      if (environment.kind !== 'python') {
        throw MlflowError.invalidParameter(
          "--env-manager virtualenv needs the project's MLproject to declare python_env",
        );
      }
      const text = readFileSync(environment.file, 'utf8');
      const venv = join(options.projectDir, '.plumb-venv', createHash('sha1').update(text).digest('hex').slice(0, 16));
      const spec = (parseYaml(text) ?? {}) as { build_dependencies?: unknown; dependencies?: unknown };
      const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
      const packages = [...list(spec.build_dependencies), ...list(spec.dependencies)];
      return {
        setup: [
          ['virtualenv', '-q', venv],
          ...(packages.length > 0 ? [[join(venv, 'bin', 'pip'), 'install', '-q', ...packages]] : []),
        ],
        argv: ['bash', '-c', `source '${venv}/bin/activate' && ${command}`],
      };
    }
    default: {
      const unreachable: never = manager;
      throw MlflowError.invalidParameter(`unknown environment manager ${String(unreachable)}`);
    }
  }
}
