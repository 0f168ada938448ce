import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlumbClient, RunStatus } from '../client/index.ts';
import { MlflowError } from '../core/errors.ts';
import { defaultEnvManager, type EnvManager, planEnvironment } from './environments.ts';
import { entryPointOf, loadProject, type Project, resolveCommand } from './mlproject.ts';
import type { ProjectSource } from './project-source.ts';

export interface ProjectRunOptions {
  readonly source: ProjectSource;
  readonly entryPoint: string;
  readonly params: Readonly<Record<string, string>>;
  readonly client: PlumbClient;
  readonly trackingUri: string;
  readonly experimentId?: string;
  readonly experimentName?: string;
  readonly runName?: string;
  readonly envManager?: EnvManager;
  /** Where the process's output also goes (the terminal, for the CLI). */
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: NodeJS.WritableStream;
  /** Aborting stops the process (SIGTERM to its process group) and ends the run KILLED. */
  readonly signal?: AbortSignal;
  /** PATH used to look for conda/virtualenv/docker (process.env.PATH by default). */
  readonly path?: string;
  readonly user?: string;
  /** How often the output so far is uploaded while the process runs (default 15 s). */
  readonly logUploadIntervalMs?: number;
}

export interface ProjectRunResult {
  readonly runId: string;
  readonly experimentId: string;
  readonly status: RunStatus;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly command: string;
}

/** MLflow's standard tags for a project run (mlflow/utils/mlflow_tags.py). */
export function projectTags(
  project: Project,
  source: ProjectSource,
  entryPoint: string,
  envManager: EnvManager | 'kubernetes',
  backend: 'local' | 'kubernetes',
  user: string,
): Record<string, string> {
  return {
    'mlflow.source.name': source.sourceName,
    'mlflow.source.type': 'PROJECT',
    'mlflow.project.entryPoint': entryPoint,
    'mlflow.project.backend': backend,
    'mlflow.project.env': envManager,
    'mlflow.user': user,
    ...(source.gitCommit && { 'mlflow.source.git.commit': source.gitCommit, 'mlflow.gitRepoCommit': source.gitCommit }),
    ...(source.gitRepoUrl && {
      'mlflow.source.git.repoURL': source.gitRepoUrl,
      'mlflow.gitRepoURL': source.gitRepoUrl,
    }),
    ...(source.gitBranch && { 'mlflow.source.git.branch': source.gitBranch, 'mlflow.gitBranchName': source.gitBranch }),
    ...(project.name && { 'mlflow.project.name': project.name }),
  };
}

/** Creates the run on the tracking server (tags, params) and returns it with the command to run. */
export async function createProjectRun(
  options: Omit<ProjectRunOptions, 'stdout' | 'stderr' | 'signal'>,
  backend: 'local' | 'kubernetes',
) {
  const project = loadProject(options.source.dir);
  const entryPoint = entryPointOf(project, options.entryPoint);
  const resolved = resolveCommand(entryPoint, options.params, process.cwd());
  const envManager =
    backend === 'kubernetes' ? 'kubernetes' : (options.envManager ?? defaultEnvManager(project.environment));
  const user = options.user ?? userInfo().username;
  const tags = projectTags(project, options.source, entryPoint.name, envManager, backend, user);
  const run = await options.client.startRun({
    ...(options.experimentId !== undefined && { experimentId: options.experimentId }),
    ...(options.experimentName !== undefined && { experimentName: options.experimentName }),
    ...(options.runName !== undefined && { runName: options.runName }),
    tags,
  });
  await options.client.logParams(run.id, resolved.params);
  return { project, run, resolved, envManager };
}

/**
 * `plumb run` on the local backend: a run with MLflow's project tags and the parameters, the
 * command in the chosen environment with MLFLOW_RUN_ID / MLFLOW_TRACKING_URI / MLFLOW_EXPERIMENT_ID
 * set (so any MLflow client in it logs into this run), its output streamed through and stored as
 * the artifacts `project_logs/stdout.txt` and `project_logs/stderr.txt` (every
 * logUploadIntervalMs while it runs, and once more at the end), and the final status from
 * how it ended: FINISHED on exit 0, FAILED on another code or a signal, KILLED when aborted.
 */
export async function runProject(options: ProjectRunOptions): Promise<ProjectRunResult> {
  const { project, run, resolved, envManager } = await createProjectRun(options, 'local');
  const env = {
    MLFLOW_RUN_ID: run.id,
    MLFLOW_TRACKING_URI: options.trackingUri,
    MLFLOW_EXPERIMENT_ID: run.info.experiment_id,
  };
  let plan: ReturnType<typeof planEnvironment>;
  try {
    plan = planEnvironment({
      manager: envManager as EnvManager,
      environment: project.environment,
      projectDir: project.dir,
      command: resolved.command,
      env,
      ...(options.path !== undefined && { path: options.path }),
    });
  } catch (error) {
    await options.client.endRun(run.id, 'FAILED');
    throw error;
  }
  const logs = mkdtempSync(join(tmpdir(), 'plumb-run-logs-'));
  for (const name of ['stdout.txt', 'stderr.txt']) writeFileSync(join(logs, name), '');
  // Uploaded as snapshots (bytes read now), so a file still growing never mismatches its length.
  const uploadLogs = async () => {
    for (const name of ['stdout.txt', 'stderr.txt']) {
      await options.client.logArtifact(run.id, readFileSync(join(logs, name)), `project_logs/${name}`);
    }
  };
  let uploading: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    // A failed interim upload is not fatal: the final one after the process ends is awaited and checked.
    uploading = uploading.then(uploadLogs).catch(() => undefined);
  }, options.logUploadIntervalMs ?? 15_000);
  try {
    let outcome: { code: number | null; signal: NodeJS.Signals | null; aborted: boolean } = {
      code: 0,
      signal: null,
      aborted: false,
    };
    for (const step of [...plan.setup, plan.argv]) {
      outcome = await spawnLogged(step, project.dir, env, logs, options);
      if (outcome.code !== 0 || outcome.aborted) break;
    }
    const status: RunStatus = outcome.aborted ? 'KILLED' : outcome.code === 0 ? 'FINISHED' : 'FAILED';
    clearInterval(timer);
    await uploading;
    await uploadLogs();
    await options.client.endRun(run.id, status);
    return {
      runId: run.id,
      experimentId: run.info.experiment_id,
      status,
      exitCode: outcome.code,
      signal: outcome.signal,
      command: resolved.command,
    };
  } catch (error) {
    await options.client.endRun(run.id, 'FAILED').catch(() => undefined);
    throw error;
  } finally {
    clearInterval(timer);
    await uploading;
    rmSync(logs, { recursive: true, force: true });
  }
}

/** Runs one process in its own process group, teeing its output into the log files. */
function spawnLogged(
  argv: readonly string[],
  cwd: string,
  env: Readonly<Record<string, string>>,
  logs: string,
  options: ProjectRunOptions,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; aborted: boolean }> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      resolve({ code: null, signal: null, aborted: true });
      return;
    }
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const out = createWriteStream(join(logs, 'stdout.txt'), { flags: 'a' });
    const err = createWriteStream(join(logs, 'stderr.txt'), { flags: 'a' });
    child.stdout.on('data', (chunk: Buffer) => {
      out.write(chunk);
      options.stdout?.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err.write(chunk);
      options.stderr?.write(chunk);
    });
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      try {
        // The whole group: the shell and everything it started.
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => {
      options.signal?.removeEventListener('abort', onAbort);
      reject(MlflowError.invalidParameter(`Could not start '${argv[0]}': ${error.message}`));
    });
    child.on('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      let pending = 2;
      const done = () => {
        if (--pending === 0) resolve({ code, signal, aborted });
      };
      out.end(done);
      err.end(done);
    });
  });
}
