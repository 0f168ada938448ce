import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { z } from 'zod';
import { MlflowError } from '../core/errors.ts';
import type { DumpColumn, DumpRow } from '../store/maintenance-store.ts';

/**
 * Plumb's dump format, version 1: JSON lines, gzip-compressed when the file name ends in `.gz`.
 * The same file is a logical backup (`plumb backup` without pg_dump/mysqldump) and an export.
 *
 *   {"format":"plumb-dump","version":1,"createdAt":…,"plumbVersion":"…","engine":"sqlite","migrations":[…]}
 *   {"table":"experiments","rows":2,"columns":[["experiment_id","integer"],["name","text"],…]}
 *   [0,"Default",…]                       one line per row, values in column order
 *   …                                     tables in foreign-key order (parents first)
 *   {"end":"plumb-dump","tables":26,"rows":1234,"sha256":"…"}
 *
 * Values are JSON numbers, strings or null; a non-finite number (never stored: NaN and ±Infinity
 * are kept as MLflow keeps them) would be "NaN", "Infinity" or "-Infinity". The footer's sha256
 * covers every line before it (uncompressed, each with its "\n"), so a truncated or edited dump
 * is refused before anything of it is committed.
 */
export const DUMP_FORMAT = 'plumb-dump';
/** Characters buffered per write. */
const CHUNK = 256 * 1024;
export const DUMP_VERSION = 1;

export const DumpedMigration = z.object({
  version: z.number().int().positive(),
  name: z.string(),
  checksum: z.string(),
});
export type DumpedMigration = z.infer<typeof DumpedMigration>;

export const DumpHeader = z.object({
  format: z.literal(DUMP_FORMAT),
  version: z.literal(DUMP_VERSION),
  createdAt: z.number().int(),
  plumbVersion: z.string(),
  engine: z.enum(['sqlite', 'postgres', 'mysql']),
  migrations: z.array(DumpedMigration),
});
export type DumpHeader = z.infer<typeof DumpHeader>;

const TableStart = z.object({
  table: z.string().regex(/^[a-z_][a-z0-9_]*$/),
  rows: z.number().int().nonnegative(),
  columns: z.array(z.tuple([z.string().regex(/^[a-z_][a-z0-9_]*$/), z.enum(['integer', 'number', 'text'])])).min(1),
});

const Footer = z.object({
  end: z.literal(DUMP_FORMAT),
  tables: z.number().int().nonnegative(),
  rows: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export interface DumpTableStart {
  readonly table: string;
  readonly rows: number;
  readonly columns: readonly DumpColumn[];
}

export type DumpEvent =
  | { readonly kind: 'table'; readonly table: DumpTableStart }
  | { readonly kind: 'rows'; readonly table: DumpTableStart; readonly rows: readonly DumpRow[] }
  | { readonly kind: 'end'; readonly tables: number; readonly rows: number };

function damaged(path: string, line: number, why: string): MlflowError {
  return new MlflowError('DATA_LOSS', `${path}, line ${line}: ${why}`);
}

/** Writes a dump line by line, hashing what it writes; gzip when the path ends in `.gz`. */
export class DumpFileWriter {
  private readonly hash: Hash = createHash('sha256');
  private tables = 0;
  private rows = 0;

  private constructor(
    private readonly sink: Writable,
    private readonly file: WriteStream,
  ) {}

  static create(path: string): DumpFileWriter {
    const file = createWriteStream(path, { flags: 'wx' });
    if (!path.endsWith('.gz')) return new DumpFileWriter(file, file);
    const gzip = createGzip();
    gzip.pipe(file);
    return new DumpFileWriter(gzip, file);
  }

  /** Lines wait here until a chunk is worth a write: a gzip write per line costs more than the line. */
  private buffered: string[] = [];
  private bufferedLength = 0;

  private async line(text: string): Promise<void> {
    this.buffered.push(text, '\n');
    this.bufferedLength += text.length + 1;
    if (this.bufferedLength >= CHUNK) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.buffered.length === 0) return;
    const data = this.buffered.join('');
    this.buffered = [];
    this.bufferedLength = 0;
    this.hash.update(data);
    if (!this.sink.write(data)) await once(this.sink, 'drain');
  }

  header(header: DumpHeader): Promise<void> {
    return this.line(JSON.stringify(header));
  }

  table(table: DumpTableStart): Promise<void> {
    this.tables += 1;
    return this.line(
      JSON.stringify({ table: table.table, rows: table.rows, columns: table.columns.map((c) => [c.name, c.kind]) }),
    );
  }

  async rowsOf(rows: readonly DumpRow[]): Promise<void> {
    for (const row of rows) {
      this.rows += 1;
      await this.line(JSON.stringify(row.map(encode)));
    }
  }

  /** Writes the footer and waits until the file is on disk. */
  async finish(): Promise<void> {
    await this.flush();
    const footer = { end: DUMP_FORMAT, tables: this.tables, rows: this.rows, sha256: this.hash.digest('hex') };
    this.sink.end(`${JSON.stringify(footer)}\n`);
    await once(this.file, 'close');
  }

  /** Stops writing after a failure (the caller removes the file). */
  abort(): void {
    this.sink.destroy();
    this.file.destroy();
  }
}

function encode(value: string | number | null): string | number | null {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

function decode(value: unknown, column: DumpColumn): string | number | null {
  if (value === null) return null;
  switch (column.kind) {
    case 'text':
      if (typeof value === 'string') return value;
      break;
    case 'integer':
      if (Number.isSafeInteger(value)) return value as number;
      break;
    case 'number':
      if (typeof value === 'number') return value;
      if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value);
      break;
    default: {
      const never: never = column.kind;
      return never;
    }
  }
  throw new Error(`column ${column.name} (${column.kind}) holds ${JSON.stringify(value)}`);
}

async function isGzip(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

async function* lines(path: string): AsyncGenerator<string> {
  let input: Readable = createReadStream(path);
  if (await isGzip(path)) {
    const gunzip = createGunzip();
    input.on('error', (error) => gunzip.destroy(error));
    input = input.pipe(gunzip);
  }
  try {
    yield* createInterface({ input, crlfDelay: Infinity });
  } catch (error) {
    if (error instanceof MlflowError) throw error;
    // A truncated or corrupted gzip stream, or a read error: the dump cannot be trusted.
    throw new MlflowError('DATA_LOSS', `${path} cannot be read: ${(error as Error).message}`);
  }
}

/** The header of a dump; DATA_LOSS when the file is not a dump this release reads. */
export async function readDumpHeader(path: string): Promise<DumpHeader> {
  for await (const line of lines(path)) return parseHeader(path, line);
  throw damaged(path, 1, 'the file is empty');
}

function parseHeader(path: string, line: string): DumpHeader {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    throw damaged(path, 1, `not a ${DUMP_FORMAT} file`);
  }
  const parsed = DumpHeader.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw damaged(path, 1, `not a ${DUMP_FORMAT} v${DUMP_VERSION} header: ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * The tables and rows of a dump, validated as they are read, `batch` rows at a time. The last
 * event is `end`, yielded only after the footer's checksum and counts matched: a consumer that
 * writes as it reads must treat the data as unconfirmed until then (load it in one transaction).
 */
export async function* readDump(path: string, batch = 1000): AsyncGenerator<DumpEvent> {
  const hash = createHash('sha256');
  let number = 0;
  let table: DumpTableStart | undefined;
  let seen = 0;
  let tables = 0;
  let rows = 0;
  let pending: DumpRow[] = [];
  let ended = false;
  const flush = function* (): Generator<DumpEvent> {
    if (table && pending.length > 0) yield { kind: 'rows', table, rows: pending };
    pending = [];
  };
  const closeTable = () => {
    if (table && seen !== table.rows) {
      throw damaged(path, number, `table ${table.table} has ${seen} rows, its header says ${table.rows}`);
    }
  };
  for await (const line of lines(path)) {
    number += 1;
    if (ended) throw damaged(path, number, 'data after the end of the dump');
    if (number === 1) {
      parseHeader(path, line);
      hash.update(`${line}\n`);
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw damaged(path, number, 'not valid JSON');
    }
    if (Array.isArray(json)) {
      if (!table) throw damaged(path, number, 'a row before any table');
      if (json.length !== table.columns.length) {
        throw damaged(path, number, `${json.length} values for ${table.columns.length} columns of ${table.table}`);
      }
      const columns = table.columns;
      try {
        pending.push(json.map((value, i) => decode(value, columns[i]!)));
      } catch (error) {
        throw damaged(path, number, (error as Error).message);
      }
      seen += 1;
      rows += 1;
      hash.update(`${line}\n`);
      if (pending.length >= batch) yield* flush();
      continue;
    }
    const start = TableStart.safeParse(json);
    if (start.success) {
      yield* flush();
      closeTable();
      table = {
        table: start.data.table,
        rows: start.data.rows,
        columns: start.data.columns.map(([name, kind]) => ({ name, kind })),
      };
      seen = 0;
      tables += 1;
      hash.update(`${line}\n`);
      yield { kind: 'table', table };
      continue;
    }
    const footer = Footer.safeParse(json);
    if (!footer.success) throw damaged(path, number, 'neither a row, a table nor the end of the dump');
    yield* flush();
    closeTable();
    if (footer.data.sha256 !== hash.digest('hex') || footer.data.rows !== rows || footer.data.tables !== tables) {
      throw damaged(path, number, 'the checksum or the counts in the footer do not match the content');
    }
    ended = true;
  }
  if (!ended) throw damaged(path, number, 'the dump ends before its footer (truncated?)');
  yield { kind: 'end', tables, rows };
}
