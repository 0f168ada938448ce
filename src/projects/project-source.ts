import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { MlflowError } from '../core/errors.ts';

const run = promisify(execFile);

/** Where a project's files are, and what MLflow records about where they came from. */
export interface ProjectSource {
  readonly dir: string;
  /** `mlflow.source.name`: the URI the user gave (a git URL, or the absolute directory). */
  readonly sourceName: string;
  readonly gitCommit?: string;
  readonly gitRepoUrl?: string;
  readonly gitBranch?: string;
  /** Removes a temporary clone. */
  cleanup(): Promise<void>;
}

const GIT_URL = /^(https?:\/\/|ssh:\/\/|git:\/\/|file:\/\/|git@[^:]+:)/;

async function git(cwd: string, args: string[]): Promise<string> {
  try {
    return (await run('git', args, { cwd })).stdout.trim();
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw MlflowError.invalidParameter(`git ${args[0]} failed: ${stderr || (error as Error).message}`);
  }
}

/**
 * A local directory, or a git URL (`https://…`, `git@…`, `file://…`) cloned into a temporary
 * directory and checked out at `version`; `url#sub/dir` runs the project in that subdirectory,
 * as MLflow's URIs do.
 */
export async function fetchProject(uri: string, version?: string): Promise<ProjectSource> {
  if (!GIT_URL.test(uri)) {
    const dir = resolve(uri);
    if (!existsSync(dir)) throw MlflowError.invalidParameter(`Project directory '${uri}' does not exist`);
    if (version !== undefined) {
      throw MlflowError.invalidParameter('--version applies to git projects; a local directory runs as it is');
    }
    const commit = await git(dir, ['rev-parse', 'HEAD']).catch(() => undefined);
    const remote = commit && (await git(dir, ['config', '--get', 'remote.origin.url']).catch(() => undefined));
    return {
      dir,
      sourceName: dir,
      ...(commit && { gitCommit: commit }),
      ...(remote && { gitRepoUrl: remote }),
      cleanup: async () => undefined,
    };
  }
  if (version !== undefined && (version.startsWith('-') || version === '')) {
    throw MlflowError.invalidParameter(`Invalid --version '${version}'`);
  }
  const [repo, subdir] = uri.split('#', 2) as [string, string | undefined];
  if (subdir !== undefined && (subdir.split('/').includes('..') || subdir.startsWith('/'))) {
    throw MlflowError.invalidParameter(`The project subdirectory '${subdir}' must stay inside the repository`);
  }
  const clone = mkdtempSync(join(tmpdir(), 'plumb-project-'));
  const { rm } = await import('node:fs/promises');
  const cleanup = () => rm(clone, { recursive: true, force: true });
  try {
    // '--' ends the options: a URL cannot be read as one (git's option-injection CVEs).
    await git(tmpdir(), ['clone', '--quiet', '--', repo, clone]);
    if (version !== undefined) await git(clone, ['checkout', '--quiet', version, '--']);
    const commit = await git(clone, ['rev-parse', 'HEAD']);
    const dir = subdir ? join(clone, subdir) : clone;
    if (!existsSync(dir)) throw MlflowError.invalidParameter(`The repository has no directory '${subdir}'`);
    return {
      dir,
      sourceName: uri,
      gitCommit: commit,
      gitRepoUrl: repo,
      ...(version !== undefined && { gitBranch: version }),
      cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
