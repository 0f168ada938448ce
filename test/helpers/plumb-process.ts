/**
 * Runs the real `plumb` binary (bin/plumb.js) as a child process: the server for tests that kill
 * and restart it, and one-shot CLI commands (`db upgrade`, `db status`) for tests of their output
 * and exit codes. Every wait here is bounded; a child that outlives its test is killed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');
export const PLUMB_BIN = join(REPO_ROOT, 'bin', 'plumb.js');
/**
 * The V8 flags Plumb's own launchers give the server (package.json `start`, bin/plumb.js's
 * shebang): a server process is started here the way users start it, so the benchmark measures it.
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=4'] as const;

/** The environment for a child: ours without any MLFLOW_* / PLUMB_* setting, plus `extra`. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('MLFLOW_') && !key.startsWith('PLUMB_')) env[key] = value;
  }
  return { ...env, PLUMB_LOG_LEVEL: 'warn', ...extra };
}

/** A port that was free a moment ago on 127.0.0.1 (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface CommandResult extends Exit {
  readonly stdout: string;
  readonly stderr: string;
  /** True when the command was still running at the deadline and was killed. */
  readonly timedOut: boolean;
}

/** Runs `plumb <args>` to completion (killed with SIGKILL at `timeoutMs`). */
export async function runPlumb(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<CommandResult> {
  const child = spawn(process.execPath, [PLUMB_BIN, ...args], {
    cwd: options.cwd,
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = collect(child);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 30_000);
  try {
    const exit = await exitOf(child);
    return { ...exit, stdout: out.stdout(), stderr: out.stderr(), timedOut };
  } finally {
    clearTimeout(timer);
  }
}

export interface ServerProcess {
  readonly baseUrl: string;
  readonly port: number;
  readonly pid: number;
  /** Everything the process wrote so far (stdout, then stderr), for failure messages. */
  output(): string;
  /** Sends `signal` (SIGKILL by default) and resolves when the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<Exit>;
}

export interface ServerOptions {
  /** Absolute path of the SQLite file (or give `backendStoreUri`). */
  readonly dbPath?: string | undefined;
  /** Any backend store URI (PostgreSQL, MySQL); wins over `dbPath`. */
  readonly backendStoreUri?: string | undefined;
  /** More `plumb server` arguments, e.g. `--strict-config`. */
  readonly args?: readonly string[] | undefined;
  /** Working directory; artifacts go to `<dir>/mlartifacts`. */
  readonly dir: string;
  readonly port?: number | undefined;
  readonly env?: Record<string, string> | undefined;
  readonly readyTimeoutMs?: number | undefined;
}

/**
 * Starts `plumb server` on 127.0.0.1 and resolves once GET /health answers 200. Rejects (after
 * killing the child) when the process exits first or is not ready within `readyTimeoutMs`.
 */
export async function startServerProcess(options: ServerOptions): Promise<ServerProcess> {
  const port = options.port ?? (await freePort());
  const backendStoreUri = options.backendStoreUri ?? (options.dbPath ? `sqlite:///${options.dbPath}` : undefined);
  if (backendStoreUri === undefined) throw new Error('startServerProcess needs dbPath or backendStoreUri');
  const child = spawn(
    process.execPath,
    [
      ...SERVER_NODE_FLAGS,
      PLUMB_BIN,
      'server',
      '--backend-store-uri',
      backendStoreUri,
      '--artifacts-destination',
      join(options.dir, 'mlartifacts'),
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      ...(options.args ?? []),
    ],
    { cwd: options.dir, env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const out = collect(child);
  const exited = exitOf(child);
  let gone: Exit | undefined;
  void exited.then((exit) => {
    gone = exit;
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const server: ServerProcess = {
    baseUrl,
    port,
    pid: child.pid ?? -1,
    output: () => `${out.stdout()}${out.stderr()}`,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (gone) return gone;
      child.kill(signal);
      return withTimeout(exited, 10_000, `plumb server (pid ${child.pid}) did not exit after ${signal}`);
    },
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (gone) {
      throw new Error(`plumb server exited (${describeExit(gone)}) before it was ready:\n${server.output()}`);
    }
    try {
      const response = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return server;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  await server.kill();
  throw new Error(`plumb server was not ready within ${options.readyTimeoutMs ?? 30_000} ms:\n${server.output()}`);
}

export function describeExit(exit: Exit): string {
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves on 'close' (after the output is drained); call it right after spawn. */
function exitOf(child: ChildProcess): Promise<Exit> {
  return new Promise((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
}

function collect(child: ChildProcess): { stdout(): string; stderr(): string } {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  return {
    stdout: () => Buffer.concat(stdout).toString('utf8'),
    stderr: () => Buffer.concat(stderr).toString('utf8'),
  };
}
