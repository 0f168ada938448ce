/** Plumb's dump format: what it writes reads back exactly, and a damaged dump is refused, never half-read. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { openMetadataStore } from '../../src/app.ts';
import { DUMP_TABLES, SCHEMA_TABLES } from '../../src/store/sql/dump-tables.ts';
import {
  DUMP_FORMAT,
  DumpFileWriter,
  type DumpEvent,
  type DumpHeader,
  readDump,
  readDumpHeader,
} from '../../src/transfer/dump-format.ts';

const HEADER: DumpHeader = {
  format: DUMP_FORMAT,
  version: 1,
  createdAt: 1_700_000_000_000,
  plumbVersion: '0.1.0',
  engine: 'sqlite',
  migrations: [{ version: 1, name: 'tracking', checksum: 'a'.repeat(64) }],
};
const METRICS = {
  table: 'metrics',
  rows: 3,
  columns: [
    { name: 'key', kind: 'text' },
    { name: 'value', kind: 'number' },
    { name: 'step', kind: 'integer' },
  ],
} as const;
const ROWS = [
  ['loss', 0.5, 0],
  ['loss', Number.POSITIVE_INFINITY, 1],
  ['note', null, 2],
] as const;

let dir = '';

async function writeSample(name: string): Promise<string> {
  const path = join(dir, name);
  const writer = DumpFileWriter.create(path);
  await writer.header(HEADER);
  await writer.table(METRICS);
  await writer.rowsOf(ROWS);
  await writer.table({ table: 'tags', rows: 0, columns: [{ name: 'key', kind: 'text' }] });
  await writer.finish();
  return path;
}

async function readAll(path: string): Promise<DumpEvent[]> {
  const events: DumpEvent[] = [];
  for await (const event of readDump(path)) events.push(event);
  return events;
}

void describe('dump format', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'plumb-dump-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  void it('reads back what it wrote, compressed or not, non-finite numbers included', async () => {
    for (const name of ['plain.jsonl', 'packed.jsonl.gz']) {
      const path = await writeSample(name);
      assert.deepEqual(await readDumpHeader(path), HEADER);
      const events = await readAll(path);
      assert.deepEqual(
        events.map((e) => e.kind),
        ['table', 'rows', 'table', 'end'],
      );
      assert.deepEqual(events[1]?.kind === 'rows' && events[1].rows, ROWS);
      assert.deepEqual(events.at(-1), { kind: 'end', tables: 2, rows: 3 });
    }
    const packed = readFileSync(join(dir, 'packed.jsonl.gz'));
    assert.deepEqual([packed[0], packed[1]], [0x1f, 0x8b]);
  });

  void it('refuses a truncated dump', async () => {
    const path = await writeSample('truncated.jsonl');
    truncateSync(path, readFileSync(path).length - 20);
    await assert.rejects(readAll(path), { code: 'DATA_LOSS', message: /ends before its footer|not valid JSON/ });
  });

  void it('refuses an edited value (checksum) and a row with the wrong number of values', async () => {
    const path = await writeSample('edited.jsonl');
    writeFileSync(path, readFileSync(path, 'utf8').replace('["loss",0.5,0]', '["loss",0.6,0]'));
    await assert.rejects(readAll(path), { code: 'DATA_LOSS', message: /checksum or the counts/ });
    const short = await writeSample('short.jsonl');
    writeFileSync(short, readFileSync(short, 'utf8').replace('["loss",0.5,0]', '["loss",0.5]'));
    await assert.rejects(readAll(short), { code: 'DATA_LOSS', message: /line 3: 2 values for 3 columns/ });
  });

  void it('refuses a value of the wrong kind and a file that is not a dump', async () => {
    const path = await writeSample('kind.jsonl');
    writeFileSync(path, readFileSync(path, 'utf8').replace('["loss",0.5,0]', '["loss","x",0]'));
    await assert.rejects(readAll(path), { code: 'DATA_LOSS', message: /column value \(number\) holds "x"/ });
    const other = join(dir, 'other.json');
    writeFileSync(other, '{"hello":1}\n');
    await assert.rejects(readDumpHeader(other), { code: 'DATA_LOSS', message: /not a plumb-dump v1 header/ });
  });

  void it('lists every table the migrations create, with keys that are real columns', async () => {
    const path = join(dir, 'schema.db');
    const store = openMetadataStore({ kind: 'sqlite', uri: `sqlite:///${path}`, path });
    await store.schema.createIfEmpty();
    await store.close();
    const db = new BetterSqlite3(path, { readonly: true });
    try {
      const tables = (
        db.prepare(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`).all() as {
          name: string;
        }[]
      ).map((t) => t.name);
      const listed = new Set([...DUMP_TABLES.map((t) => t.name), ...SCHEMA_TABLES]);
      assert.deepEqual(
        tables.filter((t) => !listed.has(t)),
        [],
        'add new tables to DUMP_TABLES',
      );
      for (const spec of DUMP_TABLES) {
        const columns = new Set(
          (db.prepare(`select name from pragma_table_info(?)`).all(spec.name) as { name: string }[]).map((c) => c.name),
        );
        for (const column of [...spec.key, ...(spec.serial ? [spec.serial] : [])]) {
          assert.ok(columns.has(column), `${spec.name}.${column}`);
        }
      }
    } finally {
      db.close();
    }
  });
});
