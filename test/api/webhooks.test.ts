/** MLflow's webhook RPCs through app.inject(): CRUD, validation, secrets, `test`. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Receiver, startReceiver, type WebhookTestApp, webhookApp } from '../helpers/webhook-fixtures.ts';

const EVENTS = [{ entity: 'MODEL_VERSION', action: 'CREATED' }];

void describe('webhooks API', () => {
  let api: WebhookTestApp;
  let receiver: Receiver;
  before(async () => {
    receiver = await startReceiver();
    api = await webhookApp({ env: { PLUMB_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } });
  });
  after(async () => {
    await api.close();
    await receiver.close();
  });
  const create = (body: Record<string, unknown>) =>
    api.inject('POST', 'webhooks', { name: 'hook', url: receiver.url, events: EVENTS, ...body });

  void it('creates, gets, lists, updates and deletes a webhook, never echoing its secret', async () => {
    const created = await create({ description: 'd', secret: 'top-secret' });
    assert.equal(created.status, 200);
    const hook = created.body.webhook;
    assert.match(hook.webhook_id, /^[0-9a-f]{32}$/);
    assert.equal(hook.status, 'ACTIVE');
    assert.deepEqual(hook.events, EVENTS);
    assert.equal(hook.description, 'd');
    assert.equal(typeof hook.creation_timestamp, 'number');
    const got = await api.inject('GET', `webhooks/${hook.webhook_id}`);
    assert.deepEqual(got.body.webhook, hook);
    const patched = await api.inject('PATCH', `webhooks/${hook.webhook_id}`, {
      status: 'DISABLED',
      events: [{ entity: 'MODEL_VERSION_TAG', action: 'SET' }],
      secret: 'other',
    });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.webhook.status, 'DISABLED');
    assert.deepEqual(patched.body.webhook.events, [{ entity: 'MODEL_VERSION_TAG', action: 'SET' }]);
    assert.equal(patched.body.webhook.name, 'hook');
    const listed = await api.inject('GET', 'webhooks');
    assert.ok(listed.body.webhooks.some((w: { webhook_id: string }) => w.webhook_id === hook.webhook_id));
    for (const body of [created.body, got.body, patched.body, listed.body]) {
      assert.ok(!JSON.stringify(body).includes('top-secret') && !JSON.stringify(body).includes('other"'));
      assert.ok(!JSON.stringify(body).includes('"secret"'));
    }
    assert.deepEqual((await api.inject('DELETE', `webhooks/${hook.webhook_id}`)).body, {});
    assert.equal((await api.inject('GET', `webhooks/${hook.webhook_id}`)).status, 404);
    assert.equal((await api.inject('DELETE', `webhooks/${hook.webhook_id}`)).status, 404);
    assert.equal((await api.inject('PATCH', `webhooks/${hook.webhook_id}`, { name: 'x' })).status, 404);
  });

  void it('stores the secret encrypted, not in plain text', async () => {
    const created = await create({ secret: 'plain-secret-value' });
    const row = await api.app.store.webhooks.getWebhook(created.body.webhook.webhook_id);
    const stored = row?.encryptedSecret ?? '';
    assert.ok(stored.startsWith('v1.'));
    assert.ok(!stored.includes('plain-secret-value'));
  });

  void it('pages the list with max_results and page_token', async () => {
    for (let i = 0; i < 3; i++) await create({ name: `page-${i}` });
    const first = await api.inject('GET', '/api/2.0/mlflow/webhooks?max_results=2');
    assert.equal(first.body.webhooks.length, 2);
    assert.ok(first.body.next_page_token);
    const second = await api.inject(
      'GET',
      `/api/2.0/mlflow/webhooks?max_results=2&page_token=${first.body.next_page_token}`,
    );
    assert.ok(second.body.webhooks.length >= 1);
    const ids = new Set(
      [...first.body.webhooks, ...second.body.webhooks].map((w: { webhook_id: string }) => w.webhook_id),
    );
    assert.equal(ids.size, first.body.webhooks.length + second.body.webhooks.length);
    assert.equal((await api.inject('GET', '/api/2.0/mlflow/webhooks?max_results=0')).status, 400);
    assert.equal((await api.inject('GET', '/api/2.0/mlflow/webhooks?page_token=%25%25')).status, 400);
  });

  void it('refuses bad input with 400 INVALID_PARAMETER_VALUE', async () => {
    const cases: Record<string, unknown>[] = [
      { name: '' },
      { url: '' },
      { events: [] },
      { events: [{ entity: 'NOPE', action: 'CREATED' }] },
      { events: [{ entity: 'MODEL_VERSION', action: 'NOPE' }] },
      { events: [{ entity: 'REGISTERED_MODEL', action: 'DELETED' }] },
      { events: [{ entity: 'MODEL_VERSION_TAG', action: 'CREATED' }] },
      { status: 'DELETED' },
      { url: 'not a url' },
      { url: 'file:///etc/passwd' },
      { url: 'gopher://127.0.0.1:70/' },
      { url: 'ftp://example.com/' },
      { url: 'data:text/plain,hello' },
      { url: 'javascript:alert(1)' },
    ];
    for (const body of cases) {
      const res = await create(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error_code, 'INVALID_PARAMETER_VALUE');
    }
    const message = (await create({ events: [{ entity: 'MODEL_VERSION_ALIAS', action: 'SET' }] })).body.message;
    assert.equal(
      message,
      "Invalid action 'set' for entity 'model_version_alias'. Valid actions are: ['created', 'deleted']",
    );
  });

  void it('accepts every pair MLflow accepts', async () => {
    const res = await create({
      events: [
        { entity: 'REGISTERED_MODEL', action: 'CREATED' },
        { entity: 'MODEL_VERSION_TAG', action: 'DELETED' },
        { entity: 'MODEL_VERSION_ALIAS', action: 'DELETED' },
        { entity: 'PROMPT', action: 'CREATED' },
        { entity: 'PROMPT_VERSION_TAG', action: 'SET' },
        { entity: 'PROMPT_ALIAS', action: 'CREATED' },
      ],
    });
    assert.equal(res.status, 200);
  });

  void it('tests a webhook: signed example payload, status reported, target body never echoed', async () => {
    const hook = (await create({ secret: 's3cret' })).body.webhook;
    receiver.requests.length = 0;
    const res = await api.inject('POST', `webhooks/${hook.webhook_id}/test`, {});
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { result: { success: true, response_status: 200 } });
    assert.ok(!JSON.stringify(res.body).includes('RECEIVER-SECRET-BODY'));
    const sent = receiver.requests[0]!;
    const payload = JSON.parse(sent.body);
    assert.equal(payload.entity, 'model_version');
    assert.equal(payload.action, 'created');
    assert.equal(payload.data.name, 'example_model');
    assert.match(String(sent.headers['x-mlflow-signature']), /^v1,/);

    receiver.respond = () => ({ status: 500, body: 'RECEIVER-SECRET-BODY' });
    const failed = await api.inject('POST', `webhooks/${hook.webhook_id}/test`, {
      event: { entity: 'MODEL_VERSION_ALIAS', action: 'DELETED' },
    });
    assert.equal(failed.body.result.success, false);
    assert.equal(failed.body.result.response_status, 500);
    assert.ok(!JSON.stringify(failed.body).includes('RECEIVER-SECRET-BODY'));
    assert.equal(JSON.parse(receiver.requests.at(-1)!.body).data.alias, 'example_alias');
    receiver.respond = () => ({ status: 200, body: 'RECEIVER-SECRET-BODY' });

    const bad = await api.inject('POST', `webhooks/${hook.webhook_id}/test`, { event: { entity: 'X', action: 'Y' } });
    assert.equal(bad.status, 400);
    assert.equal((await api.inject('POST', 'webhooks/0000/test', {})).status, 404);
  });

  void it('lists deliveries only for an existing webhook', async () => {
    assert.equal((await api.inject('GET', '/api/2.0/plumb/webhooks/nope/deliveries')).status, 404);
    const hook = (await create({})).body.webhook;
    const res = await api.inject('GET', `/ajax-api/2.0/plumb/webhooks/${hook.webhook_id}/deliveries`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {});
  });
});

void describe('webhooks API without an encryption key', () => {
  let api: WebhookTestApp;
  before(async () => {
    api = await webhookApp({ env: { PLUMB_WEBHOOK_SECRET_KEY: '' } });
  });
  after(() => api.close());

  void it('refuses a secret with a clear 400 and accepts a webhook without one', async () => {
    const body = { name: 'h', url: 'https://example.com/hook', events: EVENTS };
    const refused = await api.inject('POST', 'webhooks', { ...body, secret: 's' });
    assert.equal(refused.status, 400);
    assert.match(refused.body.message, /PLUMB_WEBHOOK_SECRET_KEY/);
    assert.equal((await api.inject('POST', 'webhooks', body)).status, 200);
  });
});
