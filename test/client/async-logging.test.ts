/**
 * Async logging: a bounded queue that makes callers wait instead of dropping, coalescing into
 * log-batch requests, flush() meaning "stored", tags landing in the order they were set, errors
 * surfacing on the next call, and retries through dropped connections storing each point once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AsyncLoggingError, type LogItem, MlflowApiError, PlumbClient } from '../../src/client/index.ts';
import { LossyProxy } from '../helpers/lossy-proxy.ts';
import { startTestServer } from '../helpers/test-server.ts';
import { type Answer, errorBody, Receiver } from './receiver.ts';

const metrics = (from: number, count: number): LogItem[] =>
  Array.from({ length: count }, (_, i) => ({
    kind: 'metric',
    key: 'm',
    value: from + i,
    timestamp: 1,
    step: from + i,
  }));

const settledWithin = async (promise: Promise<unknown>, ms: number) => {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setTimeout(resolve, ms));
  return settled;
};

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  for (const start = Date.now(); !condition(); ) {
    if (Date.now() - start > timeoutMs) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface BatchBody {
  run_id: string;
  metrics: { key: string; value: number; step: number }[];
  params: unknown[];
  tags: { key: string; value: string }[];
}

void describe('client async logging', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const receivers: Receiver[] = [];
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await server.close();
  });

  /** A receiver that holds each log-batch answer until the test calls the release it is given. */
  async function holdingReceiver() {
    const releases: (() => void)[] = [];
    const receiver = await Receiver.start(
      () => new Promise<Answer>((resolve) => releases.push(() => resolve({ status: 200, body: '{}' }))),
    );
    receivers.push(receiver);
    return { receiver, releases };
  }

  void it('makes a logging call wait while the queue is full, then takes every value, none dropped', async () => {
    const { receiver, releases } = await holdingReceiver();
    const client = new PlumbClient({
      trackingUri: receiver.baseUrl,
      env: {},
      asyncLogging: { maxQueuedValues: 10, maxInFlight: 1, lingerMs: 0 },
    });
    await client.logBatch('r1', metrics(0, 10));
    await until(() => receiver.requests.length > 0);
    assert.equal(receiver.requests.length, 1, 'the first 10 values are in flight');
    await client.logBatch('r1', metrics(10, 10));
    const third = client.logBatch('r1', metrics(20, 5));
    assert.equal(await settledWithin(third, 200), false, 'a full queue makes the caller wait');
    releases.shift()!();
    await third;
    const flushed = client.flush();
    assert.equal(await settledWithin(flushed, 100), false, 'flush waits for the requests in flight');
    while (!(await settledWithin(flushed, 50))) releases.shift()?.();
    await flushed;
    const steps = receiver.requests.flatMap((r) =>
      (JSON.parse(r.body.toString()) as BatchBody).metrics.map((m) => m.step),
    );
    assert.deepEqual(
      steps.sort((a, b) => a - b),
      Array.from({ length: 25 }, (_, i) => i),
    );
  });

  void it('keeps maxInFlight requests in flight at once, and no more', async () => {
    const { receiver, releases } = await holdingReceiver();
    const client = new PlumbClient({
      trackingUri: receiver.baseUrl,
      env: {},
      asyncLogging: { maxInFlight: 3, maxQueuedValues: 100_000 },
    });
    await client.logBatch('r1', metrics(0, 6000));
    await until(() => receiver.requests.length === 3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(receiver.requests.length, 3, 'a fourth request waits for a free slot');
    releases.shift()!();
    await until(() => receiver.requests.length === 4);
    const flushed = client.flush();
    while (!(await settledWithin(flushed, 20))) releases.shift()?.();
    await flushed;
    assert.equal(receiver.requests.length, 6);
    assert.ok(receiver.requests.every((r) => (JSON.parse(r.body.toString()) as BatchBody).metrics.length === 1000));
  });

  void it('coalesces 5000 one-value calls into log-batch requests of at most 1000 metrics', async () => {
    const receiver = await Receiver.start(() => ({ status: 200, body: '{}' }));
    receivers.push(receiver);
    const client = new PlumbClient({ trackingUri: receiver.baseUrl, env: {}, asyncLogging: true });
    for (let step = 0; step < 5000; step++) await client.logMetric('r1', 'loss', step, { step });
    await client.close();
    const bodies = receiver.requests.map((r) => JSON.parse(r.body.toString()) as BatchBody);
    assert.ok(bodies.length <= 10, `${bodies.length} requests for 5000 values`);
    assert.ok(bodies.every((b) => b.metrics.length <= 1000 && b.run_id === 'r1'));
    assert.equal(
      bodies.reduce((n, b) => n + b.metrics.length, 0),
      5000,
    );
    await assert.rejects(client.logMetric('r1', 'loss', 1), /closed/);
  });

  void it('flush resolves when the values are stored on the server', async () => {
    const client = new PlumbClient({ trackingUri: server.baseUrl, env: {}, asyncLogging: { lingerMs: 10_000 } });
    const run = await client.startRun();
    await client.logBatch(run.id, metrics(0, 2500));
    await run.logParams({ batch_size: 32 });
    await client.flush();
    const history = await client.tracking.getMetricHistoryPage(run.id, 'm');
    assert.equal(history.metrics.length, 2500);
    assert.equal((await client.tracking.getRun(run.id)).data.params?.[0]?.value, '32');
    await client.close();
  });

  void it('lands tags in the order they were set, with several requests in flight', async () => {
    const client = new PlumbClient({ trackingUri: server.baseUrl, env: {}, asyncLogging: { maxInFlight: 4 } });
    const run = await client.startRun();
    for (let i = 0; i < 60; i++) {
      await client.logBatch(run.id, metrics(i * 300, 300));
      await run.setTags({ stage: `s${i}`, [`t${i}`]: 'x' });
    }
    await run.end();
    const tags = Object.fromEntries(
      (await client.tracking.getRun(run.id)).data.tags?.map((t) => [t.key, t.value]) ?? [],
    );
    assert.equal(tags.stage, 's59');
    assert.equal(Object.keys(tags).filter((k) => /^t\d+$/.test(k)).length, 60);
    await client.close();
  });

  void it('surfaces a failed background request on the next call, once, with the server error as cause', async () => {
    const client = new PlumbClient({ trackingUri: server.baseUrl, env: {}, asyncLogging: { lingerMs: 0 } });
    await client.logMetric('0123456789abcdef0123456789abcdef', 'm', 1);
    await until(() => client.pendingValues === 0);
    const error = await client.logMetric('0123456789abcdef0123456789abcdef', 'm', 2).catch((e: unknown) => e);
    assert.ok(error instanceof AsyncLoggingError, String(error));
    assert.equal(error.lostValues, 1);
    assert.ok(error.cause instanceof MlflowApiError);
    assert.equal(error.cause.errorCode, 'RESOURCE_DOES_NOT_EXIST');
    await client.flush();
    const run = await client.startRun();
    await run.logMetric('m', 3);
    await client.close();
    assert.equal((await client.tracking.getMetricHistoryPage(run.id, 'm')).metrics.length, 1);
  });

  void it('ends a run FAILED, not FINISHED, when its queued values could not be stored', async () => {
    const receiver = await Receiver.start((request) =>
      request.url.includes('log-batch')
        ? { status: 400, body: errorBody('INVALID_PARAMETER_VALUE', 'bad metric') }
        : { status: 200, body: JSON.stringify({ run_info: { run_id: 'r1', status: 'FAILED' } }) },
    );
    receivers.push(receiver);
    const client = new PlumbClient({ trackingUri: receiver.baseUrl, env: {}, asyncLogging: true });
    await client.logMetric('r1', 'm', 1);
    await assert.rejects(client.endRun('r1'), AsyncLoggingError);
    const update = receiver.requests.find((r) => r.url.includes('runs/update'));
    assert.equal((JSON.parse(update!.body.toString()) as { status: string }).status, 'FAILED');
  });

  void it('retries batches whose connections were reset, storing each point exactly once', async () => {
    const port = Number(new URL(server.baseUrl).port);
    const proxy = await LossyProxy.start({ upstreamPort: () => port, delayMs: 50 });
    try {
      const client = new PlumbClient({
        trackingUri: proxy.baseUrl,
        env: {},
        retry: { baseDelayMs: 100, maxDelayMs: 1000, maxAttempts: 10 },
        asyncLogging: { maxInFlight: 4 },
      });
      const run = await client.startRun();
      let resets = 0;
      for (let i = 0; i < 40; i++) {
        await client.logBatch(run.id, metrics(i * 1000, 1000));
        if (i % 10 === 9) {
          // Answers still held back belong to committed batches: the client sees them fail and resends.
          await until(() => proxy.heldChunks > 0).catch(() => undefined);
          if (proxy.heldChunks > 0) resets++;
          proxy.resetAll();
        }
      }
      await client.close();
      assert.ok(resets > 0, 'some answers were dropped after their batch was stored');
      const steps = new Uint8Array(40_000);
      let points = 0;
      for await (const point of client.tracking.metricHistory(run.id, 'm')) {
        points++;
        assert.equal(steps[point.step], 0, `step ${point.step} stored twice`);
        steps[point.step] = 1;
      }
      assert.equal(points, 40_000);
    } finally {
      await proxy.close();
    }
  });
});
