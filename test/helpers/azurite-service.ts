/**
 * A real Azure Blob endpoint for tests: Azurite from node_modules, started once per test process
 * and shared by every test file, each of which works in a fresh container. Azurite runs under a
 * small watchdog process that kills it when this process goes away, however it goes (a SIGKILLed
 * test run must not leave a server behind). A server that cannot start fails the tests with its
 * log; nothing is skipped.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';

/** Azurite's built-in development account (public, documented by Microsoft). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const AZURITE_MAIN = join(import.meta.dirname, '..', '..', 'node_modules', 'azurite', 'dist', 'src', 'blob', 'main.js');
const START_TIMEOUT_MS = 30_000;

export interface TestAzurite {
  readonly connectionString: string;
  /** `http://127.0.0.1:<port>/devstoreaccount1` */
  readonly blobEndpoint: string;
}

/**
 * Runs Azurite (argv[1]) with the remaining arguments; kills it and removes `workDir` (argv[2])
 * when told to stop or when its parent, the test process, is gone (re-parented).
 */
const WATCHDOG = `
const { spawn } = require('node:child_process');
const { rmSync } = require('node:fs');
const [main, workDir, ...args] = process.argv.slice(1);
const parent = process.ppid;
const azurite = spawn(process.execPath, [main, ...args], { stdio: 'inherit' });
let orphaned = false;
const stop = () => azurite.kill('SIGKILL');
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setInterval(() => { if (process.ppid !== parent) { orphaned = true; stop(); } }, 500);
azurite.on('exit', (code) => {
  if (orphaned) rmSync(workDir, { recursive: true, force: true });
  process.exit(code ?? 0);
});
`;

let started: Promise<TestAzurite> | undefined;

/** The shared Azurite of this process, started on first use. Rejects with Azurite's log if it cannot start. */
export function ensureTestAzurite(): Promise<TestAzurite> {
  started ??= startAzurite();
  return started;
}

function connectionStringFor(blobEndpoint: string): string {
  return `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${blobEndpoint};`;
}

function exitedEarly(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(`exited (${signal ?? code})`)));
}

async function startAzurite(): Promise<TestAzurite> {
  const workDir = mkdtempSync(join(tmpdir(), 'plumb-azurite-'));
  const location = join(workDir, 'data');
  mkdirSync(location);
  const logFile = join(workDir, 'azurite.log');
  const log = openSync(logFile, 'w');
  const readLog = (): string => readFileSync(logFile, 'utf8');
  // Port 0: Azurite takes a free port and prints it, so two test runs never race for one.
  const args = [
    ...['--blobHost', '127.0.0.1', '--blobPort', '0', '--location', location],
    ...['--silent', '--disableTelemetry', '--skipApiVersionCheck', '--loose'],
  ];
  const child = spawn(process.execPath, ['-e', WATCHDOG, AZURITE_MAIN, workDir, ...args], {
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  // The test process must be able to exit while Azurite runs; 'exit' then stops it.
  child.unref();
  process.once('exit', () => {
    child.kill('SIGTERM');
    rmSync(workDir, { recursive: true, force: true });
  });
  const failure = (why: string): Error => new Error(`Azurite did not start: ${why}\n--- azurite log ---\n${readLog()}`);
  const exit = exitedEarly(child);
  let early: string | undefined;
  void exit.then((why) => (early = why));
  const deadline = Date.now() + START_TIMEOUT_MS;
  let blobUrl: string | undefined;
  while (blobUrl === undefined) {
    if (early !== undefined) throw failure(early);
    if (Date.now() > deadline) throw failure(`no listening address within ${START_TIMEOUT_MS} ms`);
    blobUrl = /successfully listens on (http:\/\/\S+)/.exec(readLog())?.[1];
    if (blobUrl === undefined) await sleep(50);
  }
  const blobEndpoint = `${blobUrl.replace(/\/$/, '')}/${AZURITE_ACCOUNT}`;
  await waitUntilAnswering(blobEndpoint, deadline, () => early).catch((error: Error) => {
    throw failure(error.message);
  });
  return { connectionString: connectionStringFor(blobEndpoint), blobEndpoint };
}

/** Any HTTP answer will do (an unsigned request gets 403): the server is taking requests. */
async function waitUntilAnswering(url: string, deadline: number, exited: () => string | undefined): Promise<void> {
  let last = '';
  while (Date.now() < deadline) {
    const gone = exited();
    if (gone !== undefined) throw new Error(gone);
    try {
      await fetch(`${url}?comp=list`, { signal: AbortSignal.timeout(2000) });
      return;
    } catch (error) {
      last = (error as Error).message;
      await sleep(100);
    }
  }
  throw new Error(`it never answered HTTP at ${url}: ${last}`);
}

export interface TestContainer {
  readonly name: string;
  readonly client: ContainerClient;
  readonly azurite: TestAzurite;
  /** Deletes the container and everything in it. */
  drop(): Promise<void>;
}

/** A new, empty container with a random name: one per test file keeps files independent. */
export async function createTestContainer(): Promise<TestContainer> {
  const azurite = await ensureTestAzurite();
  const name = `plumb-test-${randomBytes(8).toString('hex')}`;
  const client = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(name);
  await client.create();
  return { name, client, azurite, drop: async () => void (await client.deleteIfExists()) };
}
