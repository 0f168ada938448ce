import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type App, createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createLogger } from '../../src/telemetry/logger.ts';

/** A Prometheus text exposition as `name{labels} value` → value, for assertions. */
export function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

/** The samples of one family whose labels include every given pair. */
export function samplesOf(samples: Map<string, number>, name: string, labels: Record<string, string> = {}): number[] {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return [...samples]
    .filter(([key]) => (key === name || key.startsWith(`${name}{`)) && wanted.every((pair) => key.includes(pair)))
    .map(([, value]) => value);
}

export const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** A pino destination that keeps every line, parsed. */
export function logCapture(): { stream: Writable; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  return { stream, lines };
}

/** POSTs JSON to the MLflow API and returns status and body. */
export async function postJson(
  baseUrl: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${baseUrl}/api/2.0/mlflow${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
  };
}

/** An app on a fresh SQLite database whose JSON log lines are captured, for app.http.inject() tests. */
export async function appWithLogs(env: Record<string, string> = {}): Promise<{
  app: App;
  lines: Record<string, unknown>[];
  close(): Promise<void>;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'plumb-telemetry-'));
  const config = loadConfig(
    { PLUMB_LOG_LEVEL: 'info', ...env },
    {
      backendStoreUri: `sqlite:///${join(dir, 'mlruns.db')}`,
      artifactsDestination: join(dir, 'mlartifacts'),
      host: '127.0.0.1',
      port: 0,
    },
    dir,
  );
  const capture = logCapture();
  const app = await createApp(config, { logger: createLogger(config.logLevel, capture.stream) });
  return {
    app,
    lines: capture.lines,
    async close() {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
