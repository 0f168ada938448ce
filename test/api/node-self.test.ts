import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../helpers/test-server.ts';

interface SelfBody {
  node: { node_id: string; version: string; config_fingerprint: string };
  connection_pool: { max: number; open: number; idle: number; waiting: number } | null;
}

/**
 * GET /api/2.0/plumb/nodes/self: the answering node and its connection pool's use (the pool
 * size the operator set is visible, so is a pool starved of connections). Runs on every store:
 * SQLite has no pool, PostgreSQL and MariaDB do (test/stores/api-on-*.test.ts).
 */
void describe('the answering node and its connection pool', () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp({ env: { PLUMB_LOG_LEVEL: 'silent' } });
  });
  after(() => app.close());

  const get = async (url: string) => {
    const response = await app.app.http.inject({ method: 'GET', url });
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as unknown;
  };

  test('names itself as one of the live nodes, under /api and /ajax-api', async () => {
    const self = (await get('/api/2.0/plumb/nodes/self')) as SelfBody;
    const { nodes } = (await get('/api/2.0/plumb/nodes')) as { nodes: { node_id: string }[] };
    assert.ok(
      nodes.some((n) => n.node_id === self.node.node_id),
      JSON.stringify(nodes),
    );
    assert.match(self.node.config_fingerprint, /^[0-9a-f]{64}$/);
    assert.deepEqual(((await get('/ajax-api/2.0/plumb/nodes/self')) as SelfBody).node, self.node);
  });

  test('shows the pool it queries through on PostgreSQL and MySQL, and none on SQLite', async () => {
    // A query first, so that a lazily created pool exists and has opened a connection.
    await get('/api/2.0/mlflow/experiments/get?experiment_id=0');
    const { connection_pool: pool } = (await get('/api/2.0/plumb/nodes/self')) as SelfBody;
    if (process.env.PLUMB_TEST_STORE === undefined) {
      assert.equal(pool, null);
      return;
    }
    assert.ok(pool, 'a pool on a server database');
    assert.equal(pool.max, 10, 'the default pool_size');
    assert.ok(pool.open >= 1 && pool.open <= pool.max, JSON.stringify(pool));
    assert.ok(pool.idle >= 0 && pool.idle <= pool.open, JSON.stringify(pool));
    assert.equal(pool.waiting, 0);
  });
});
