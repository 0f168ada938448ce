import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { freePort, runPlumb } from '../helpers/plumb-process.ts';
import { createTestApp, type TestApp } from '../helpers/test-server.ts';

interface WireNode {
  node_id: string;
  drift: boolean;
  config_fingerprint: string;
  config_summary: Record<string, unknown>;
}

// Generous: three apps share one process and one SQLite file, and a writer waiting for the file lock
// blocks the whole event loop (better-sqlite3 is synchronous), delaying every heartbeat.
const HEARTBEAT_MS = 500;

/**
 * Replicas on ONE database (a shared SQLite file): every node sees every other in
 * /api/2.0/plumb/nodes, drift is flagged, --strict-config refuses, and liveness follows heartbeats.
 */
void describe('node registry and configuration drift (invariant 7)', () => {
  let dir: string;
  const apps: TestApp[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'plumb-nodes-'));
  });
  after(async () => {
    for (const app of apps.splice(0)) await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const dbUri = () => `sqlite:///${join(dir, 'shared.db')}`;
  async function replica(destination: string, env: Record<string, string> = {}): Promise<TestApp> {
    const app = await createTestApp({
      env: { MLFLOW_BACKEND_STORE_URI: dbUri(), PLUMB_NODE_HEARTBEAT_MS: String(HEARTBEAT_MS), ...env },
      artifactsDestination: join(dir, destination),
    });
    apps.push(app);
    return app;
  }
  async function liveNodes(app: TestApp, prefix = '/api'): Promise<WireNode[]> {
    const response = await app.app.http.inject({ method: 'GET', url: `${prefix}/2.0/plumb/nodes` });
    assert.equal(response.statusCode, 200, response.body);
    return (response.json() as { nodes: WireNode[] }).nodes;
  }
  async function closeApp(app: TestApp): Promise<void> {
    apps.splice(apps.indexOf(app), 1);
    await app.close();
  }

  test('a replica with another artifact destination is flagged; the majority is not', async () => {
    const odd = await replica('artifacts-odd');
    const a = await replica('artifacts');
    const b = await replica('artifacts');
    await sleep(HEARTBEAT_MS);
    for (const prefix of ['/api', '/ajax-api']) {
      const nodes = await liveNodes(a, prefix);
      const drift = Object.fromEntries(nodes.map((n) => [n.node_id, n.drift]));
      assert.deepEqual(drift, {
        [odd.app.nodes.nodeId]: true,
        [a.app.nodes.nodeId]: false,
        [b.app.nodes.nodeId]: false,
      });
    }
    const summary = (await liveNodes(odd)).find((n) => n.node_id === odd.app.nodes.nodeId)?.config_summary;
    assert.deepEqual(summary?.artifactsDestination, { kind: 'local', path: join(dir, 'artifacts-odd') });
    for (const app of [odd, a, b]) await closeApp(app);
  });

  test('with --strict-config a disagreeing node refuses to start; an agreeing one starts', async () => {
    const first = await replica('artifacts');
    await assert.rejects(replica('elsewhere', { PLUMB_STRICT_CONFIG: 'true' }), (error: Error) => {
      assert.match(error.message, /^Refusing to start \(--strict-config\).*artifactsDestination/);
      return true;
    });
    const agreeing = await replica('artifacts', { PLUMB_STRICT_CONFIG: 'true' });
    assert.equal((await liveNodes(first)).length, 2);
    await closeApp(agreeing);
    await closeApp(first);
  });

  test('plumb server --strict-config exits 1 with one line naming the setting', async () => {
    const first = await replica('artifacts');
    const result = await runPlumb(
      [
        'server',
        '--strict-config',
        '--backend-store-uri',
        dbUri(),
        '--artifacts-destination',
        join(dir, 'elsewhere'),
        '--port',
        String(await freePort()),
      ],
      { cwd: dir, timeoutMs: 20_000 },
    );
    assert.equal(result.timedOut, false);
    assert.equal(result.code, 1);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0] ?? '', /Refusing to start \(--strict-config\).*artifactsDestination/);
    await closeApp(first);
  });

  test('a clean shutdown removes the node; a node that stops heart-beating drops out', async () => {
    const a = await replica('artifacts');
    const b = await replica('artifacts');
    assert.equal((await liveNodes(a)).length, 2);
    await closeApp(b);
    assert.deepEqual(
      (await liveNodes(a)).map((n) => n.node_id),
      [a.app.nodes.nodeId],
    );
    // A crashed node: registered once, never heart-beating again.
    await a.app.store.nodes.register({
      nodeId: 'crashed',
      host: '10.0.0.9',
      port: 5000,
      version: '0.0.1',
      schemaVersion: 6,
      configFingerprint: 'f'.repeat(64),
      configSummary: {},
    });
    assert.ok((await liveNodes(a)).some((n) => n.node_id === 'crashed'));
    await sleep(HEARTBEAT_MS * 5);
    assert.deepEqual(
      (await liveNodes(a)).map((n) => n.node_id),
      [a.app.nodes.nodeId],
    );
    await closeApp(a);
  });
});
