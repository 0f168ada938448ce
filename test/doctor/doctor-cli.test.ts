/**
 * `plumb doctor` as an operator runs it, as real processes (each costs ~2.5 CPU-s, so only the
 * command's own logic is tested here; the checks are tested in process): exit codes, the text
 * and JSON reports, --fix with and without confirmation, baselines, and an MLflow database left
 * byte for byte as it was.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MIGRATIONS } from '../../src/store/sql/migrations/index.ts';
import { runPlumb } from '../helpers/plumb-process.ts';
import { upgradeWith } from '../migrations/schema-fixtures.ts';
import { scalar, tamper } from './doctor-fixtures.ts';

const MLFLOW_DB =
  process.env.PLUMB_MLFLOW_DB_FIXTURE ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'fixtures', 'mlflow-db');
const GHOST_RUN = 'abad1deaabad1deaabad1deaabad1dea';

interface JsonReport {
  findings: { id: string; severity: string; summary: string; repaired: boolean; where?: { items: string[] } }[];
  repairs: { findingId: string; repaired: boolean; done: string }[];
  fixNote?: string;
  exitCode: number;
}

const sha256Of = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

void describe('plumb doctor (real processes)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'plumb-doctor-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const plumb = async (args: string[]) => {
    const result = await runPlumb(['doctor', ...args], { cwd: dir, timeoutMs: 60_000 });
    assert.equal(result.timedOut, false, `plumb doctor ${args.join(' ')} did not finish`);
    return result;
  };

  it('on the MLflow fixture: names release 3.11 and the stuck run, repairs nothing, exits 0', async () => {
    const copy = join(dir, 'mlflow.db');
    copyFileSync(join(MLFLOW_DB, 'mlflow.db'), copy);
    const before = sha256Of(copy);
    const result = await plumb([
      '--json',
      '--fix',
      '--yes',
      '--stuck-after',
      '1h',
      '--backend-store-uri',
      `sqlite:///${copy}`,
      '--artifacts-destination',
      join(dir, 'no-artifacts'),
    ]);
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.equal(result.stderr, '', 'no progress line when stderr is not a terminal');
    const report = JSON.parse(result.stdout) as JsonReport;
    assert.deepEqual(report.findings.map((f) => f.id).sort(), [
      'artifacts.no-manifest',
      'config.no-node-registry',
      'db.mlflow-schema',
      'db.stuck-runs',
    ]);
    assert.match(
      report.findings.find((f) => f.id === 'db.mlflow-schema')?.summary ?? '',
      /ae8bbe7743c9: the schema of MLflow 3\.11/,
    );
    assert.deepEqual(
      report.findings.find((f) => f.id === 'db.stuck-runs')?.where?.items.map((i) => i.split(' ')[0]),
      ['aaee6897350a4bc4a3c29d307594500e'],
    );
    assert.deepEqual(report.repairs, []);
    assert.match(report.fixNote ?? '', /nothing here can be repaired automatically/);
    assert.equal(sha256Of(copy), before);
  });

  it('on a damaged Plumb database: exit 1, --fix waits for --yes off a terminal, then repairs and exits 0', async () => {
    const db = join(dir, 'plumb.db');
    const uri = `sqlite:///${db}`;
    await upgradeWith(db, MIGRATIONS);
    await tamper(uri, [
      'drop index latest_metrics_key_value_idx',
      `insert into metrics (run_uuid, key, value, timestamp, step, is_nan) values ('${GHOST_RUN}', 'loss', 1, 1, 0, 0)`,
    ]);

    const unconfirmed = await plumb(['db', '--fix', '--backend-store-uri', uri]);
    assert.equal(unconfirmed.code, 1, unconfirmed.stderr + unconfirmed.stdout);
    assert.match(unconfirmed.stdout, /^\[db\] sqlite:\/\/\/.*plumb\.db$/m);
    assert.match(
      unconfirmed.stdout,
      /^ {2}ERROR {3}db\.orphan-metrics: 1 row in metrics belongs? to a run that does not exist/m,
    );
    assert.match(unconfirmed.stdout, new RegExp(`^ {13}- ${GHOST_RUN}$`, 'm'));
    assert.match(
      unconfirmed.stdout,
      /repair \(--fix\): `plumb doctor db --fix --backend-store-uri 'sqlite:\/\/\/.*plumb\.db'` deletes it/,
    );
    assert.match(
      unconfirmed.stdout,
      /^ {2}ERROR {3}db\.missing-indexes: .*\n.*\n {13}- latest_metrics_key_value_idx$/m,
    );
    assert.match(
      unconfirmed.stdout,
      /--fix: not repairing 2 finding\(s\) without confirmation; stdin is not a terminal, so add --yes\./,
    );
    assert.match(unconfirmed.stdout, /^2 errors, 0 warnings, 1 info$/m);
    assert.equal(await scalar(uri, 'select count(*) from metrics'), 1);

    const fixed = await plumb(['db', '--fix', '--yes', '--json', '--backend-store-uri', uri]);
    assert.equal(fixed.code, 0, fixed.stderr + fixed.stdout);
    const report = JSON.parse(fixed.stdout) as JsonReport;
    assert.deepEqual(report.repairs, [
      { findingId: 'db.missing-indexes', repaired: true, done: 'recreated 1 index: latest_metrics_key_value_idx' },
      { findingId: 'db.orphan-metrics', repaired: true, done: 'deleted 1 orphan row from metrics' },
    ]);
    assert.deepEqual(
      report.findings.filter((f) => f.severity === 'error').map((f) => [f.id, f.repaired]),
      [
        ['db.missing-indexes', true],
        ['db.orphan-metrics', true],
      ],
    );
    assert.equal(report.exitCode, 0);
    assert.equal(await scalar(uri, 'select count(*) from metrics'), 0);
  });

  it('--write-baseline, then --baseline with another artifact root: exit 1 naming the setting', async () => {
    const db = join(dir, 'plumb.db');
    const baseline = join(dir, 'baseline.json');
    const store = ['--backend-store-uri', `sqlite:///${db}`];
    const written = await plumb([
      'config',
      '--write-baseline',
      baseline,
      ...store,
      '--artifacts-destination',
      join(dir, 'a'),
    ]);
    assert.equal(written.code, 0, written.stderr);
    assert.match(readFileSync(baseline, 'utf8'), /"format": "plumb-config-baseline"/);
    const drifted = await plumb([
      'config',
      '--baseline',
      baseline,
      ...store,
      '--artifacts-destination',
      join(dir, 'b'),
    ]);
    assert.equal(drifted.code, 1, drifted.stderr + drifted.stdout);
    assert.match(drifted.stdout, /ERROR {3}config\.baseline-drift: .* in artifactsDestination\.path\./);
    assert.match(
      drifted.stdout,
      new RegExp(`- artifactsDestination\\.path: "${join(dir, 'a')}" → "${join(dir, 'b')}"`),
    );
  });
});
