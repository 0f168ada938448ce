/** GET /metrics after a workload: request, ingest, artifact, pool, schema, node and client families. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer } from '../helpers/test-server.ts';
import { parseExposition, postJson, samplesOf, sum } from './telemetry-helpers.ts';

const PYTHON_CLIENT = { 'user-agent': 'mlflow-python-client/3.11.2.dev0' };

void describe('Prometheus /metrics', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  before(async () => {
    server = await startTestServer({ env: { PLUMB_METRICS: 'true' } });
  });
  after(() => server.close());

  async function scrape(): Promise<Map<string, number>> {
    const response = await fetch(`${server.baseUrl}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return parseExposition(await response.text());
  }

  void it('counts requests per route template, ingested rows, artifact bytes and clients after a workload', async () => {
    const created = await postJson(server.baseUrl, '/runs/create', { experiment_id: '0' }, PYTHON_CLIENT);
    assert.equal(created.status, 200);
    const info = (created.body.run as { info: { run_id: string; artifact_uri: string } }).info;
    const batch = await postJson(
      server.baseUrl,
      '/runs/log-batch',
      {
        run_id: info.run_id,
        metrics: [1, 2, 3].map((step) => ({ key: 'loss', value: 1 / step, timestamp: 1000 + step, step })),
        params: [{ key: 'lr', value: '0.1' }],
        tags: [{ key: 'team', value: 'a' }],
      },
      PYTHON_CLIENT,
    );
    assert.equal(batch.status, 200);
    // Changing a logged param fails the whole batch: its metric is rolled back and never counted.
    const conflict = await postJson(server.baseUrl, '/runs/log-batch', {
      run_id: info.run_id,
      metrics: [{ key: 'loss', value: 9, timestamp: 9, step: 9 }],
      params: [{ key: 'lr', value: '0.2' }],
    });
    assert.equal(conflict.status, 400);
    const missing = await postJson(server.baseUrl, '/runs/log-batch', {}, PYTHON_CLIENT);
    assert.equal(missing.status, 400);
    const notFound = await fetch(`${server.baseUrl}/api/2.0/mlflow/runs/get?run_id=${'f'.repeat(32)}`, {
      headers: PYTHON_CLIENT,
    });
    assert.equal(notFound.status, 404);
    const artifactUrl = `${server.baseUrl}/api/2.0/mlflow-artifacts/artifacts/${info.artifact_uri.replace(/^mlflow-artifacts:\/+/, '')}/model.bin`;
    const upload = await fetch(artifactUrl, { method: 'PUT', body: Buffer.alloc(5000, 7), headers: PYTHON_CLIENT });
    assert.equal(upload.status, 200);
    const download = await fetch(artifactUrl, { headers: PYTHON_CLIENT });
    assert.equal(download.status, 200);
    assert.equal((await download.arrayBuffer()).byteLength, 5000);

    // A response is counted when the server has finished sending it, which the client may see before that.
    let samples = await scrape();
    for (let i = 0; i < 40 && sum(samplesOf(samples, 'plumb_artifact_operations_total')) < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      samples = await scrape();
    }
    for (
      let i = 0;
      i < 40 &&
      sum(samplesOf(samples, 'plumb_http_requests_total', { route: '/api/2.0/mlflow-artifacts/artifacts/*' })) < 2;
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      samples = await scrape();
    }
    const runsCreate = { method: 'POST', route: '/api/2.0/mlflow/runs/create', status: '200' };
    assert.equal(sum(samplesOf(samples, 'plumb_http_requests_total', runsCreate)), 1);
    assert.equal(sum(samplesOf(samples, 'plumb_http_request_duration_seconds_count', runsCreate)), 1);
    assert.equal(
      sum(samplesOf(samples, 'plumb_http_requests_total', { route: '/api/2.0/mlflow/runs/get', status: '404' })),
      1,
    );
    // The artifact routes are one wildcard template, never the raw path with the run id in it.
    assert.equal(
      sum(samplesOf(samples, 'plumb_http_requests_total', { route: '/api/2.0/mlflow-artifacts/artifacts/*' })),
      2,
    );
    assert.ok(![...samples.keys()].some((key) => key.includes(info.run_id)), 'a run id leaked into a label');

    assert.equal(sum(samplesOf(samples, 'plumb_rows_ingested_total', { table: 'metrics' })), 3);
    assert.equal(sum(samplesOf(samples, 'plumb_rows_ingested_total', { table: 'params' })), 1);
    assert.ok(sum(samplesOf(samples, 'plumb_rows_ingested_total', { table: 'tags' })) >= 1);
    assert.equal(sum(samplesOf(samples, 'plumb_rows_ingested_total', { table: 'runs' })), 1);
    assert.ok(sum(samplesOf(samples, 'plumb_group_commit_requests_count')) >= 1);
    assert.ok(sum(samplesOf(samples, 'plumb_group_commit_rows_sum')) >= 5);
    assert.equal(sum(samplesOf(samples, 'plumb_write_queue_requests')), 0);

    assert.equal(sum(samplesOf(samples, 'plumb_artifact_bytes_received_total')), 5000);
    assert.equal(sum(samplesOf(samples, 'plumb_artifact_bytes_sent_total')), 5000);
    assert.equal(sum(samplesOf(samples, 'plumb_artifact_uploads_in_flight')), 0);
    assert.equal(sum(samplesOf(samples, 'plumb_artifact_operations_total', { operation: 'put', outcome: 'ok' })), 1);

    assert.equal(
      sum(
        samplesOf(samples, 'plumb_client_requests_total', {
          client: 'mlflow-python-client',
          version: '3.11.2.dev0',
          verdict: 'unchecked',
        }),
      ),
      6,
    );
  });

  void it('reports the pool, the schema, the node registry and the process', async () => {
    const samples = await scrape();
    if (process.env.PLUMB_TEST_STORE === 'postgres' || process.env.PLUMB_TEST_STORE === 'mysql') {
      const size = samplesOf(samples, 'plumb_db_pool_size')[0] ?? 0;
      assert.ok(size > 0, 'no pool size reported');
      const open = samplesOf(samples, 'plumb_db_pool_open_connections')[0] ?? 0;
      assert.ok(open >= 1 && open <= size, `open connections ${open} of ${size}`);
    } else {
      // SQLite has one embedded connection and no pool.
      assert.deepEqual(samplesOf(samples, 'plumb_db_pool_size'), [0]);
    }
    assert.deepEqual(samplesOf(samples, 'plumb_db_pool_waiting_requests'), [0]);
    const applied = samplesOf(samples, 'plumb_schema_migrations', { state: 'applied' })[0] ?? 0;
    assert.ok(applied > 0, 'no applied migration reported');
    assert.equal(samplesOf(samples, 'plumb_schema_migrations', { state: 'known' })[0], applied);
    assert.deepEqual(samplesOf(samples, 'plumb_schema_migrations', { state: 'pending' }), [0]);
    assert.deepEqual(samplesOf(samples, 'plumb_nodes_live'), [1]);
    assert.deepEqual(samplesOf(samples, 'plumb_nodes_config_mismatched'), [0]);
    assert.equal(samplesOf(samples, 'plumb_build_info').length, 1);
    assert.ok(samplesOf(samples, 'process_resident_memory_bytes')[0]! > 0);
    assert.equal(samplesOf(samples, 'nodejs_eventloop_lag_seconds').length, 1);
  });
});
