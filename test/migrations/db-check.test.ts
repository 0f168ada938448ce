/**
 * `plumb db check` as an operator runs it: read-only, exit 0 only when the schema is exactly what
 * this release's migrations create, and one line per problem otherwise.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MIGRATIONS } from '../../src/store/sql/migrations/index.ts';
import { runPlumb } from '../helpers/plumb-process.ts';
import { snapshot, tamper, upgradeWith } from './schema-fixtures.ts';

let root = '';
let counter = 0;

async function dbCheck(dbPath: string) {
  const result = await runPlumb(['db', 'check', '--backend-store-uri', `sqlite:///${dbPath}`], {
    cwd: root,
    timeoutMs: 60_000,
  });
  assert.equal(result.timedOut, false, 'plumb db check did not finish');
  return result;
}

async function migratedDb(): Promise<string> {
  const dbPath = join(mkdtempSync(join(root, `case-${++counter}-`)), 'mlruns.db');
  await upgradeWith(dbPath, MIGRATIONS);
  return dbPath;
}

void describe('plumb db check (real processes)', () => {
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'plumb-db-check-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  void it('passes on a fully migrated database and changes nothing', async () => {
    const dbPath = await migratedDb();
    const before = snapshot(dbPath);
    const result = await dbCheck(dbPath);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^OK: the schema matches this release$/m);
    assert.deepEqual(snapshot(dbPath), before);
  });

  void it('reports a missing index, table and unique key, and exits 1', async () => {
    const dbPath = await migratedDb();
    tamper(dbPath, 'drop index webhook_deliveries_due_idx');
    tamper(dbPath, 'drop table server_nodes');
    // A table rebuilt without its unique constraint, as a hand-made restore might leave it.
    for (const statement of [
      'create table params_rebuilt (seq integer primary key autoincrement, run_uuid varchar(32) not null references runs (run_uuid), key varchar(250) not null, value text not null)',
      'insert into params_rebuilt select * from params',
      'drop table params',
      'alter table params_rebuilt rename to params',
    ]) {
      tamper(dbPath, statement);
    }
    const result = await dbCheck(dbPath);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^MISSING {2}index webhook_deliveries_due_idx$/m);
    assert.match(result.stdout, /^MISSING {2}table server_nodes$/m);
    // The index of the dropped table went with it and is reported too.
    assert.match(result.stdout, /^MISSING {2}index server_nodes_heartbeat_idx$/m);
    assert.match(result.stdout, /^MISSING {2}unique key params\(key, run_uuid\)$/m);
    assert.match(result.stdout, /^MISSING {2}unique key server_nodes\(node_id\)$/m);
    assert.equal(result.stdout.match(/^MISSING {2}unique key/gm)?.length, 2, result.stdout);
  });

  void it('reports pending migrations and checksum mismatches, and exits 1', async () => {
    const dbPath = join(mkdtempSync(join(root, `case-${++counter}-`)), 'mlruns.db');
    await upgradeWith(dbPath, MIGRATIONS.slice(0, -1));
    tamper(dbPath, "update schema_migrations set checksum = 'bogus' where version = 1");
    const result = await dbCheck(dbPath);
    assert.equal(result.code, 1);
    const last = MIGRATIONS.at(-1)!;
    assert.match(
      result.stdout,
      new RegExp(`^pending {2}${last.version} ${last.name} \\(run plumb db upgrade\\)$`, 'm'),
    );
    assert.match(result.stdout, /^MISMATCH 1: recorded bogus, expected [0-9a-f]{64}$/m);
  });
});
