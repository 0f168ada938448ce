import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import type { Clock } from '../core/clock.ts';
import { MlflowError } from '../core/errors.ts';
import type { DumpStore, DumpWriter } from '../store/maintenance-store.ts';
import type { SchemaControl } from '../store/store.ts';
import {
  DUMP_FORMAT,
  DUMP_VERSION,
  DumpFileWriter,
  type DumpHeader,
  type DumpTableStart,
  readDump,
  readDumpHeader,
} from './dump-format.ts';
import { noProgress, type OnProgress } from './progress.ts';
import { schemaProblem } from './schema-compat.ts';

export interface DumpDeps {
  readonly dump: DumpStore;
  readonly schema: SchemaControl;
  readonly clock: Clock;
  /** This release, recorded in every dump. */
  readonly version: string;
}

/** What a dump holds, as written or as loaded. */
export interface DumpSummary {
  readonly file: string;
  readonly bytes: number;
  /** Of the file as stored (compressed or not). */
  readonly sha256: string;
  readonly header: DumpHeader;
  /** Rows per table. */
  readonly tables: Readonly<Record<string, number>>;
}

/** sha256 and size of a file as stored. */
export async function fileDigest(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return { sha256: hash.digest('hex'), bytes: (await stat(path)).size };
}

/** The columns of a dumped table the target lacks: loading would lose their values. */
function checkColumns(table: DumpTableStart, writer: DumpWriter): void {
  const target = writer.tables.find((t) => t.name === table.table);
  if (!target) throw new MlflowError('INVALID_STATE', `The dump has a table this release does not: ${table.table}`);
  const names = new Set(target.columns.map((c) => c.name));
  const missing = table.columns.filter((c) => !names.has(c.name)).map((c) => c.name);
  if (missing.length > 0) {
    throw new MlflowError('INVALID_STATE', `Table ${table.table} here lacks the dump's columns ${missing.join(', ')}`);
  }
}

/**
 * `plumb export` and `plumb import dump`: the whole metadata database as Plumb's dump format
 * (dump-format.ts), read from one snapshot and loaded in one transaction, on any engine.
 */
export class DumpService {
  constructor(private readonly deps: DumpDeps) {}

  /** Writes the database to `file` (which must not exist yet); gzip when it ends in `.gz`. */
  async export(file: string, options: { onProgress?: OnProgress } = {}): Promise<DumpSummary> {
    const progress = options.onProgress ?? noProgress;
    const status = await this.deps.schema.status();
    if (status.unknown.length > 0 || status.checksumMismatches.length > 0) {
      throw new MlflowError(
        'INVALID_STATE',
        'The database schema is not one this release knows (`plumb db status` shows why); dump it with the release that runs it.',
      );
    }
    const header: DumpHeader = {
      format: DUMP_FORMAT,
      version: DUMP_VERSION,
      createdAt: this.deps.clock.now(),
      plumbVersion: this.deps.version,
      engine: this.deps.dump.engine,
      migrations: status.applied.map((m) => ({ version: m.version, name: m.name, checksum: m.checksum })),
    };
    const writer = DumpFileWriter.create(file);
    const tables: Record<string, number> = {};
    try {
      await this.deps.dump.read(async (reader) => {
        for (const table of reader.tables) tables[table.name] = await reader.count(table.name);
        const total = Object.values(tables).reduce((a, b) => a + b, 0);
        let done = 0;
        await writer.header(header);
        for (const table of reader.tables) {
          await writer.table({ table: table.name, rows: tables[table.name]!, columns: table.columns });
          for await (const page of reader.rows(table)) {
            await writer.rowsOf(page);
            done += page.length;
            progress({ phase: 'export rows', done, total });
          }
        }
        progress({ phase: 'export rows', done, total });
      });
      await writer.finish();
    } catch (error) {
      writer.abort();
      await rm(file, { force: true });
      throw error;
    }
    return { file, ...(await fileDigest(file)), header, tables };
  }

  /** The dump's header, after checking that this release can load it. */
  async check(file: string): Promise<DumpHeader> {
    const header = await readDumpHeader(file);
    const problem = schemaProblem(header, {
      engine: this.deps.dump.engine,
      known: this.deps.dump.knownMigrations(),
    });
    if (problem) throw new MlflowError('INVALID_STATE', `Cannot load ${file}: ${problem}`);
    return header;
  }

  /**
   * Loads a dump into an empty database (created if it has no schema yet), in one transaction:
   * a dump that turns out damaged half-way leaves nothing behind.
   */
  async import(file: string, options: { onProgress?: OnProgress } = {}): Promise<DumpSummary> {
    const progress = options.onProgress ?? noProgress;
    const header = await this.check(file);
    const content = await this.deps.dump.content();
    if (content === 'data') {
      throw new MlflowError(
        'INVALID_STATE',
        'The target database already holds data; load a dump into a new, empty database (or use `plumb restore --force` with a backup to replace it).',
      );
    }
    if (content === 'no-schema') await this.deps.schema.createIfEmpty();
    let tables: Record<string, number> = {};
    await this.deps.dump.load(async (writer) => {
      tables = {}; // the load may run again after a conflict: it re-reads the file from the start
      let total = 0;
      let done = 0;
      for await (const event of readDump(file, 5000)) {
        switch (event.kind) {
          case 'table':
            checkColumns(event.table, writer);
            tables[event.table.table] = event.table.rows;
            total += event.table.rows;
            break;
          case 'rows':
            await writer.insert(
              event.table.table,
              event.table.columns.map((c) => c.name),
              event.rows,
            );
            done += event.rows.length;
            progress({ phase: 'import rows', done, total });
            break;
          case 'end':
            // Rows skipped as duplicates would go unnoticed otherwise: every table must hold its count.
            for (const [table, rows] of Object.entries(tables)) {
              const stored = await writer.count(table);
              if (stored !== rows) {
                throw new MlflowError('DATA_LOSS', `${file}: table ${table} has ${rows} rows, ${stored} were stored`);
              }
            }
            break;
          default: {
            const never: never = event;
            throw new MlflowError('INTERNAL_ERROR', `Unexpected dump event ${JSON.stringify(never)}`);
          }
        }
      }
    });
    return { file, ...(await fileDigest(file)), header, tables };
  }
}
