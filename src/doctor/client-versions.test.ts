import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientSightings, clientOfUserAgent, MAX_DISTINCT_CLIENTS } from './client-sightings.ts';
import { clientFindings, parseAllowedClients, versionAllowed } from './client-versions.ts';

void describe('client versions from User-Agent', () => {
  it('reads the first product token as client and version', () => {
    assert.deepEqual(clientOfUserAgent('mlflow-python-client/3.11.2.dev0'), {
      client: 'mlflow-python-client',
      version: '3.11.2.dev0',
    });
    assert.deepEqual(clientOfUserAgent('mlflow-java-client/2.16.0 (Linux)'), {
      client: 'mlflow-java-client',
      version: '2.16.0',
    });
    assert.deepEqual(clientOfUserAgent('Mozilla/5.0 (X11; Linux x86_64) Chrome/131'), {
      client: 'browser',
      version: '-',
    });
    assert.deepEqual(clientOfUserAgent('python-requests'), { client: 'python-requests', version: '-' });
    assert.deepEqual(clientOfUserAgent(undefined), { client: '(none)', version: '-' });
    assert.deepEqual(clientOfUserAgent('   '), { client: '(none)', version: '-' });
    assert.deepEqual(clientOfUserAgent('(weird)'), { client: '(other)', version: '-' });
    assert.equal(clientOfUserAgent(`${'x'.repeat(200)}/1`).client.length, 64);
  });

  it('counts per client version, bounds the distinct ones, and gives back what could not be stored', () => {
    const sightings = new ClientSightings();
    sightings.note('mlflow-python-client/3.1.0');
    sightings.note('mlflow-python-client/3.1.0');
    for (let i = 0; i < MAX_DISTINCT_CLIENTS + 10; i++) sightings.note(`bot/${i}`);
    const drained = sightings.drain();
    assert.equal(drained.length, MAX_DISTINCT_CLIENTS + 1);
    assert.equal(drained.find((s) => s.client === 'mlflow-python-client')?.requests, 2);
    assert.equal(drained.find((s) => s.client === '(other)')?.requests, 11);
    assert.deepEqual(sightings.drain(), []);
    sightings.restore(drained.slice(0, 1));
    sightings.note('mlflow-python-client/3.1.0');
    assert.deepEqual(sightings.drain(), [{ client: 'mlflow-python-client', version: '3.1.0', requests: 3 }]);
  });

  it('parses allowed ranges and refuses what is not one', () => {
    const allowed = parseAllowedClients('mlflow-python-client >=2.20 <4; mlflow-java-client >=2.16 ;');
    assert.deepEqual(
      [...allowed],
      [
        ['mlflow-python-client', '>=2.20.0 <4.0.0-0'],
        ['mlflow-java-client', '>=2.16.0'],
      ],
    );
    assert.throws(() => parseAllowedClients('mlflow-python-client'), /is not '<client> <version range>'/);
    assert.throws(() => parseAllowedClients('mlflow-python-client banana'), /is not '<client> <version range>'/);
    assert.throws(() => parseAllowedClients(' ; '), /empty/);
  });

  it('reads PEP 440 releases by their release number', () => {
    assert.equal(versionAllowed('3.11.2.dev0', '>=3.0 <4'), true);
    assert.equal(versionAllowed('2.9.0rc1', '>=3.0 <4'), false);
    assert.equal(versionAllowed('4.0.0', '>=3.0 <4'), false);
    assert.equal(versionAllowed('-', '>=3.0'), false);
  });

  it('flags only the clients the allowed list names', () => {
    const seen = (client: string, version: string) => ({ client, version, requests: 1, firstSeen: 0, lastSeen: 0 });
    const findings = clientFindings([seen('mlflow-python-client', '2.1.0'), seen('curl', '8.0.0')], {
      withinMs: 86_400_000,
      allowed: parseAllowedClients('mlflow-python-client >=3'),
      cap: 20,
    });
    assert.deepEqual(
      findings.map((f) => [f.id, f.severity, f.where?.count]),
      [
        ['config.clients', 'info', 2],
        ['config.client-out-of-range', 'error', 1],
      ],
    );
  });
});
