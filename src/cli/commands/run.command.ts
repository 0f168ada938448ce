import type { Command } from 'commander';
import { MlflowApiError, PlumbClient } from '../../client/index.ts';
import { MlflowError } from '../../core/errors.ts';
import { ENV_MANAGERS, type EnvManager } from '../../projects/environments.ts';
import { readBackendConfig } from '../../projects/kubernetes.ts';
import { runOnKubernetes } from '../../projects/kubernetes-runner.ts';
import { fetchProject } from '../../projects/project-source.ts';
import { runProject } from '../../projects/project-runner.ts';

const HELP = `
Runs an MLflow project (a directory or git URL with an MLproject file) as \`mlflow run\` does: a run
is created on the tracking server named by MLFLOW_TRACKING_URI, with MLflow's project tags and the
parameters; the command gets MLFLOW_RUN_ID, MLFLOW_TRACKING_URI and MLFLOW_EXPERIMENT_ID, so any
MLflow client inside logs into that run; stdout/stderr are shown and stored as the run's artifacts
project_logs/stdout.txt and stderr.txt. The run ends FINISHED (exit 0), FAILED (other exit or a
signal) or KILLED (Ctrl-C). Parameter values are shell-quoted: they cannot inject shell syntax.

Exit codes: the project's exit code; 130 when interrupted; 2 invalid project, parameters or options.

Examples:
  plumb run ./examples/sklearn -P alpha=0.5 -P l1_ratio=0.1
  plumb run https://github.com/mlflow/mlflow-example.git --version master -e main -P alpha=0.4 --env-manager local
  plumb run ./project --backend kubernetes --backend-config kubernetes_config.json
`;

interface RunOptions {
  readonly entryPoint: string;
  readonly param: string[];
  readonly version?: string;
  readonly experimentName?: string;
  readonly experimentId?: string;
  readonly runName?: string;
  readonly envManager?: string;
  readonly backend: string;
  readonly backendConfig?: string;
}

function parseParams(pairs: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw MlflowError.invalidParameter(`-P takes key=value, got '${pair}'`);
    params[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return params;
}

export function register(program: Command): void {
  program
    .command('run')
    .description('Run an MLflow project from a directory or git URL and track it as a run')
    .argument('<uri>', 'project directory or git URL (url#subdirectory for a project inside a repository)')
    .option('-e, --entry-point <name>', 'entry point of the MLproject, or a .py/.sh file', 'main')
    .option(
      '-P, --param <key=value>',
      'a parameter (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option('-v, --version <ref>', 'git commit or branch to check out (git URLs only)')
    .option('--experiment-name <name>', 'experiment to run in (created when missing)')
    .option('--experiment-id <id>', 'experiment id to run in')
    .option('--run-name <name>', 'name of the run')
    .option('--env-manager <manager>', `${ENV_MANAGERS.join(', ')} (default: what the MLproject declares)`)
    .option('-b, --backend <backend>', 'local or kubernetes', 'local')
    .option(
      '-c, --backend-config <file>',
      'JSON backend configuration (kubernetes: kube-context, repository-uri, kube-job-template-path)',
    )
    .addHelpText('after', HELP)
    .action(async (uri: string, options: RunOptions) => {
      let source: Awaited<ReturnType<typeof fetchProject>> | undefined;
      try {
        const trackingUri = process.env.MLFLOW_TRACKING_URI;
        if (!trackingUri)
          throw MlflowError.invalidParameter('Set MLFLOW_TRACKING_URI to the Plumb server to run a project');
        if (options.envManager !== undefined && !(ENV_MANAGERS as readonly string[]).includes(options.envManager)) {
          throw MlflowError.invalidParameter(`--env-manager must be one of ${ENV_MANAGERS.join(', ')}`);
        }
        if (options.backend !== 'local' && options.backend !== 'kubernetes') {
          throw MlflowError.invalidParameter(`--backend must be local or kubernetes, got '${options.backend}'`);
        }
        const params = parseParams(options.param);
        source = await fetchProject(uri, options.version);
        const client = new PlumbClient({ trackingUri });
        const common = {
          source,
          entryPoint: options.entryPoint,
          params,
          client,
          trackingUri,
          ...(options.experimentId !== undefined && { experimentId: options.experimentId }),
          ...(options.experimentName !== undefined && { experimentName: options.experimentName }),
          ...(options.runName !== undefined && { runName: options.runName }),
        };
        if (options.backend === 'kubernetes') {
          if (!options.backendConfig)
            throw MlflowError.invalidParameter('--backend kubernetes needs --backend-config <file>');
          const result = await runOnKubernetes(common, readBackendConfig(options.backendConfig));
          console.error(
            `run ${result.runId}: job manifest written to ${result.manifestPath}` +
              (result.applied ? `, applied: ${result.kubectlOutput}` : ' (not applied: run it with kubectl apply -f)'),
          );
          return;
        }
        const controller = new AbortController();
        const interrupt = () => controller.abort();
        process.once('SIGINT', interrupt);
        process.once('SIGTERM', interrupt);
        try {
          const result = await runProject({
            ...common,
            ...(options.envManager !== undefined && { envManager: options.envManager as EnvManager }),
            stdout: process.stdout,
            stderr: process.stderr,
            signal: controller.signal,
          });
          console.error(`run ${result.runId} ${result.status} (experiment ${result.experimentId})`);
          process.exitCode = result.status === 'KILLED' ? 130 : (result.exitCode ?? 1);
        } finally {
          process.off('SIGINT', interrupt);
          process.off('SIGTERM', interrupt);
        }
      } catch (error) {
        console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = isUsageError(error) ? 2 : 1;
      } finally {
        await source?.cleanup();
      }
    });
}

/** A refusal of what the user asked (bad option, unknown model, invalid project): exit code 2. */
function isUsageError(error: unknown): boolean {
  if (error instanceof MlflowError) return error.httpStatus < 500;
  return error instanceof MlflowApiError && error.status < 500;
}
