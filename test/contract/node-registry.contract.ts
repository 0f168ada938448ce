import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { NodeRegistration, NodeRegistryStore } from '../../src/store/node-registry-store.ts';
import type { MetadataStore } from '../../src/store/store.ts';

/**
 * The node registry against every backend: liveness is judged on the database's clock, so the
 * timing assertions here hold whatever the test machine's clock does.
 */
export function nodeRegistryContract(name: string, openStore: () => Promise<MetadataStore>): void {
  describe(`NodeRegistryStore contract: ${name}`, () => {
    let metadata: MetadataStore;
    let store: NodeRegistryStore;
    let counter = 0;

    before(async () => {
      metadata = await openStore();
      store = metadata.nodes;
    });
    after(async () => metadata.close());

    const aNode = (overrides: Partial<NodeRegistration> = {}): NodeRegistration => ({
      nodeId: `node-${++counter}-${Math.random().toString(36).slice(2)}`,
      host: '10.0.0.1',
      port: 5000,
      version: '0.1.0',
      schemaVersion: 6,
      configFingerprint: 'a'.repeat(64),
      configSummary: { artifactsDestination: 's3://bucket/x', serveArtifacts: true },
      ...overrides,
    });

    test('register stores the node with start and heartbeat from the database clock', async () => {
      const node = aNode();
      const before = Date.now();
      const stored = await store.register(node);
      assert.deepEqual({ ...stored, startedAt: 0, heartbeatAt: 0 }, { ...node, startedAt: 0, heartbeatAt: 0 });
      assert.equal(stored.startedAt, stored.heartbeatAt);
      // The database runs on this machine: its clock is near ours, within a generous margin.
      assert.ok(Math.abs(stored.startedAt - before) < 60_000);
      const live = await store.listLive(60_000);
      assert.deepEqual(
        live.find((n) => n.nodeId === node.nodeId),
        stored,
      );
    });

    test('register with a known id replaces the row', async () => {
      const node = aNode();
      await store.register(node);
      await store.register({ ...node, port: 6000 });
      const mine = (await store.listLive(60_000)).filter((n) => n.nodeId === node.nodeId);
      assert.equal(mine.length, 1);
      assert.equal(mine[0]?.port, 6000);
    });

    test('a node without a recent heartbeat is not live; a heartbeat makes it live again', async () => {
      const node = aNode();
      const stored = await store.register(node);
      // The window leaves a busy machine a second between heartbeat and listing (150 ms failed once
      // on PostgreSQL during the full suite); the sleep stays well past it.
      await sleep(1600);
      assert.ok(!(await store.listLive(1000)).some((n) => n.nodeId === node.nodeId));
      assert.equal(await store.heartbeat(node.nodeId), true);
      const live = (await store.listLive(1000)).find((n) => n.nodeId === node.nodeId);
      assert.ok(live);
      assert.ok(live.heartbeatAt >= stored.heartbeatAt + 1500);
      assert.equal(live.startedAt, stored.startedAt);
    });

    test('live nodes are listed oldest start first', async () => {
      const first = await store.register(aNode());
      await sleep(20);
      const second = await store.register(aNode());
      const ids = (await store.listLive(60_000)).map((n) => n.nodeId);
      assert.ok(ids.indexOf(first.nodeId) < ids.indexOf(second.nodeId));
    });

    test('remove deletes the row; heartbeat and remove then report it missing', async () => {
      const node = aNode();
      await store.register(node);
      assert.equal(await store.remove(node.nodeId), true);
      assert.equal(await store.remove(node.nodeId), false);
      assert.equal(await store.heartbeat(node.nodeId), false);
      assert.ok(!(await store.listLive(60_000)).some((n) => n.nodeId === node.nodeId));
    });

    test('registrations with an admission check are serialised: of nodes starting together, one is admitted', async () => {
      for (let round = 0; round < 4; round++) {
        const cluster = `race-${round}-${Math.random().toString(36).slice(2)}`;
        // Admits a node only while no other node of its cluster is live, as --strict-config refuses
        // a node whose configuration differs from the live ones.
        const admission = {
          liveWithinMs: 60_000,
          admit(others: readonly { configSummary: { readonly [key: string]: unknown } }[]) {
            if (others.some((n) => n.configSummary.cluster === cluster)) throw new Error('refused');
          },
        };
        const results = await Promise.allSettled(
          [1, 2, 3].map(() => store.register(aNode({ configSummary: { cluster } }), admission)),
        );
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, `round ${round}`);
        for (const r of results) if (r.status === 'rejected') assert.match(String(r.reason), /refused/);
        const live = (await store.listLive(60_000)).filter((n) => n.configSummary.cluster === cluster);
        assert.equal(live.length, 1);
      }
    });

    test('client sightings add up per client version, from any number of reports at once', async () => {
      const client = `test-client-${Math.random().toString(36).slice(2)}`;
      await Promise.all(
        [1, 2, 3, 4].map((n) =>
          store.recordClients(
            [
              { client, version: '1.0.0', requests: n },
              { client, version: '2.0.0', requests: 10 },
            ],
            86_400_000,
          ),
        ),
      );
      const mine = (await store.listClients(60_000)).filter((c) => c.client === client);
      assert.deepEqual(
        mine.map((c) => [c.version, c.requests]),
        [
          ['1.0.0', 10],
          ['2.0.0', 40],
        ],
      );
      for (const c of mine) assert.ok(c.firstSeen <= c.lastSeen && Math.abs(c.lastSeen - Date.now()) < 60_000);
    });

    test('client versions outside the window are not listed, and are forgotten after the retention', async () => {
      const client = `old-client-${Math.random().toString(36).slice(2)}`;
      await store.recordClients([{ client, version: '0.9.0', requests: 1 }], 86_400_000);
      await sleep(300);
      assert.ok(!(await store.listClients(100)).some((c) => c.client === client));
      assert.ok((await store.listClients(60_000)).some((c) => c.client === client));
      // A report with a retention shorter than the row's age drops it.
      await store.recordClients([], 100);
      assert.ok(!(await store.listClients(60_000)).some((c) => c.client === client));
    });
  });
}
