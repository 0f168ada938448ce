/**
 * What the client puts on the wire and how it retries, against a local receiver: its User-Agent and
 * MLflow-style auth headers, retries on 429/503 (Retry-After in seconds and as a date), 500/502/504
 * and resets only for idempotent calls, a refused connection for any call, and the bounds on
 * attempts and time. Errors carry MLflow's error_code and the HTTP status.
 */
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import { MlflowApiError, PlumbClient, PlumbNetworkError, USER_AGENT } from '../../src/client/index.ts';
import { PLUMB_VERSION } from '../../src/version.ts';
import { type Answer, errorBody, type Received, Receiver } from './receiver.ts';

const FAST = { baseDelayMs: 5, maxDelayMs: 50 };
const RUN = JSON.stringify({ run: { info: { run_id: 'r1', experiment_id: '0', status: 'RUNNING' }, data: {} } });

void describe('client transport', () => {
  const receivers: Receiver[] = [];
  after(() => Promise.all(receivers.map((r) => r.close())));

  async function receiver(answer: (request: Received, index: number) => Answer): Promise<Receiver> {
    const started = await Receiver.start(answer);
    receivers.push(started);
    return started;
  }

  void it('sends plumb-ts-client/<version> and Basic auth from MLFLOW_TRACKING_USERNAME/PASSWORD', async () => {
    const server = await receiver(() => ({ status: 200, body: RUN }));
    const client = new PlumbClient({
      env: { MLFLOW_TRACKING_URI: server.baseUrl, MLFLOW_TRACKING_USERNAME: 'ada', MLFLOW_TRACKING_PASSWORD: 'p:ss' },
    });
    await client.tracking.getRun('r1');
    const [request] = server.requests;
    assert.equal(request?.headers['user-agent'], `plumb-ts-client/${PLUMB_VERSION}`);
    assert.equal(USER_AGENT, `plumb-ts-client/${PLUMB_VERSION}`);
    assert.equal(request?.headers.authorization, `Basic ${Buffer.from('ada:p:ss').toString('base64')}`);
    assert.equal(request?.url, '/api/2.0/mlflow/runs/get?run_id=r1');
  });

  void it('sends Bearer auth from MLFLOW_TRACKING_TOKEN, which wins over Basic', async () => {
    const server = await receiver(() => ({ status: 200, body: '{}' }));
    const client = new PlumbClient({
      env: {
        MLFLOW_TRACKING_URI: `${server.baseUrl}/`,
        MLFLOW_TRACKING_TOKEN: 'tok-123',
        MLFLOW_TRACKING_USERNAME: 'ada',
        MLFLOW_TRACKING_PASSWORD: 'x',
      },
    });
    await client.tracking.setTag('r1', 'k', 'v');
    const [request] = server.requests;
    assert.equal(request?.headers.authorization, 'Bearer tok-123');
    assert.equal(request?.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(request!.body.toString()), { run_id: 'r1', key: 'k', value: 'v' });
  });

  void it('sends no credentials when none are configured, and refuses to start without a server', async () => {
    const server = await receiver(() => ({ status: 200, body: RUN }));
    await new PlumbClient({ trackingUri: server.baseUrl, env: {} }).tracking.getRun('r1');
    assert.equal(server.requests[0]?.headers.authorization, undefined);
    assert.throws(() => new PlumbClient({ env: {} }), /MLFLOW_TRACKING_URI/);
  });

  void it('turns an error answer into MlflowApiError with error_code and status, without retrying a 4xx', async () => {
    const server = await receiver(() => ({
      status: 404,
      body: errorBody('RESOURCE_DOES_NOT_EXIST', 'Run r9 not found'),
    }));
    const client = new PlumbClient({ trackingUri: server.baseUrl, env: {}, retry: FAST });
    const error = await client.tracking.getRun('r9').catch((e: unknown) => e);
    assert.ok(error instanceof MlflowApiError);
    assert.equal(error.errorCode, 'RESOURCE_DOES_NOT_EXIST');
    assert.equal(error.status, 404);
    assert.match(error.message, /Run r9 not found/);
    assert.equal(server.requests.length, 1);
  });

  void it('retries 503 and 429 after the Retry-After the server asked for, then succeeds', async () => {
    const server = await receiver((_r, i) =>
      i === 0
        ? { status: 503, body: errorBody('TEMPORARILY_UNAVAILABLE'), headers: { 'retry-after': '1' } }
        : i === 1
          ? {
              status: 429,
              body: errorBody('REQUEST_LIMIT_EXCEEDED'),
              headers: { 'retry-after': new Date(Date.now() + 2500).toUTCString() },
            }
          : { status: 200, body: '{}' },
    );
    const client = new PlumbClient({ trackingUri: server.baseUrl, env: {}, retry: FAST });
    await client.tracking.logBatch({ run_id: 'r1', metrics: [], params: [], tags: [] });
    const [first, second, third] = server.requests.map((r) => r.at);
    assert.equal(server.requests.length, 3);
    assert.ok(second! - first! >= 950, `waited ${second! - first!} ms for Retry-After: 1`);
    // The HTTP date has one-second resolution: at least ~1.5 s of the 2.5 s remain after rounding.
    assert.ok(third! - second! >= 1000, `waited ${third! - second!} ms for a Retry-After date`);
  });

  void it('retries 500, 502, 504 and a reset for an idempotent call, and for runs/create only a refusal', async () => {
    const failing: Answer[] = [
      { status: 500, body: errorBody('INTERNAL_ERROR') },
      { status: 502 },
      { status: 504 },
      'reset',
    ];
    const server = await receiver((request, i) =>
      request.url.includes('runs/create')
        ? { status: 502 }
        : i < failing.length
          ? failing[i]!
          : { status: 200, body: '{}' },
    );
    const client = new PlumbClient({ trackingUri: server.baseUrl, env: {}, retry: FAST });
    await client.tracking.setTag('r1', 'k', 'v');
    assert.equal(server.requests.length, 5);

    const error = await client.tracking.createRun({ experiment_id: '0' }).catch((e: unknown) => e);
    assert.ok(error instanceof MlflowApiError, String(error));
    assert.equal(error.status, 502);
    assert.equal(error.errorCode, 'INTERNAL_ERROR');
    assert.equal(server.requests.length, 6, 'a 502 after a create may follow a committed create: not retried');
  });

  void it('does not retry a non-idempotent call whose connection was reset', async () => {
    const server = await receiver(() => 'reset');
    const client = new PlumbClient({ trackingUri: server.baseUrl, env: {}, retry: FAST });
    const error = await client.tracking.createExperiment({ name: 'x' }).catch((e: unknown) => e);
    assert.ok(error instanceof PlumbNetworkError, String(error));
    assert.equal(error.attempts, 1);
    assert.equal(server.requests.length, 1);
  });

  void it('retries a refused connection, even for runs/create, until the server is up', async () => {
    // A port with nobody listening: reserve one, close it, and start the receiver there a little later.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const client = new PlumbClient({
      trackingUri: `http://127.0.0.1:${port}`,
      env: {},
      retry: { baseDelayMs: 100, maxDelayMs: 200, maxAttempts: 30 },
    });
    const created = client.tracking.createRun({ experiment_id: '0' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const requests: string[] = [];
    const http = createHttpServer((request, response) => {
      requests.push(request.url ?? '');
      response.writeHead(200, { 'content-type': 'application/json' }).end(RUN);
    });
    await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
    try {
      assert.equal((await created).info.run_id, 'r1');
      assert.deepEqual(requests, ['/api/2.0/mlflow/runs/create']);
    } finally {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });

  void it('gives up after maxAttempts, and when a Retry-After would outlast maxRetryTimeMs', async () => {
    const server = await receiver(() => ({ status: 503, body: errorBody('TEMPORARILY_UNAVAILABLE') }));
    const client = new PlumbClient({ trackingUri: server.baseUrl, env: {}, retry: { ...FAST, maxAttempts: 3 } });
    const error = await client.tracking.getRun('r1').catch((e: unknown) => e);
    assert.ok(error instanceof MlflowApiError);
    assert.equal(error.attempts, 3);
    assert.equal(server.requests.length, 3);

    const slow = await receiver(() => ({ status: 503, headers: { 'retry-after': '30' } }));
    const bounded = new PlumbClient({ trackingUri: slow.baseUrl, env: {}, retry: { ...FAST, maxRetryTimeMs: 2000 } });
    const started = Date.now();
    const refused = await bounded.tracking.getRun('r1').catch((e: unknown) => e);
    assert.ok(refused instanceof MlflowApiError);
    assert.equal(refused.errorCode, 'TEMPORARILY_UNAVAILABLE');
    assert.ok(Date.now() - started < 1000, 'gave up at once instead of sleeping past the time budget');
    assert.equal(slow.requests.length, 1);
  });
});
