/** --allowed-client-versions in warn and reject modes, with the User-Agents MLflow's clients really send. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientVersionPolicy, parseClientVersionRules } from '../../src/telemetry/client-version-policy.ts';
import { appWithLogs, parseExposition, samplesOf } from './telemetry-helpers.ts';

// The first is what the official Python client sent in the recorded wire fixtures (shared/fixtures/mlflow-wire).
const PYTHON_CURRENT = 'mlflow-python-client/3.11.2.dev0';
const PYTHON_OLD = 'mlflow-python-client/2.9.2';
const JAVA_OLD = 'mlflow-java-client/2.15.1';
const JAVA_CURRENT = 'mlflow-java-client/2.16.0';
const PLUMB_TS = 'plumb-ts-client/0.1.0';
const REQUESTS = 'python-requests/2.34.2';
const CURL = 'curl/8.5.0';
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';

type Inject = (userAgent: string, url?: string) => Promise<{ statusCode: number; json(): Record<string, unknown> }>;

function injector(app: Awaited<ReturnType<typeof appWithLogs>>['app']): Inject {
  return (userAgent, url = '/api/2.0/mlflow/experiments/get?experiment_id=0') =>
    app.http.inject({ url, headers: { 'user-agent': userAgent } });
}

void describe('client-version policy', () => {
  void it('reject: answers 403 PERMISSION_DENIED naming the range to clients outside it, serves everyone else', async () => {
    const { app, close } = await appWithLogs({
      PLUMB_ALLOWED_CLIENT_VERSIONS: '>=2.16 <4; plumb-ts-client >=0.1',
      PLUMB_CLIENT_VERSION_POLICY: 'reject',
      PLUMB_METRICS: 'true',
      PLUMB_LOG_LEVEL: 'silent',
    });
    const get = injector(app);
    try {
      for (const agent of [PYTHON_OLD, JAVA_OLD]) {
        const refused = await get(agent);
        assert.equal(refused.statusCode, 403, agent);
        assert.equal(refused.json().error_code, 'PERMISSION_DENIED');
        assert.match(String(refused.json().message), /versions '>=2\.16 <4' only; this client is 2\.(9\.2|15\.1)/);
      }
      for (const agent of [PYTHON_CURRENT, JAVA_CURRENT, PLUMB_TS, REQUESTS, CURL, BROWSER, '']) {
        assert.equal((await get(agent)).statusCode, 200, agent);
      }
      // Health checks and scrapes are answered whatever the client.
      assert.equal((await get(PYTHON_OLD, '/health')).statusCode, 200);
      const metrics = await app.http.inject({ url: '/metrics', headers: { 'user-agent': PYTHON_OLD } });
      assert.equal(metrics.statusCode, 200);
      const samples = parseExposition(metrics.body);
      const outside = { client: 'mlflow-python-client', version: '2.9.2', verdict: 'outside' };
      assert.deepEqual(samplesOf(samples, 'plumb_client_requests_total', outside), [3]);
      assert.deepEqual(
        samplesOf(samples, 'plumb_client_requests_total', { client: 'mlflow-java-client', verdict: 'allowed' }),
        [1],
      );
      assert.deepEqual(
        samplesOf(samples, 'plumb_client_requests_total', { client: 'curl', verdict: 'unrecognised' }),
        [1],
      );
      assert.deepEqual(samplesOf(samples, 'plumb_client_requests_total', { client: 'plumb-ts-client' }), [1]);
    } finally {
      await close();
    }
  });

  void it('reject with --reject-unrecognised-clients also refuses curl, browsers and requests without a User-Agent', async () => {
    const { app, close } = await appWithLogs({
      PLUMB_ALLOWED_CLIENT_VERSIONS: '>=2.16',
      PLUMB_CLIENT_VERSION_POLICY: 'reject',
      PLUMB_REJECT_UNRECOGNISED_CLIENTS: 'true',
      PLUMB_LOG_LEVEL: 'silent',
    });
    const get = injector(app);
    try {
      for (const agent of [CURL, BROWSER, REQUESTS]) {
        const refused = await get(agent);
        assert.equal(refused.statusCode, 403, agent);
        assert.match(String(refused.json().message), /MLflow and Plumb clients only/);
      }
      const anonymous = await app.http.inject({ url: '/api/2.0/mlflow/experiments/get?experiment_id=0' });
      assert.equal(anonymous.statusCode, 403);
      assert.equal((await get(PYTHON_CURRENT)).statusCode, 200);
      // No rule for Plumb's own client: it is recognised, so served.
      assert.equal((await get(PLUMB_TS)).statusCode, 200);
    } finally {
      await close();
    }
  });

  void it('warn (the default): serves every client and logs each version outside the range once per interval', async () => {
    const { app, lines, close } = await appWithLogs({ PLUMB_ALLOWED_CLIENT_VERSIONS: '>=2.16 <4' });
    const get = injector(app);
    try {
      for (let i = 0; i < 3; i++) {
        assert.equal((await get(PYTHON_OLD)).statusCode, 200);
        assert.equal((await get(JAVA_OLD)).statusCode, 200);
        assert.equal((await get(PYTHON_CURRENT)).statusCode, 200);
      }
      const warnings = lines.filter((line) => line.msg === 'client version outside the allowed range');
      assert.deepEqual(
        warnings.map((line) => [line.level, line.client, line.clientVersion, line.allowed]),
        [
          [40, 'mlflow-python-client', '2.9.2', '>=2.16 <4'],
          [40, 'mlflow-java-client', '2.15.1', '>=2.16 <4'],
        ],
      );
    } finally {
      await close();
    }
  });

  void it('warns again for a version once the interval has passed, not before', () => {
    let now = 1_000_000;
    const warnings: object[] = [];
    const rules = parseClientVersionRules('>=2.16 <4');
    assert.ok(typeof rules !== 'string');
    const policy = new ClientVersionPolicy(
      { rules, mode: 'warn', rejectUnrecognised: false, warnIntervalMs: 60_000 },
      { logger: { warn: (details) => warnings.push(details) }, now: () => now },
    );
    for (let i = 0; i < 5; i++) assert.equal(policy.evaluate(PYTHON_OLD).refusal, undefined);
    assert.equal(warnings.length, 1);
    now += 59_999;
    policy.evaluate(PYTHON_OLD);
    assert.equal(warnings.length, 1);
    now += 1;
    policy.evaluate(PYTHON_OLD);
    assert.equal(warnings.length, 2);
    assert.equal(policy.evaluate(PYTHON_CURRENT).check.verdict, 'allowed');
    assert.equal(warnings.length, 2);
  });

  void it('parses bare ranges for MLflow clients and per-client entries, and names the entry that is wrong', () => {
    const rules = parseClientVersionRules('>=2.16 <4; plumb-ts-client >=0.3; mlflow-java-client 2.x');
    assert.ok(typeof rules !== 'string');
    assert.equal(rules.mlflow, '>=2.16 <4');
    assert.deepEqual(
      [...rules.byClient],
      [
        ['plumb-ts-client', '>=0.3'],
        ['mlflow-java-client', '2.x'],
      ],
    );
    assert.match(
      String(parseClientVersionRules('>=2.16; mlflow-python-client newest')),
      /'mlflow-python-client newest'/,
    );
    assert.match(String(parseClientVersionRules(' ; ')), /no version range/);
  });
});
