/**
 * The browser tests' world: Debian's Chromium (installed by scripts/ensure-chromium.sh when
 * missing, never downloaded by a test tool), the UI built when its sources are newer than
 * dist/ui, a real `plumb server` process on a temp SQLite store, and playwright-core driving it.
 * Screenshots go to test-output/ui/ (gitignored).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { REPO_ROOT, type ServerProcess, startServerProcess } from './plumb-process.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const UI_DIR = join(REPO_ROOT, 'dist', 'ui');
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-output', 'ui');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** /usr/bin/chromium, installed through the project's script (apt-get) when it is missing. */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const result = spawnSync('sh', [join(REPO_ROOT, 'scripts', 'ensure-chromium.sh')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    timeout: 15 * 60_000,
  });
  if (result.status !== 0 || !existsSync(CHROMIUM)) {
    throw new Error(`scripts/ensure-chromium.sh could not install ${CHROMIUM} (exit ${result.status})`);
  }
  return CHROMIUM;
}

function newestMtime(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Builds the UI (vite) when dist/ui is missing or older than any file under ui/ that goes into it. */
export function ensureUiBuilt(): void {
  const index = join(UI_DIR, 'index.html');
  const sources = ['src', 'public', 'index.html', 'vite.config.ts'].map((p) => join(REPO_ROOT, 'ui', p));
  const newestSource = Math.max(...sources.filter((p) => existsSync(p)).map(newestMtime));
  if (existsSync(index) && statSync(index).mtimeMs >= newestSource) return;
  const result = spawnSync(
    process.execPath,
    [
      join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      'ui/vite.config.ts',
      '--logLevel',
      'warn',
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 5 * 60_000 },
  );
  if (result.status !== 0)
    throw new Error(`vite build failed (exit ${result.status}):\n${result.stdout}${result.stderr}`);
}

export interface UiServer {
  readonly server: ServerProcess;
  readonly dir: string;
  readonly dbPath: string;
  close(): Promise<void>;
}

/** A `plumb server` process serving the built UI, on a fresh SQLite store in a temp dir. */
export async function startUiServer(options: { env?: Record<string, string> } = {}): Promise<UiServer> {
  ensureUiBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'plumb-ui-e2e-'));
  const dbPath = join(dir, 'mlruns.db');
  try {
    const server = await startServerProcess({ dbPath, dir, env: { PLUMB_UI_DIR: UI_DIR, ...options.env } });
    return {
      server,
      dir,
      dbPath,
      async close() {
        await server.kill('SIGTERM');
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

export interface Browser {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors and uncaught page errors so far (a CSP violation shows up here). */
  readonly errors: string[];
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** Chromium with a fresh profile, at 1280×800 (the size the UI is made to be readable at). */
export async function launchBrowser(
  options: { colorScheme?: 'light' | 'dark'; timeoutMs?: number } = {},
): Promise<Browser> {
  const executablePath = ensureChromium();
  const profile = mkdtempSync(join(tmpdir(), 'plumb-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
    colorScheme: options.colorScheme ?? 'light',
    timeout: 60_000,
  });
  context.setDefaultTimeout(options.timeoutMs ?? 15_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return {
    context,
    page,
    errors,
    async screenshot(name: string) {
      const path = join(SCREENSHOT_DIR, `${name}.png`);
      await page.screenshot({ path });
      return path;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** One MLflow RPC over the public API, as a client would seed data. */
export async function mlflow<T = Record<string, unknown>>(baseUrl: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${baseUrl}/api/2.0/mlflow/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}
