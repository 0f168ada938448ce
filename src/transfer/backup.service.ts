import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Clock } from '../core/clock.ts';
import { MlflowError } from '../core/errors.ts';
import type { MaintenanceStore } from '../store/maintenance-store.ts';
import type { NativeBackupTool } from '../store/native-backup.ts';
import type { SchemaControl } from '../store/store.ts';
import { DumpedMigration } from './dump-format.ts';
import { DumpService, fileDigest } from './dump.service.ts';
import { noProgress, type OnProgress } from './progress.ts';
import { schemaProblem } from './schema-compat.ts';

export const MANIFEST_FILE = 'manifest.json';
export const LOGICAL_FILE = 'metadata.jsonl.gz';

/** `manifest.json` of a backup directory, written last: a directory with one is a complete backup. */
export const BackupManifest = z.object({
  format: z.literal('plumb-backup'),
  version: z.literal(1),
  createdAt: z.number().int(),
  plumbVersion: z.string(),
  engine: z.enum(['sqlite', 'postgres', 'mysql']),
  /** `logical`: Plumb's dump (dump-format.ts), loadable into any engine; `native`: the engine's own tool. */
  method: z.enum(['logical', 'native']),
  tool: z.string(),
  file: z.string().regex(/^[\w.-]+$/),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The applied migrations: the schema version the backup holds. */
  migrations: z.array(DumpedMigration),
  rowCounts: z.record(z.string(), z.number().int().nonnegative()),
  /** False when the counts come from a snapshot just before the copy's (mysqldump). */
  rowCountsExact: z.boolean(),
});
export type BackupManifest = z.infer<typeof BackupManifest>;

/** The parts of the metadata store a backup or a restore uses; the service closes what it opens. */
export interface BackupStore {
  readonly maintenance: MaintenanceStore;
  readonly schema: SchemaControl;
  close(): Promise<void>;
}

export interface BackupDeps {
  openStore(): BackupStore;
  /** The configured engine's own tool, when installed. */
  readonly native?: NativeBackupTool | undefined;
  readonly clock: Clock;
  readonly version: string;
}

export interface RestoreReport {
  readonly manifest: BackupManifest;
  readonly rowCounts: Readonly<Record<string, number>>;
  /** Tables whose restored row count differs from the manifest's exact count. */
  readonly countMismatches: readonly { table: string; expected: number; actual: number }[];
  /** Migrations the restored schema lacks (an older backup restored natively). */
  readonly pendingMigrations: readonly { version: number; name: string }[];
  /** What to run next, if anything. */
  readonly nextStep?: string | undefined;
}

async function prepareDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  if ((await readdir(dir)).length > 0) {
    throw MlflowError.invalidParameter(`The backup directory ${dir} is not empty; give a new or empty one`);
  }
}

async function readManifest(dir: string): Promise<BackupManifest> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch {
    throw new MlflowError('DATA_LOSS', `${dir} holds no ${MANIFEST_FILE}: not a (complete) Plumb backup`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new MlflowError('DATA_LOSS', `${MANIFEST_FILE} in ${dir} is not valid JSON`);
  }
  const parsed = BackupManifest.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new MlflowError(
      'DATA_LOSS',
      `${MANIFEST_FILE} is not a Plumb backup manifest v1: ${issue.path.join('.')}: ${issue.message}`,
    );
  }
  return parsed.data;
}

async function countAll(store: BackupStore): Promise<Record<string, number>> {
  return store.maintenance.dump.read(async (reader) => {
    const counts: Record<string, number> = {};
    for (const table of reader.tables) counts[table.name] = await reader.count(table.name);
    return counts;
  });
}

/**
 * `plumb backup` and `plumb restore`: a consistent copy of the metadata database in a directory
 * (the copy plus manifest.json with schema version, row counts and sha256), made with the engine's
 * own tool when installed and as Plumb's logical dump otherwise; and its verified restore.
 */
export class BackupService {
  constructor(private readonly deps: BackupDeps) {}

  private dumps(store: BackupStore): DumpService {
    return new DumpService({
      dump: store.maintenance.dump,
      schema: store.schema,
      clock: this.deps.clock,
      version: this.deps.version,
    });
  }

  async backup(dir: string, options: { logical?: boolean; onProgress?: OnProgress } = {}): Promise<BackupManifest> {
    const progress = options.onProgress ?? noProgress;
    await prepareDirectory(dir);
    const store = this.deps.openStore();
    try {
      const status = await store.schema.status();
      if (status.empty) throw new MlflowError('INVALID_STATE', 'Nothing to back up: the database is empty');
      if (status.unknown.length > 0 || status.checksumMismatches.length > 0) {
        throw new MlflowError(
          'INVALID_STATE',
          'The database schema is not one this release knows (`plumb db status` shows why); back it up with the release that runs it.',
        );
      }
      const native = options.logical ? undefined : this.deps.native;
      let copy: { file: string; tool: string; rowCounts: Record<string, number>; exact: boolean };
      if (native) {
        const tables = await store.maintenance.dump.read(async (reader) => reader.tables.map((t) => t.name));
        progress({ phase: `backup (${native.tool})`, done: 0 });
        const made = await native.backup(join(dir, native.fileName), tables);
        progress({ phase: `backup (${native.tool})`, done: 1, total: 1 });
        copy = { file: native.fileName, tool: native.tool, rowCounts: made.rowCounts, exact: made.exact };
      } else {
        const summary = await this.dumps(store).export(join(dir, LOGICAL_FILE), { onProgress: progress });
        copy = { file: LOGICAL_FILE, tool: 'plumb', rowCounts: { ...summary.tables }, exact: true };
      }
      const digest = await fileDigest(join(dir, copy.file));
      const manifest: BackupManifest = {
        format: 'plumb-backup',
        version: 1,
        createdAt: this.deps.clock.now(),
        plumbVersion: this.deps.version,
        engine: store.maintenance.dump.engine,
        method: native ? 'native' : 'logical',
        tool: copy.tool,
        file: copy.file,
        ...digest,
        migrations: status.applied.map((m) => ({ version: m.version, name: m.name, checksum: m.checksum })),
        rowCounts: copy.rowCounts,
        rowCountsExact: copy.exact,
      };
      const temporary = join(dir, `${MANIFEST_FILE}.tmp`);
      await writeFile(temporary, `${JSON.stringify(manifest, null, 2)}\n`);
      await rename(temporary, join(dir, MANIFEST_FILE));
      return manifest;
    } finally {
      await store.close();
    }
  }

  /**
   * Restores the backup in `dir` into the configured database after checking its checksum and
   * that this release knows its schema. A database holding data is replaced only with `force`.
   */
  async restore(dir: string, options: { force?: boolean; onProgress?: OnProgress } = {}): Promise<RestoreReport> {
    const manifest = await readManifest(dir);
    const file = join(dir, manifest.file);
    const digest = await fileDigest(file).catch(() => undefined);
    if (digest?.sha256 !== manifest.sha256 || digest.bytes !== manifest.bytes) {
      throw new MlflowError(
        'DATA_LOSS',
        `${file} does not match its manifest (sha256 ${manifest.sha256.slice(0, 12)}…, ${manifest.bytes} bytes): the backup is damaged or incomplete`,
      );
    }
    let store: BackupStore | undefined = this.deps.openStore();
    try {
      const dump = store.maintenance.dump;
      const native = manifest.method === 'native' ? this.nativeFor(manifest, dump.engine) : undefined;
      const problem = schemaProblem(manifest, { engine: dump.engine, known: dump.knownMigrations() });
      if (problem) throw new MlflowError('INVALID_STATE', `Cannot restore this backup: ${problem}`);
      const content = await dump.content();
      if (content === 'data' && !options.force) {
        throw new MlflowError(
          'INVALID_STATE',
          'The target database holds data. Restoring replaces all of it: stop every server on it, then run again with --force.',
        );
      }
      if (native) {
        if (!native.replacesDatabase && content !== 'no-schema') await dump.dropAll();
        await store.close();
        store = undefined;
        options.onProgress?.({ phase: `restore (${native.tool})`, done: 0 });
        await native.restore(file);
        options.onProgress?.({ phase: `restore (${native.tool})`, done: 1, total: 1 });
      } else {
        if (content === 'data') await dump.dropAll();
        await this.dumps(store).import(file, { onProgress: options.onProgress });
      }
      store ??= this.deps.openStore();
      // The engine's restore tool loads rows without gathering statistics (a logical load does).
      if (native) await store.maintenance.dump.refreshStatistics();
      const rowCounts = await countAll(store);
      const status = await store.schema.status();
      const countMismatches = manifest.rowCountsExact
        ? Object.entries(manifest.rowCounts)
            .filter(([table, expected]) => (rowCounts[table] ?? 0) !== expected)
            .map(([table, expected]) => ({ table, expected, actual: rowCounts[table] ?? 0 }))
        : [];
      const pendingMigrations = status.pending.map((m) => ({ version: m.version, name: m.name }));
      return {
        manifest,
        rowCounts,
        countMismatches,
        pendingMigrations,
        nextStep:
          pendingMigrations.length > 0
            ? 'The backup comes from an older schema: run `plumb db upgrade` before starting servers.'
            : undefined,
      };
    } finally {
      await store?.close();
    }
  }

  private nativeFor(manifest: BackupManifest, engine: string): NativeBackupTool {
    if (manifest.engine !== engine) {
      throw new MlflowError(
        'INVALID_STATE',
        `This backup was made with ${manifest.tool} from ${manifest.engine} and restores only into ${manifest.engine}, not ${engine}. To move between engines use a logical backup (\`plumb backup --logical\`) or \`plumb export\` / \`plumb import dump\`.`,
      );
    }
    if (!this.deps.native) {
      throw new MlflowError(
        'INVALID_STATE',
        `This backup was made with ${manifest.tool}; restoring it needs the ${manifest.engine} client tools (psql, or mysql/mariadb), which are not installed here.`,
      );
    }
    return this.deps.native;
  }
}
