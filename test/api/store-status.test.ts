/** GET /api/2.0/plumb/status: the answering node's database and artifact store, probed now. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ArtifactRepository } from '../../src/artifacts/artifact-repository.ts';
import { systemClock } from '../../src/core/clock.ts';
import { StoreStatusService } from '../../src/doctor/store-status.service.ts';
import { MIGRATIONS } from '../../src/store/sql/migrations/index.ts';
import type { SchemaControl } from '../../src/store/store.ts';
import { createTestApp } from '../helpers/test-server.ts';

void describe('plumb status', () => {
  void it('reports the database with its schema version and the artifact store, both reachable, under both prefixes', async () => {
    const test = await createTestApp();
    try {
      for (const prefix of ['/api', '/ajax-api']) {
        const reply = await test.app.http.inject({ method: 'GET', url: `${prefix}/2.0/plumb/status` });
        assert.equal(reply.statusCode, 200);
        const body = reply.json();
        assert.equal(body.database.reachable, true);
        assert.equal(body.database.schema_version, MIGRATIONS.at(-1)!.version);
        assert.deepEqual(body.database.pending_migrations, []);
        assert.ok(body.database.latency_ms >= 0);
        assert.equal(body.artifact_store.reachable, true);
        assert.equal(body.artifact_store.description, `file://${join(test.dir, 'mlartifacts')}`);
      }
    } finally {
      await test.close();
    }
  });

  const schema = { status: async () => ({ empty: false, applied: [{ version: 3 }], pending: [] }) };
  const statusOf = (repository: Partial<ArtifactRepository>, probeTimeoutMs?: number) =>
    new StoreStatusService({
      engine: 'postgres',
      schema: schema as unknown as SchemaControl,
      repository: { description: 's3://bucket/prefix', ...repository } as ArtifactRepository,
      clock: systemClock,
      ...(probeTimeoutMs === undefined ? {} : { probeTimeoutMs }),
    }).status();

  void it('reports an artifact store that refuses as unreachable, with the reason, the database still shown', async () => {
    const status = await statusOf({ list: async () => Promise.reject(new Error('AccessDenied: no ListBucket')) });
    assert.deepEqual(
      { reachable: status.artifacts.reachable, error: status.artifacts.error, schema: status.database.schemaVersion },
      { reachable: false, error: 'AccessDenied: no ListBucket', schema: 3 },
    );
    assert.equal(status.database.reachable, true);
  });

  void it('gives up on a store that does not answer, instead of hanging the page', async () => {
    const status = await statusOf({ list: () => new Promise(() => {}) }, 50);
    assert.equal(status.database.schemaVersion, 3);
    assert.equal(status.artifacts.reachable, false);
    assert.equal(status.artifacts.error, 'no answer within 50 ms');
  });
});
