import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, configFingerprint, configSummary } from './config-fingerprint.ts';
import { loadConfig } from './config.ts';

const CWD = '/srv/plumb';
const fingerprintOf = (env: Record<string, string>, flags: Parameters<typeof loadConfig>[1] = {}) =>
  configFingerprint(configSummary(loadConfig(env, flags, CWD)));

void describe('configFingerprint', () => {
  void it('is the same for the same effective configuration, however it was spelled', () => {
    const a = fingerprintOf({ MLFLOW_BACKEND_STORE_URI: 'postgresql://u:one@db:5432/plumb' });
    const b = fingerprintOf({}, { backendStoreUri: 'postgresql+psycopg2://u:two@db:5432/plumb' });
    assert.equal(a, b);
    assert.match(a, /^[0-9a-f]{64}$/);
  });

  void it('differs when the artifact destination differs', () => {
    assert.notEqual(
      fingerprintOf({}, { artifactsDestination: '/data/a' }),
      fingerprintOf({}, { artifactsDestination: '/data/b' }),
    );
  });

  void it('ignores settings that may differ per node (host, port, log level)', () => {
    assert.equal(
      fingerprintOf({ PLUMB_LOG_LEVEL: 'debug' }, { host: '0.0.0.0', port: 8080 }),
      fingerprintOf({}, { host: '127.0.0.1', port: 5000 }),
    );
  });

  void it('never puts passwords, keys or secret query values into the summary', () => {
    const config = loadConfig(
      {
        MLFLOW_BACKEND_STORE_URI: 'postgresql://plumb:hunter2@db:5432/plumb?sslpassword=alsosecret',
        AZURE_STORAGE_ACCESS_KEY: 'c2VjcmV0LWF6dXJlLWtleQ==',
        PLUMB_WEBHOOK_SECRET_KEY: 'ab'.repeat(32),
      },
      {
        artifactsDestination: 'wasbs://models@acct.blob.core.windows.net/p',
        defaultArtifactRoot: 'https://user:pa55@artifacts.example/root?sig=abc',
      },
      CWD,
    );
    const text = canonicalJson(configSummary(config));
    for (const secret of ['hunter2', 'alsosecret', 'c2VjcmV0LWF6dXJlLWtleQ', 'abab', 'pa55', 'sig=abc']) {
      assert.ok(!text.includes(secret), `${secret} leaked into ${text}`);
    }
    assert.match(text, /postgresql:\/\/plumb@db:5432\/plumb/);
    assert.match(text, /wasbs:\/\/models@acct/);
    assert.match(text, /"secretKeySet":true/);
  });

  void it('canonical JSON sorts keys at every level', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } }),
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
  });
});
