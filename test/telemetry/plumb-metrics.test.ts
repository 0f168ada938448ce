/** The metric families' exposition without a server: histogram buckets, scrape-time gauges, bounded labels. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PlumbMetrics } from '../../src/telemetry/metrics.ts';
import { parseExposition, samplesOf } from './telemetry-helpers.ts';

function metrics(overrides: Partial<ConstructorParameters<typeof PlumbMetrics>[0]['sources']> = {}) {
  const warnings: string[] = [];
  const made = new PlumbMetrics({
    version: '9.9.9',
    logger: { warn: (_details, message) => warnings.push(message) },
    sources: {
      connectionPool: () => ({ max: 10, open: 4, idle: 1, waiting: 2 }),
      schemaStatus: async () => ({
        empty: false,
        applied: [1, 2, 3].map((version) => ({ version, name: `m${version}`, checksum: '', minServerRelease: '0' })),
        pending: [],
        unknown: [],
        checksumMismatches: [],
        latestKnownVersion: 4,
      }),
      nodes: async () => ({ live: 3, mismatched: 1 }),
      ...overrides,
    },
  });
  return { made, warnings };
}

void describe('PlumbMetrics', () => {
  void it('renders request durations as cumulative buckets with _sum and _count per route and status', async () => {
    const { made } = metrics();
    made.request('POST', '/api/2.0/mlflow/runs/log-batch', 200, 0.004);
    made.request('POST', '/api/2.0/mlflow/runs/log-batch', 200, 0.3);
    made.request('POST', '/api/2.0/mlflow/runs/log-batch', 503, 40);
    const samples = parseExposition((await made.scrape()).body);
    const ok = { route: '/api/2.0/mlflow/runs/log-batch', status: '200' };
    const bucket = (le: string) => samplesOf(samples, 'plumb_http_request_duration_seconds_bucket', { ...ok, le });
    assert.deepEqual([bucket('0.005'), bucket('0.25'), bucket('0.5'), bucket('+Inf')], [[1], [1], [2], [2]]);
    assert.deepEqual(samplesOf(samples, 'plumb_http_request_duration_seconds_count', ok), [2]);
    assert.ok(Math.abs(samplesOf(samples, 'plumb_http_request_duration_seconds_sum', ok)[0]! - 0.304) < 1e-9);
    const busy = { route: '/api/2.0/mlflow/runs/log-batch', status: '503', le: '30' };
    assert.deepEqual(samplesOf(samples, 'plumb_http_request_duration_seconds_bucket', busy), [0]);
    assert.deepEqual(samplesOf(samples, 'plumb_http_requests_total', { status: '503' }), [1]);
    // Counts accumulate across scrapes.
    made.request('POST', '/api/2.0/mlflow/runs/log-batch', 200, 0.004);
    const again = parseExposition((await made.scrape()).body);
    assert.deepEqual(samplesOf(again, 'plumb_http_requests_total', ok), [3]);
  });

  void it('reads the pool, schema and node registry at scrape time', async () => {
    const samples = parseExposition((await metrics().made.scrape()).body);
    assert.deepEqual(samplesOf(samples, 'plumb_db_pool_size'), [10]);
    assert.deepEqual(samplesOf(samples, 'plumb_db_pool_in_use_connections'), [3]);
    assert.deepEqual(samplesOf(samples, 'plumb_db_pool_waiting_requests'), [2]);
    assert.deepEqual(samplesOf(samples, 'plumb_schema_migrations', { state: 'applied' }), [3]);
    assert.deepEqual(samplesOf(samples, 'plumb_schema_migrations', { state: 'known' }), [4]);
    assert.deepEqual(samplesOf(samples, 'plumb_nodes_live'), [3]);
    assert.deepEqual(samplesOf(samples, 'plumb_nodes_config_mismatched'), [1]);
    assert.deepEqual(samplesOf(samples, 'plumb_build_info', { version: '9.9.9' }), [1]);
  });

  void it('still answers a scrape when the database cannot be read, and says so in the log', async () => {
    const { made, warnings } = metrics({
      schemaStatus: () => Promise.reject(new Error('database is down')),
      nodes: () => Promise.reject(new Error('database is down')),
    });
    const samples = parseExposition((await made.scrape()).body);
    assert.deepEqual(samplesOf(samples, 'plumb_db_pool_size'), [10]);
    assert.ok(warnings.includes('metrics: could not read the schema status'));
    assert.ok(warnings.includes('metrics: could not read the node registry'));
  });

  void it('keeps at most 64 client/version series and counts the rest as (other)', async () => {
    const { made } = metrics();
    for (let i = 0; i < 100; i++)
      made.client({ client: 'mlflow-python-client', version: `2.${i}.0`, verdict: 'allowed' });
    made.client({ client: 'mlflow-python-client', version: '2.0.0', verdict: 'allowed' });
    const samples = parseExposition((await made.scrape()).body);
    const series = samplesOf(samples, 'plumb_client_requests_total');
    assert.equal(series.length, 65);
    assert.deepEqual(samplesOf(samples, 'plumb_client_requests_total', { client: '(other)' }), [36]);
    assert.deepEqual(samplesOf(samples, 'plumb_client_requests_total', { version: '2.0.0' }), [2]);
  });
});
