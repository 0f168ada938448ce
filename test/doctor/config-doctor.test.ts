/**
 * `plumb doctor config`: two replicas on one database (a shared SQLite file), one started with
 * another artifact root; doctor names the differing setting field by field. And the CI baseline:
 * written from one configuration, compared with another.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAllowedClients } from '../../src/doctor/client-versions.ts';
import { parseConfigBaseline } from '../../src/doctor/config-baseline.ts';
import type { Finding } from '../../src/doctor/finding.ts';
import { createTestApp, type TestApp } from '../helpers/test-server.ts';
import { errorsOf, findingOf, ids, withDoctor } from './doctor-fixtures.ts';

void describe('plumb doctor config', () => {
  let dir: string;
  let uri: string;
  const apps: TestApp[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plumb-doctor-config-'));
    uri = `sqlite:///${join(dir, 'shared.db')}`;
    for (const root of ['artifacts', 'artifacts-odd']) {
      apps.push(
        await createTestApp({
          env: { MLFLOW_BACKEND_STORE_URI: uri, PLUMB_NODE_HEARTBEAT_MS: '500' },
          artifactsDestination: join(dir, root),
        }),
      );
    }
  });
  after(async () => {
    for (const app of apps) await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const target = (root: string) => ({ backendStoreUri: uri, artifactsDestination: join(dir, root) });

  it('lists the live nodes and names the setting in which a replica differs', async () => {
    const [first, odd] = apps.map((a) => a.app.nodes.nodeId);
    const findings = await withDoctor(dir, (doctor) => doctor.config.run(), target('artifacts'));
    assert.deepEqual(ids(findings), ['config.drift', 'config.no-clients', 'config.nodes']);
    assert.equal(findingOf(findings, 'config.nodes').where?.count, 2);
    const drift = findingOf(findings, 'config.drift');
    assert.equal(drift.severity, 'error');
    // On a tie the oldest node's configuration is the reference: the later, odd one drifts.
    assert.match(
      drift.summary,
      new RegExp(`differs from the reference \\(node ${first}\\) in artifactsDestination\\.path\\.$`),
    );
    assert.deepEqual(drift.where?.items, [
      `${odd} (127.0.0.1:0): artifactsDestination.path: ${JSON.stringify(join(dir, 'artifacts'))} → ${JSON.stringify(join(dir, 'artifacts-odd'))}`,
    ]);
    assert.doesNotMatch(JSON.stringify(findings), /password/i);
  });

  it('lists the client versions the servers saw and flags those outside the allowed range', async () => {
    const [app] = apps;
    for (const userAgent of ['mlflow-python-client/2.9.2', 'mlflow-python-client/3.11.2.dev0', 'curl/8.5.0']) {
      const response = await app!.app.http.inject({ url: '/health', headers: { 'user-agent': userAgent } });
      assert.equal(response.statusCode, 200);
    }
    const allowedClients = parseAllowedClients('mlflow-python-client >=3.0 <4');
    // Servers store their counts at each heartbeat (500 ms here).
    let findings: Finding[] = [];
    for (let attempt = 0; attempt < 40; attempt++) {
      findings = await withDoctor(dir, (doctor) => doctor.config.run({ allowedClients }), target('artifacts'));
      if (ids(findings).includes('config.clients')) break;
      await sleep(250);
    }
    const listed = findingOf(findings, 'config.clients').where?.items ?? [];
    for (const client of ['curl 8.5.0', 'mlflow-python-client 2.9.2', 'mlflow-python-client 3.11.2.dev0']) {
      assert.ok(
        listed.some((item) => item.startsWith(`${client}: 1 request`)),
        `${client} in ${listed.join(' | ')}`,
      );
    }
    const outside = findingOf(findings, 'config.client-out-of-range');
    assert.equal(outside.severity, 'error');
    assert.equal(outside.where?.count, 1);
    assert.match(
      outside.where?.items[0] ?? '',
      /^mlflow-python-client 2\.9\.2: 1 request, .* \(allowed >=3\.0\.0 <4\.0\.0-0\)$/,
    );
    assert.match(outside.repair, /pip install -U mlflow/);
  });

  it("warns when doctor's own configuration differs from the servers'", async () => {
    const findings = await withDoctor(dir, (doctor) => doctor.config.run(), target('somewhere-else'));
    assert.match(findingOf(findings, 'config.cli-differs').summary, /in artifactsDestination\.path:/);
  });

  it('a baseline written from one configuration fails another, naming the setting', async () => {
    const baseline = await withDoctor(dir, async (doctor) => doctor.config.baseline(new Date()), target('artifacts'));
    const content = parseConfigBaseline(JSON.stringify(baseline), 'baseline.json');
    const same = await withDoctor(
      dir,
      (doctor) => doctor.config.run({ baseline: { file: 'baseline.json', content } }),
      target('artifacts'),
    );
    assert.equal(findingOf(same, 'config.baseline').severity, 'info');
    const moved = await withDoctor(
      dir,
      (doctor) => doctor.config.run({ baseline: { file: 'baseline.json', content } }),
      target('artifacts-odd'),
    );
    assert.deepEqual(errorsOf(moved), ['config.baseline-drift', 'config.drift']);
    const drift = findingOf(moved, 'config.baseline-drift');
    assert.match(drift.summary, /differs from the baseline baseline\.json in artifactsDestination\.path\./);
    assert.match(drift.repair, /--write-baseline baseline\.json/);
  });

  it('refuses a baseline file that is not one', () => {
    assert.throws(
      () => parseConfigBaseline('{"format":"other"}', 'ci/plumb.json'),
      /ci\/plumb\.json is not a plumb-config-baseline v1 file/,
    );
    assert.throws(() => parseConfigBaseline('not json', 'x.json'), /x\.json is not JSON/);
  });
});
