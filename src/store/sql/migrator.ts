import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { MlflowError } from '../../core/errors.ts';
import { compareReleases } from '../../core/releases.ts';
import type { AppliedMigration, PlannedMigration, SchemaStatus } from '../store.ts';
import type { SqlDialect } from './dialect.ts';
import { MIGRATIONS } from './migrations/index.ts';
import type { Migration } from './migrations/migration.ts';

const TABLE = 'schema_migrations';

export class Migrator {
  constructor(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- DDL addresses tables outside the typed schema
    private readonly db: Kysely<any>,
    private readonly dialect: SqlDialect,
    readonly migrations: readonly Migration[] = MIGRATIONS,
  ) {}

  plan(migration: Migration): PlannedMigration {
    const statements = migration.build(this.db, this.dialect).map((q) => {
      const compiled = q.compile();
      if (compiled.parameters.length > 0) {
        throw new MlflowError('INTERNAL_ERROR', `Migration ${migration.version} must not bind parameters`);
      }
      return compiled.sql;
    });
    const checksum = createHash('sha256').update(statements.join(';\n')).digest('hex');
    return { version: migration.version, name: migration.name, checksum, statements };
  }

  async status(): Promise<SchemaStatus> {
    return this.statusOn(this.db);
  }

  /**
   * Under the migration lock: creates the schema when the database is empty, and returns the
   * status as it is then. A server that finds the schema half-built by another one starting at
   * the same moment (MySQL DDL is not transactional) waits here and then sees it complete.
   */
  async createIfEmpty(now: () => number): Promise<{ created: readonly PlannedMigration[]; status: SchemaStatus }> {
    return this.dialect.withMigrationLock(this.db, async (db) => {
      const before = await this.statusOn(db);
      if (!before.empty) return { created: [], status: before };
      const created = await this.applyPending(db, now);
      return { created, status: await this.statusOn(db) };
    });
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see constructor
  private async statusOn(db: Kysely<any>): Promise<SchemaStatus> {
    const tables = await db.introspection.getTables();
    const names = new Set(tables.map((t) => t.name));
    const empty = names.size === 0;
    const applied = names.has(TABLE) ? await this.readApplied(db) : [];
    return this.compare(empty, applied);
  }

  /** Applies every pending migration under the dialect's migration lock; returns what it applied. */
  async upgrade(now: () => number): Promise<readonly PlannedMigration[]> {
    return this.dialect.withMigrationLock(this.db, (db) => this.applyPending(db, now));
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see constructor
  private async applyPending(db: Kysely<any>, now: () => number): Promise<readonly PlannedMigration[]> {
    await this.ensureTable(db);
    const status = this.compare(false, await this.readApplied(db));
    assertNoDrift(status);
    for (const planned of status.pending) {
      const migration = this.migrations.find((m) => m.version === planned.version)!;
      for (const statement of planned.statements) await sql.raw(statement).execute(db);
      await db
        .insertInto(TABLE)
        .values({
          version: planned.version,
          name: planned.name,
          checksum: planned.checksum,
          min_server_release: migration.minServerRelease,
          applied_at: now(),
        })
        .execute();
    }
    return status.pending;
  }

  private compare(empty: boolean, applied: readonly AppliedMigration[]): SchemaStatus {
    const appliedByVersion = new Map(applied.map((a) => [a.version, a]));
    const known = new Set(this.migrations.map((m) => m.version));
    const pending: PlannedMigration[] = [];
    const checksumMismatches: { version: number; recorded: string; expected: string }[] = [];
    for (const migration of this.migrations) {
      const planned = this.plan(migration);
      const recorded = appliedByVersion.get(migration.version);
      if (!recorded) pending.push(planned);
      else if (recorded.checksum !== planned.checksum) {
        checksumMismatches.push({
          version: migration.version,
          recorded: recorded.checksum,
          expected: planned.checksum,
        });
      }
    }
    return {
      empty,
      applied,
      pending,
      unknown: applied.filter((a) => !known.has(a.version)),
      checksumMismatches,
      latestKnownVersion: Math.max(0, ...known),
    };
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see constructor
  private async ensureTable(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable(TABLE)
      .ifNotExists()
      .addColumn('version', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'varchar(200)', (c) => c.notNull())
      .addColumn('checksum', 'varchar(64)', (c) => c.notNull())
      .addColumn('min_server_release', 'varchar(32)', (c) => c.notNull())
      .addColumn('applied_at', 'bigint', (c) => c.notNull())
      .execute();
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see constructor
  private async readApplied(db: Kysely<any>): Promise<AppliedMigration[]> {
    const rows = await db.selectFrom(TABLE).selectAll().orderBy('version').execute();
    return rows.map((r) => ({
      version: Number(r.version),
      name: String(r.name),
      checksum: String(r.checksum),
      minServerRelease: String(r.min_server_release),
    }));
  }
}

function assertNoDrift(status: SchemaStatus): void {
  const [mismatch] = status.checksumMismatches;
  if (mismatch) {
    throw new MlflowError(
      'INVALID_STATE',
      `Migration ${mismatch.version} was applied with checksum ${mismatch.recorded}, but this release's migration ${mismatch.version} has checksum ${mismatch.expected}. The schema was changed by a different build; restore the matching release or repair the database before going on.`,
    );
  }
}

/**
 * Decides whether a server of `release` may run on the schema. Returns nothing when it may, or
 * the reason and the command that fixes it when it may not.
 */
export function checkCompatibility(status: SchemaStatus, release: string): string | undefined {
  const [mismatch] = status.checksumMismatches;
  if (mismatch) {
    return `migration ${mismatch.version} in the database has checksum ${mismatch.recorded.slice(0, 12)}…, this release expects ${mismatch.expected.slice(0, 12)}…: the schema was changed by a different build. Run the release that applied it, or restore a backup; \`plumb db status\` shows the details.`;
  }
  const tooNew = status.unknown.filter((u) => compareReleases(u.minServerRelease, release) > 0);
  if (tooNew.length > 0) {
    const needs = tooNew.map((u) => `${u.version} (${u.name}, needs ≥ ${u.minServerRelease})`).join(', ');
    return `the database has migrations this release (${release}) cannot run on: ${needs}. Upgrade this server to a newer release.`;
  }
  if (status.pending.length > 0) {
    const list = status.pending.map((p) => `${p.version} (${p.name})`).join(', ');
    return `the database schema is behind this release: pending migrations ${list}. Run \`plumb db upgrade\` (add --plan to see the SQL first).`;
  }
  return undefined;
}
