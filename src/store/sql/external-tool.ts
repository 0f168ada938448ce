import { execFile, spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { MlflowError } from '../../core/errors.ts';

const STDERR_TAIL = 2000;

/** The first of `names` that runs (`<name> --version` exits 0), or undefined when none is installed. */
export async function findTool(names: readonly string[]): Promise<string | undefined> {
  for (const name of names) {
    const runs = await new Promise<boolean>((resolve) => {
      execFile(name, ['--version'], { timeout: 10_000 }, (error) => resolve(!error));
    });
    if (runs) return name;
  }
  return undefined;
}

/**
 * Runs an engine's command-line tool to completion; `stdin` is a file fed to it. Secrets go in
 * `env` (PGPASSWORD, MYSQL_PWD), never in arguments, which any local user can read.
 * Rejects with INTERNAL_ERROR carrying the end of the tool's stderr when it exits non-zero.
 */
export async function runTool(
  command: string,
  args: readonly string[],
  options: { env?: Record<string, string>; stdin?: string } = {},
): Promise<void> {
  // The tool needs the whole environment (PATH, locale, libpq settings) plus its secrets.
  const child = spawn(command, args, {
    env: { ...process.env, ...options.env },
    stdio: [options.stdin ? 'pipe' : 'ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL);
  });
  if (options.stdin && child.stdin) {
    const input = createReadStream(options.stdin);
    input.on('error', (error) => child.stdin?.destroy(error));
    child.stdin.on('error', () => undefined); // the exit code tells what went wrong
    input.pipe(child.stdin);
  }
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exit) => resolve(exit));
  });
  if (code !== 0) {
    throw new MlflowError('INTERNAL_ERROR', `${command} failed (exit ${code}): ${stderr.trim() || 'no message'}`);
  }
}
