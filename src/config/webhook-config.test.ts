import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, describeConfig, loadConfig } from './config.ts';

const load = (env: Record<string, string>) => loadConfig(env, {}, '/tmp');

void describe('webhook configuration', () => {
  void it('defaults to MLflow’s: https only, 30 s timeout, 3 retries, no key, no allow-list', () => {
    const { webhooks } = load({});
    assert.deepEqual(webhooks.allowedSchemes, ['https']);
    assert.deepEqual(webhooks.allowedHosts, []);
    assert.equal(webhooks.requestTimeoutMs, 30_000);
    assert.equal(webhooks.maxRetries, 3);
    assert.equal(webhooks.maxWorkers, 10);
    assert.equal(webhooks.secretKey, undefined);
  });

  void it('reads the key from PLUMB_WEBHOOK_SECRET_KEY or MLflow’s variable, as hex or base64, and redacts it', () => {
    assert.equal(load({ PLUMB_WEBHOOK_SECRET_KEY: 'ab'.repeat(32) }).webhooks.secretKey?.length, 32);
    const fernet = Buffer.alloc(32, 7).toString('base64url');
    const config = load({ MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY: fernet });
    assert.deepEqual(config.webhooks.secretKey, Buffer.alloc(32, 7));
    assert.equal((describeConfig(config).webhooks as { secretKey: unknown }).secretKey, '***');
  });

  void it('reads schemes, allow-list and limits, and reports every bad value', () => {
    const { webhooks } = load({
      MLFLOW_WEBHOOK_ALLOWED_SCHEMES: 'HTTP, https',
      PLUMB_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1, 10.0.0.0/8, hooks.internal',
      MLFLOW_WEBHOOK_REQUEST_TIMEOUT: '5',
      MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES: '0',
    });
    assert.deepEqual(webhooks.allowedSchemes, ['http', 'https']);
    assert.deepEqual(webhooks.allowedHosts, ['127.0.0.1', '10.0.0.0/8', 'hooks.internal']);
    assert.equal(webhooks.requestTimeoutMs, 5000);
    assert.equal(webhooks.maxRetries, 0);
    assert.throws(
      () =>
        load({
          PLUMB_WEBHOOK_SECRET_KEY: 'short',
          MLFLOW_WEBHOOK_ALLOWED_SCHEMES: 'file',
          PLUMB_WEBHOOK_ALLOWED_HOSTS: '10.0.0.0/99',
          MLFLOW_WEBHOOK_REQUEST_TIMEOUT: '0',
        }),
      (error: unknown) => error instanceof ConfigError && error.problems.length === 4,
    );
  });
});
