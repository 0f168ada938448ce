/** `plumb server` with the observability flags, as a real process: a metrics port of its own, MLflow's --expose-prometheus, the version policy. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freePort, startServerProcess } from '../helpers/plumb-process.ts';
import { parseExposition, samplesOf } from './telemetry-helpers.ts';

void describe('plumb server observability flags', () => {
  void it('serves /metrics on --metrics-port only, accepts --expose-prometheus, rejects old clients', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plumb-telemetry-flags-'));
    const metricsPort = await freePort();
    const server = await startServerProcess({
      dir,
      dbPath: join(dir, 'mlruns.db'),
      env: { PLUMB_LOG_LEVEL: 'info' },
      args: [
        '--metrics-port',
        String(metricsPort),
        '--expose-prometheus',
        join(dir, 'prometheus'),
        '--allowed-client-versions',
        '>=2.16 <4',
        '--client-version-policy',
        'reject',
      ],
    });
    try {
      const refused = await fetch(`${server.baseUrl}/api/2.0/mlflow/experiments/get?experiment_id=0`, {
        headers: { 'user-agent': 'mlflow-python-client/2.9.2' },
      });
      assert.equal(refused.status, 403);
      assert.equal(((await refused.json()) as { error_code: string }).error_code, 'PERMISSION_DENIED');
      const served = await fetch(`${server.baseUrl}/api/2.0/mlflow/experiments/get?experiment_id=0`, {
        headers: { 'user-agent': 'mlflow-python-client/3.11.2.dev0' },
      });
      assert.equal(served.status, 200);

      assert.equal((await fetch(`${server.baseUrl}/metrics`)).status, 404, 'metrics leaked onto the API port');
      const scrape = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      assert.equal(scrape.status, 200);
      const samples = parseExposition(await scrape.text());
      assert.deepEqual(
        samplesOf(samples, 'plumb_client_requests_total', { version: '2.9.2', verdict: 'outside' }),
        [1],
      );
      assert.deepEqual(
        samplesOf(samples, 'plumb_http_requests_total', {
          route: '/api/2.0/mlflow/experiments/get',
          status: '403',
        }),
        [1],
      );
      assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/other`)).status, 404);

      const lines = server
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const ignored = lines.find((line) => String(line.msg).startsWith('--expose-prometheus'));
      assert.equal(ignored?.directory, join(dir, 'prometheus'));
      assert.match(String(ignored?.msg), /keeps metrics in process/);
      const effective = lines.find((line) => line.msg === 'effective configuration') as
        | { config: { telemetry: { metrics: unknown; clientVersions: { allowed: string; policy: string } } } }
        | undefined;
      assert.deepEqual(effective?.config.telemetry.metrics, { enabled: true, port: metricsPort });
      assert.equal(effective?.config.telemetry.clientVersions.policy, 'reject');
      assert.ok(lines.some((line) => line.msg === 'serving metrics'));
    } finally {
      await server.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
