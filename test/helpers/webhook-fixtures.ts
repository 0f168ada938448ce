import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type App, createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { Resolver } from '../../src/webhook-http/safe-webhook-transport.ts';
import { defaultStore } from './test-server.ts';

/** Parsed JSON answers; tests assert their shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- wire bodies are checked by the assertions
export type Json = any;

export const TEST_SECRET_KEY = 'a'.repeat(64);

export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** An HTTP receiver on 127.0.0.1 only; `respond` picks each answer (default 200 with a body). */
export interface Receiver {
  readonly port: number;
  readonly url: string;
  readonly requests: ReceivedRequest[];
  respond: (n: number) => { status: number; body?: string; headers?: Record<string, string> };
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const receiver = {
    requests,
    respond: (_n: number) => ({ status: 200, body: 'RECEIVER-SECRET-BODY' }) as ReturnType<Receiver['respond']>,
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const answer = receiver.respond(requests.length);
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(receiver, {
    port,
    url: `http://127.0.0.1:${port}/hook`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

export interface WebhookTestApp {
  readonly app: App;
  readonly dir: string;
  inject(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Json }>;
  close(): Promise<void>;
}

/**
 * A Plumb app for webhook tests: http allowed, fast polling and retries, a fake resolver. Its
 * metadata store is a fresh one of the test run's kind (PLUMB_TEST_STORE) unless the caller passes
 * a `store` it owns, which outlives the app (two apps in turn on one outbox).
 */
export async function webhookApp(
  options: { env?: Record<string, string>; resolver?: Resolver; store?: { uri: string } } = {},
): Promise<WebhookTestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'plumb-webhooks-'));
  const ownStore = options.store ? undefined : await defaultStore(dir);
  const store = options.store ?? ownStore!;
  const config = loadConfig(
    {
      PLUMB_LOG_LEVEL: 'silent',
      MLFLOW_WEBHOOK_ALLOWED_SCHEMES: 'http,https',
      PLUMB_WEBHOOK_SECRET_KEY: TEST_SECRET_KEY,
      PLUMB_WEBHOOK_POLL_INTERVAL_MS: '20',
      PLUMB_WEBHOOK_RETRY_BASE_MS: '10',
      MLFLOW_WEBHOOK_REQUEST_TIMEOUT: '5',
      ...options.env,
    },
    { backendStoreUri: store.uri, artifactsDestination: join(dir, 'mlartifacts') },
    dir,
  );
  const app = await createApp(config, {
    webhookResolver: options.resolver ?? (async () => Promise.reject(new Error('no DNS in tests'))),
  });
  return {
    app,
    dir,
    async inject(method, path, body) {
      const res = await app.http.inject({
        method,
        url: path.startsWith('/') ? path : `/api/2.0/mlflow/${path}`,
        ...(body === undefined
          ? {}
          : { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      return { status: res.statusCode, body: res.body === '' ? {} : JSON.parse(res.body) };
    },
    async close() {
      await app.close();
      await ownStore?.drop?.();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The webhook's deliveries once none is PENDING any more. */
export async function settledDeliveries(api: WebhookTestApp, webhookId: string): Promise<Json[]> {
  return waitFor(async () => {
    const res = await api.inject('GET', `/api/2.0/plumb/webhooks/${webhookId}/deliveries`);
    const deliveries: Json[] = res.body.deliveries ?? [];
    return deliveries.length > 0 && deliveries.every((d) => d.state !== 'PENDING') ? deliveries : undefined;
  });
}
