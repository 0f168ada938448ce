/**
 * Issue #10's acceptance test: one million metric values logged through async batching into one
 * run of a live server, then every history read back: each (key, step) exactly once, with its value.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PlumbClient } from '../../src/client/index.ts';
import { startTestServer } from '../helpers/test-server.ts';

const KEYS = 10;
const STEPS = 100_000;
const valueOf = (k: number, step: number) => k * 1_000_003 + step / 7;

void describe('async logging of 1M metric values', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  void it('stores every one of 1,000,000 values exactly once, with its value', async () => {
    const client = new PlumbClient({
      trackingUri: server.baseUrl,
      env: {},
      asyncLogging: { maxQueuedValues: 50_000, maxInFlight: 4 },
    });
    const keys = Array.from({ length: KEYS }, (_, k) => `m${k}`);
    const run = await client.startRun({ runName: 'million' });
    const started = performance.now();
    for (let step = 0; step < STEPS; step++) {
      const metrics: Record<string, number> = {};
      for (let k = 0; k < KEYS; k++) metrics[keys[k]!] = valueOf(k, step);
      await run.logMetrics(metrics, { step, timestamp: 1_700_000_000_000 + step });
    }
    await client.flush();
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `client: ${KEYS * STEPS} values logged and flushed in ${seconds.toFixed(1)} s = ${Math.round((KEYS * STEPS) / seconds)} values/s`,
    );
    await run.end();
    await client.close();

    const readStarted = performance.now();
    for (let k = 0; k < KEYS; k++) {
      const seen = new Uint8Array(STEPS);
      let points = 0;
      // Without max_results the server streams the whole history in one answer: the cheapest read of 100k points.
      const { metrics } = await client.tracking.getMetricHistoryPage(run.id, keys[k]!);
      for (const point of metrics) {
        points++;
        assert.equal(point.key, keys[k]);
        assert.ok(point.step >= 0 && point.step < STEPS, `step ${point.step} out of range`);
        assert.equal(seen[point.step], 0, `${keys[k]} step ${point.step} stored twice`);
        seen[point.step] = 1;
        assert.equal(point.value, valueOf(k, point.step));
        assert.equal(point.timestamp, 1_700_000_000_000 + point.step);
      }
      assert.equal(points, STEPS, `${keys[k]}: ${points} points stored`);
    }
    console.log(`read back and checked in ${((performance.now() - readStarted) / 1000).toFixed(1)} s`);
  });
});
