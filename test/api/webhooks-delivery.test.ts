/** Webhook deliveries from registry changes: payload, signature, retries, the attempt log, restarts. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type Receiver,
  settledDeliveries,
  startReceiver,
  waitFor,
  type WebhookTestApp,
  webhookApp,
} from '../helpers/webhook-fixtures.ts';
import { defaultStore } from '../helpers/test-server.ts';

const ALLOW = { PLUMB_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' };
const ALL_EVENTS = [
  { entity: 'REGISTERED_MODEL', action: 'CREATED' },
  { entity: 'MODEL_VERSION', action: 'CREATED' },
  { entity: 'MODEL_VERSION_TAG', action: 'SET' },
  { entity: 'MODEL_VERSION_TAG', action: 'DELETED' },
  { entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' },
  { entity: 'MODEL_VERSION_ALIAS', action: 'DELETED' },
];

async function registryChanges(api: WebhookTestApp, name: string): Promise<void> {
  const ok = async (p: Promise<{ status: number }>) => assert.equal((await p).status, 200);
  await ok(api.inject('POST', 'registered-models/create', { name, tags: [{ key: 'k', value: 'v' }] }));
  await ok(api.inject('POST', 'model-versions/create', { name, source: 's3://bucket/model' }));
  await ok(api.inject('POST', 'model-versions/set-tag', { name, version: '1', key: 't', value: 'x' }));
  await ok(api.inject('DELETE', 'model-versions/delete-tag', { name, version: '1', key: 't' }));
  await ok(api.inject('POST', 'registered-models/alias', { name, alias: 'champion', version: '1' }));
  await ok(api.inject('DELETE', 'registered-models/alias', { name, alias: 'champion' }));
}

void describe('webhook deliveries', () => {
  let receiver: Receiver;
  let api: WebhookTestApp;
  before(async () => {
    receiver = await startReceiver();
    api = await webhookApp({ env: ALLOW });
  });
  after(async () => {
    await api.close();
    await receiver.close();
  });

  void it('sends MLflow payloads for every registry change, signed with the secret', async () => {
    const secret = 'whsec-test';
    const hook = (await api.inject('POST', 'webhooks', { name: 'all', url: receiver.url, events: ALL_EVENTS, secret }))
      .body.webhook;
    receiver.requests.length = 0;
    await registryChanges(api, 'delivered-model');
    const deliveries = await settledDeliveries(api, hook.webhook_id);
    assert.equal(deliveries.length, 6);
    assert.ok(deliveries.every((d) => d.state === 'DELIVERED' && d.attempts.length === 1));
    assert.equal(deliveries[0].attempts[0].response_status, 200);
    const bodies = receiver.requests.map((r) => JSON.parse(r.body));
    const byEvent = new Map(bodies.map((b) => [`${b.entity}.${b.action}`, b]));
    const { description, ...created } = byEvent.get('registered_model.created').data;
    assert.deepEqual(created, { name: 'delivered-model', tags: { k: 'v' } });
    assert.ok(description === null || description === '');
    const { description: versionDescription, ...version } = byEvent.get('model_version.created').data;
    assert.deepEqual(version, {
      name: 'delivered-model',
      version: '1',
      source: 's3://bucket/model',
      run_id: '',
      tags: {},
    });
    assert.ok(versionDescription === null || versionDescription === '');
    assert.deepEqual(byEvent.get('model_version_tag.set').data, {
      name: 'delivered-model',
      version: '1',
      key: 't',
      value: 'x',
    });
    assert.deepEqual(byEvent.get('model_version_tag.deleted').data, {
      name: 'delivered-model',
      version: '1',
      key: 't',
    });
    assert.deepEqual(byEvent.get('model_version_alias.created').data, {
      name: 'delivered-model',
      alias: 'champion',
      version: '1',
    });
    assert.deepEqual(byEvent.get('model_version_alias.deleted').data, { name: 'delivered-model', alias: 'champion' });
    for (const request of receiver.requests) {
      assert.equal(request.method, 'POST');
      assert.equal(request.url, '/hook');
      assert.equal(request.headers['content-type'], 'application/json');
      const id = String(request.headers['x-mlflow-delivery-id']);
      const timestamp = String(request.headers['x-mlflow-timestamp']);
      assert.match(timestamp, /^\d+$/);
      const expected = createHmac('sha256', secret).update(`${id}.${timestamp}.${request.body}`).digest('base64');
      assert.equal(request.headers['x-mlflow-signature'], `v1,${expected}`);
      assert.ok(!Number.isNaN(Date.parse(JSON.parse(request.body).timestamp)));
    }
  });

  void it('does not deliver to DISABLED webhooks or for unsubscribed events', async () => {
    const disabled = (
      await api.inject('POST', 'webhooks', { name: 'off', url: receiver.url, events: ALL_EVENTS, status: 'DISABLED' })
    ).body.webhook;
    const aliasOnly = (
      await api.inject('POST', 'webhooks', {
        name: 'alias',
        url: receiver.url,
        events: [{ entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' }],
      })
    ).body.webhook;
    await registryChanges(api, 'filtered-model');
    const deliveries = await settledDeliveries(api, aliasOnly.webhook_id);
    assert.deepEqual(
      deliveries.map((d) => `${d.entity}.${d.action}`),
      ['MODEL_VERSION_ALIAS.CREATED'],
    );
    const none = await api.inject('GET', `/api/2.0/plumb/webhooks/${disabled.webhook_id}/deliveries`);
    assert.deepEqual(none.body, {});
    // The first test's catch-all webhook got these changes too; let them land before the next test.
    const everyChange = (await api.inject('GET', '/api/2.0/mlflow/webhooks')).body.webhooks.find(
      (hook: { name: string }) => hook.name === 'all',
    );
    assert.equal((await settledDeliveries(api, everyChange.webhook_id)).length, 12);
  });

  void it('retries 5xx with backoff, then records the failure with every attempt', async () => {
    // A receiver of its own: deliveries the shared app still retries must not count as this test's calls.
    const receiver = await startReceiver();
    const failing = await webhookApp({ env: { ...ALLOW, MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES: '2' } });
    try {
      let calls = 0;
      receiver.respond = () => {
        calls++;
        return { status: 503, body: 'RECEIVER-SECRET-BODY' };
      };
      const hook = (await failing.inject('POST', 'webhooks', { name: 'f', url: receiver.url, events: [ALL_EVENTS[0]] }))
        .body.webhook;
      await failing.inject('POST', 'registered-models/create', { name: 'retried' });
      const [delivery] = await settledDeliveries(failing, hook.webhook_id);
      assert.equal(delivery.state, 'FAILED');
      assert.deepEqual(
        delivery.attempts.map((a: { attempt: number; response_status: number }) => [a.attempt, a.response_status]),
        [
          [1, 503],
          [2, 503],
          [3, 503],
        ],
      );
      assert.equal(calls, 3);
      assert.ok(!JSON.stringify(delivery).includes('RECEIVER-SECRET-BODY'));
      // A 4xx is final: no retry.
      calls = 0;
      receiver.respond = () => {
        calls++;
        return { status: 404 };
      };
      await failing.inject('POST', 'registered-models/create', { name: 'not-found-target' });
      await waitFor(async () => {
        const res = await failing.inject('GET', `/api/2.0/plumb/webhooks/${hook.webhook_id}/deliveries`);
        return res.body.deliveries.length === 2 && res.body.deliveries[0].state === 'FAILED' ? true : undefined;
      });
      assert.equal(calls, 1);
    } finally {
      await failing.close();
      await receiver.close();
    }
  });

  void it('keeps a delivery enqueued before a stop and sends it after the restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plumb-webhook-restart-'));
    const store = await defaultStore(dir);
    const receiver = await startReceiver();
    try {
      // The first server never gets to send: its worker polls only every ten minutes.
      const first = await webhookApp({ store, env: { ...ALLOW, PLUMB_WEBHOOK_POLL_INTERVAL_MS: '600000' } });
      const hook = (await first.inject('POST', 'webhooks', { name: 'r', url: receiver.url, events: [ALL_EVENTS[0]] }))
        .body.webhook;
      await first.inject('POST', 'registered-models/create', { name: 'survives-restart' });
      const pending = await first.inject('GET', `/api/2.0/plumb/webhooks/${hook.webhook_id}/deliveries`);
      assert.equal(pending.body.deliveries[0].state, 'PENDING');
      await first.close();
      assert.equal(receiver.requests.length, 0);
      const second = await webhookApp({ store, env: ALLOW });
      try {
        const [delivery] = await settledDeliveries(second, hook.webhook_id);
        assert.equal(delivery.state, 'DELIVERED');
        assert.equal(receiver.requests.length, 1);
        assert.equal(JSON.parse(receiver.requests[0]!.body).data.name, 'survives-restart');
      } finally {
        await second.close();
      }
    } finally {
      await receiver.close();
      await store.drop?.();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('gives each delivery to exactly one of several workers', async () => {
    const store = api.app.store.webhooks;
    const hook = (await api.inject('POST', 'webhooks', { name: 'claim', url: receiver.url, events: [ALL_EVENTS[0]] }))
      .body.webhook;
    // Stop the app's own worker from competing by disabling the webhook while the claims run.
    await api.app.store.registry.write((tx) =>
      tx.enqueueWebhookDeliveries({ entity: 'REGISTERED_MODEL', action: 'CREATED' }, { name: 'x' }, Date.now()),
    );
    await api.app.store.webhooks.updateWebhook(hook.webhook_id, { status: 'DISABLED', lastUpdatedTime: Date.now() });
    await store.updateWebhook(hook.webhook_id, { status: 'ACTIVE', lastUpdatedTime: Date.now() });
    const claims = await Promise.all(
      Array.from({ length: 5 }, (_, i) => store.claimDueDeliveries(`test-worker-${i}`, 100, 60_000)),
    );
    const claimedIds = claims.flat().map((d) => d.deliveryId);
    assert.equal(new Set(claimedIds).size, claimedIds.length, 'no delivery claimed twice');
  });
});
