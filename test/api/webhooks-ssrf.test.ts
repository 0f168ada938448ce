/**
 * SSRF: without an allow-list, neither `test` nor a real delivery reaches loopback, private,
 * link-local, CGNAT or metadata addresses in any spelling, names resolving there, or other
 * schemes; redirects are never followed. A receiver on 127.0.0.1 must see zero requests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type Receiver,
  settledDeliveries,
  startReceiver,
  type WebhookTestApp,
  webhookApp,
} from '../helpers/webhook-fixtures.ts';

/** Fake DNS: names that resolve to hostile addresses (no real DNS in tests). */
const FAKE_DNS: Record<string, { address: string; family: number }[]> = {
  'rebind.test': [{ address: '127.0.0.1', family: 4 }],
  'metadata.test': [{ address: '169.254.169.254', family: 4 }],
  'mixed.test': [
    { address: '93.184.216.34', family: 4 },
    { address: '10.1.2.3', family: 4 },
  ],
  'v6-loopback.test': [{ address: '::1', family: 6 }],
  'mapped.test': [{ address: '::ffff:127.0.0.1', family: 6 }],
  'internal.test': [{ address: '192.168.0.10', family: 4 }],
};
const resolver = async (host: string) => {
  const found = FAKE_DNS[host];
  if (!found) throw new Error(`unknown host ${host}`);
  return found;
};

const hostileTargets = (port: number): string[] => [
  `http://127.0.0.1:${port}/hook`,
  `http://127.1.2.3:${port}/hook`,
  `http://2130706433:${port}/hook`,
  `http://0177.0.0.1:${port}/hook`,
  `http://0x7f.1:${port}/hook`,
  `http://0x7f000001:${port}/hook`,
  `http://[::1]:${port}/hook`,
  `http://[::ffff:127.0.0.1]:${port}/hook`,
  `http://[::ffff:7f00:1]:${port}/hook`,
  `http://[::127.0.0.1]:${port}/hook`,
  `http://0.0.0.0:${port}/hook`,
  `http://0:${port}/hook`,
  `http://[::]:${port}/hook`,
  'http://169.254.169.254/latest/meta-data/',
  'http://10.0.0.1/',
  'http://172.16.5.4/',
  'http://192.168.1.1/',
  'http://100.64.0.1/',
  'http://[fe80::1]/',
  'http://[fc00::1]/',
  'http://[fd12:3456::1]/',
  'http://[64:ff9b::7f00:1]/',
  'http://[2002:7f00:1::]/',
  `http://rebind.test:${port}/hook`,
  'http://metadata.test/',
  'http://mixed.test/',
  `http://v6-loopback.test:${port}/hook`,
  `http://mapped.test:${port}/hook`,
  'http://internal.test/',
];

void describe('webhook SSRF protection', () => {
  let receiver: Receiver;
  let api: WebhookTestApp;
  before(async () => {
    receiver = await startReceiver();
    api = await webhookApp({ resolver });
  });
  after(async () => {
    await api.close();
    await receiver.close();
  });

  void it('`test` refuses every hostile target and nothing connects', async () => {
    const targets = hostileTargets(receiver.port);
    assert.ok(targets.length >= 15);
    for (const url of targets) {
      const created = await api.inject('POST', 'webhooks', {
        name: 'ssrf',
        url,
        events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }],
      });
      assert.equal(created.status, 200, url);
      const res = await api.inject('POST', `webhooks/${created.body.webhook.webhook_id}/test`, {});
      assert.equal(res.status, 200);
      assert.equal(res.body.result.success, false, url);
      assert.equal(res.body.result.response_status, undefined, url);
      assert.match(res.body.result.error_message, /refused/, url);
      await api.inject('DELETE', `webhooks/${created.body.webhook.webhook_id}`);
    }
    assert.equal(receiver.requests.length, 0);
  });

  void it('real deliveries to hostile targets fail as refused after one attempt and nothing connects', async () => {
    const targets = hostileTargets(receiver.port);
    const ids: string[] = [];
    for (const url of targets) {
      const created = await api.inject('POST', 'webhooks', {
        name: 'ssrf-delivery',
        url,
        events: [{ entity: 'REGISTERED_MODEL', action: 'CREATED' }],
      });
      ids.push(created.body.webhook.webhook_id);
    }
    assert.equal((await api.inject('POST', 'registered-models/create', { name: 'ssrf-model' })).status, 200);
    for (const [i, id] of ids.entries()) {
      const [delivery] = await settledDeliveries(api, id);
      assert.equal(delivery.state, 'FAILED', targets[i]);
      assert.equal(delivery.attempts.length, 1, targets[i]);
      assert.match(delivery.attempts[0].error_message, /refused/, targets[i]);
    }
    assert.equal(receiver.requests.length, 0);
  });

  void it('allows a private target only when the allow-list names it', async () => {
    const allowed = await webhookApp({ resolver, env: { PLUMB_WEBHOOK_ALLOWED_HOSTS: '127.0.0.0/8' } });
    try {
      const hook = (
        await allowed.inject('POST', 'webhooks', {
          name: 'ok',
          url: `http://rebind.test:${receiver.port}/hook`,
          events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }],
        })
      ).body.webhook;
      const res = await allowed.inject('POST', `webhooks/${hook.webhook_id}/test`, {});
      assert.deepEqual(res.body.result, { success: true, response_status: 200 });
      assert.equal(receiver.requests.length, 1);
      assert.equal(receiver.requests[0]!.headers.host, `rebind.test:${receiver.port}`);
      // The allow-list names loopback only: other private ranges stay closed.
      const other = (
        await allowed.inject('POST', 'webhooks', {
          name: 'no',
          url: 'http://internal.test/',
          events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }],
        })
      ).body.webhook;
      const refused = await allowed.inject('POST', `webhooks/${other.webhook_id}/test`, {});
      assert.match(refused.body.result.error_message, /refused/);
    } finally {
      receiver.requests.length = 0;
      await allowed.close();
    }
  });

  void it('never follows a redirect, not even to an allowed host', async () => {
    const allowed = await webhookApp({ env: { PLUMB_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } });
    try {
      receiver.respond = (n) =>
        n === 1 ? { status: 302, headers: { location: `http://127.0.0.1:${receiver.port}/second` } } : { status: 200 };
      const hook = (
        await allowed.inject('POST', 'webhooks', {
          name: 'redirect',
          url: receiver.url,
          events: [{ entity: 'REGISTERED_MODEL', action: 'CREATED' }],
        })
      ).body.webhook;
      const res = await allowed.inject('POST', `webhooks/${hook.webhook_id}/test`, {});
      assert.equal(res.body.result.success, false);
      assert.equal(res.body.result.response_status, 302);
      assert.equal(receiver.requests.length, 1);
      receiver.respond = () => ({ status: 302, headers: { location: 'http://169.254.169.254/' } });
      await allowed.inject('POST', 'registered-models/create', { name: 'redirected' });
      const [delivery] = await settledDeliveries(allowed, hook.webhook_id);
      assert.equal(delivery.state, 'FAILED');
      assert.equal(delivery.attempts.length, 1);
      assert.ok(receiver.requests.every((r) => r.url === '/hook'));
    } finally {
      receiver.respond = () => ({ status: 200 });
      receiver.requests.length = 0;
      await allowed.close();
    }
  });

  void it('honours MLFLOW_WEBHOOK_ALLOWED_SCHEMES: https only by default', async () => {
    const strict = await webhookApp({ env: { MLFLOW_WEBHOOK_ALLOWED_SCHEMES: 'https' } });
    try {
      const res = await strict.inject('POST', 'webhooks', {
        name: 'http',
        url: 'http://example.com/',
        events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }],
      });
      assert.equal(res.status, 400);
      assert.match(res.body.message, /scheme 'http' is not allowed/);
    } finally {
      await strict.close();
    }
  });
});
