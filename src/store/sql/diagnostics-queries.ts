import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { ArtifactPath } from '../../core/artifact-path.ts';
import type { ManifestEntry } from '../artifact-manifest-store.ts';
import type {
  DiagnosticsStore,
  DuplicateVersion,
  OrphanKind,
  OrphanRows,
  PlumbDiagnostics,
  RunArtifactLocation,
  Sampled,
  SchemaIdentity,
  VersionCounterBehind,
  VersionGap,
} from '../diagnostics-store.ts';
import { MlflowIntegrityQueries } from '../mlflow-diagnostics/mlflow-integrity-queries.ts';
import type { SqlDialect } from './dialect.ts';
import type { Migrator } from './migrator.ts';
import type { Database } from './schema.ts';
import {
  type AnyDb,
  missingVersions,
  orphanRunChildren,
  RUN_CHILD_TABLES,
  runIsMissing,
  stuckRunCondition,
  stuckRuns,
} from './tracking-integrity.ts';

const CREATE_INDEX = /^\s*create (?:unique )?index (?:if not exists )?[`"]?([\w]+)[`"]?/i;
/** Keep IN lists and bound parameters well below every engine's limit. */
const CHUNK = 500;

/** As artifact-manifest-queries.ts keys the manifest: the sha256 of the path. */
const pathHash = (path: string) => createHash('sha256').update(path).digest('hex');

const num = (value: unknown) => Number(value ?? 0);

/** The diagnostics port over one SQL database: Plumb's checks and repairs, and MLflow's checks. */
export function createSqlDiagnostics(db: Kysely<Database>, dialect: SqlDialect, migrator: Migrator): DiagnosticsStore {
  const any = db as unknown as AnyDb;
  return {
    identify: () => identify(any),
    plumb: new PlumbDiagnosticsQueries(db, any, dialect, migrator),
    mlflow: new MlflowIntegrityQueries(any),
  };
}

async function identify(db: AnyDb): Promise<SchemaIdentity> {
  const tables = (await db.introspection.getTables()).map((t) => t.name.toLowerCase()).sort();
  if (tables.length === 0) return { kind: 'empty' };
  if (tables.includes('alembic_version')) {
    const rows = await sql<{ version_num: string }>`select version_num from alembic_version`.execute(db);
    const revision = rows.rows.map((r) => r.version_num).join(',');
    return { kind: 'mlflow', alembicRevision: revision === '' ? undefined : revision, tables };
  }
  if (tables.includes('schema_migrations') && tables.includes('runs')) return { kind: 'plumb' };
  return { kind: 'unknown', tables };
}

class PlumbDiagnosticsQueries implements PlumbDiagnostics {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly any: AnyDb,
    private readonly dialect: SqlDialect,
    private readonly migrator: Migrator,
  ) {}

  async orphans(kind: OrphanKind, sampleSize: number): Promise<OrphanRows> {
    switch (kind) {
      case 'metrics':
      case 'latest-metrics':
      case 'metric-rollups':
      case 'params':
      case 'tags':
        return orphanRunChildren(this.any, kind, sampleSize);
      case 'model-versions': {
        const rows = await sql<{ n: number }>`select count(*) as n from model_versions v
          where not exists (select 1 from registered_models m where m.id = v.registered_model_id)`.execute(this.db);
        const sample = await sql<{ id: number }>`select distinct v.registered_model_id as id from model_versions v
          where not exists (select 1 from registered_models m where m.id = v.registered_model_id)
          order by id limit ${sql.lit(sampleSize)}`.execute(this.db);
        return { rows: num(rows.rows[0]?.n), missingParents: sample.rows.map((r) => `registered model id ${r.id}`) };
      }
      case 'aliases': {
        const missing = sql<boolean>`not exists (select 1 from model_versions v
          where v.registered_model_id = a.registered_model_id and v.version = a.version)`;
        const rows = await sql<{ n: number }>`select count(*) as n from registered_model_aliases a
          where ${missing}`.execute(this.db);
        const sample = await sql<{ name: string | null; id: number; version: number; alias: string }>`
          select m.name, a.registered_model_id as id, a.version, a.alias from registered_model_aliases a
          left join registered_models m on m.id = a.registered_model_id
          where ${missing} order by a.registered_model_id, a.alias limit ${sql.lit(sampleSize)}`.execute(this.db);
        return {
          rows: num(rows.rows[0]?.n),
          missingParents: sample.rows.map((r) => `${r.name ?? `#${r.id}`} version ${r.version} (alias ${r.alias})`),
        };
      }
      default: {
        const unknown: never = kind;
        throw new Error(`unknown orphan kind ${String(unknown)}`);
      }
    }
  }

  stuckRuns(activityBefore: number, sampleSize: number) {
    return stuckRuns(this.any, activityBefore, sampleSize);
  }

  async duplicateVersions(sampleSize: number): Promise<Sampled<DuplicateVersion>> {
    const result = await sql<{ name: string | null; id: number; version: number; n: number }>`
      select m.name, d.registered_model_id as id, d.version, d.n from (
        select registered_model_id, version, count(*) as n from model_versions
        group by registered_model_id, version having count(*) > 1
      ) d left join registered_models m on m.id = d.registered_model_id
      order by d.registered_model_id, d.version`.execute(this.db);
    const all = result.rows.map((r) => ({
      model: r.name ?? `#${r.id}`,
      version: num(r.version),
      rows: num(r.n),
    }));
    return { count: all.length, sample: all.slice(0, sampleSize) };
  }

  /** Holes in a model's numbering that a `model_version.deleted` event does not explain. */
  async versionGaps(sampleSize: number): Promise<Sampled<VersionGap>> {
    const candidates = await sql<{ id: number; name: string; highest: number }>`
      select m.id, m.name, max(v.version) as highest from model_versions v
      join registered_models m on m.id = v.registered_model_id
      group by m.id, m.name having count(distinct v.version) < max(v.version)
      order by m.name`.execute(this.db);
    const gaps: VersionGap[] = [];
    for (const model of candidates.rows) {
      const present = await this.db
        .selectFrom('model_versions')
        .select('version')
        .where('registered_model_id', '=', model.id)
        .execute();
      const deleted = await this.db
        .selectFrom('registry_events')
        .select('version')
        .where('registered_model_id', '=', model.id)
        .where('kind', '=', 'model_version.deleted')
        .execute();
      const missing = missingVersions(
        num(model.highest),
        present.map((r) => num(r.version)),
        deleted.map((r) => num(r.version)),
      );
      if (missing.length > 0) gaps.push({ model: model.name, missing });
    }
    return { count: gaps.length, sample: gaps.slice(0, sampleSize) };
  }

  async versionCountersBehind(sampleSize: number): Promise<Sampled<VersionCounterBehind>> {
    const result = await sql<{ name: string; next_version: number; highest: number }>`
      select m.name, m.next_version, max(v.version) as highest from registered_models m
      join model_versions v on v.registered_model_id = m.id
      group by m.id, m.name, m.next_version having max(v.version) >= m.next_version
      order by m.name`.execute(this.db);
    const all = result.rows.map((r) => ({
      model: r.name,
      nextVersion: num(r.next_version),
      highestVersion: num(r.highest),
    }));
    return { count: all.length, sample: all.slice(0, sampleSize) };
  }

  async indexStatements(names: readonly string[]): Promise<ReadonlyMap<string, string>> {
    const wanted = new Set(names.map((n) => n.toLowerCase()));
    const applied = new Set((await this.migrator.status()).applied.map((m) => m.version));
    const found = new Map<string, string>();
    for (const migration of this.migrator.migrations) {
      if (!applied.has(migration.version)) continue;
      for (const statement of this.migrator.plan(migration).statements) {
        const name = CREATE_INDEX.exec(statement)?.[1];
        if (name && wanted.has(name.toLowerCase())) found.set(name, statement);
      }
    }
    return found;
  }

  async deleteOrphans(kind: OrphanKind): Promise<number> {
    return this.dialect.transaction(this.any, async (tx) => {
      switch (kind) {
        case 'metrics':
        case 'latest-metrics':
        case 'metric-rollups':
        case 'params':
        case 'tags': {
          const table = RUN_CHILD_TABLES[kind];
          const result = await sql`delete from ${sql.table(table)} where ${runIsMissing(table)}`.execute(tx);
          return num(result.numAffectedRows);
        }
        case 'model-versions': {
          const modelMissing = (table: string) =>
            sql`not exists (select 1 from registered_models m where m.id = ${sql.ref(`${table}.registered_model_id`)})`;
          for (const table of ['registered_model_aliases', 'model_version_tags']) {
            await sql`delete from ${sql.table(table)} where ${modelMissing(table)}`.execute(tx);
          }
          const result = await sql`delete from model_versions where ${modelMissing('model_versions')}`.execute(tx);
          return num(result.numAffectedRows);
        }
        case 'aliases': {
          const result = await sql`delete from registered_model_aliases where not exists (
            select 1 from model_versions v where v.registered_model_id = registered_model_aliases.registered_model_id
            and v.version = registered_model_aliases.version)`.execute(tx);
          return num(result.numAffectedRows);
        }
        default: {
          const unknown: never = kind;
          throw new Error(`unknown orphan kind ${String(unknown)}`);
        }
      }
    });
  }

  async failStuckRuns(activityBefore: number, endTime: number): Promise<string[]> {
    return this.dialect.transaction(this.any, async (tx) => {
      const stuck = await sql<{ run_uuid: string }>`select r.run_uuid from runs r
        where ${stuckRunCondition(activityBefore)}`.execute(tx);
      const ids = stuck.rows.map((r) => r.run_uuid);
      for (let i = 0; i < ids.length; i += CHUNK) {
        const chunk = ids.slice(i, i + CHUNK);
        // Re-checked in the statement itself: a point logged since the select keeps its run RUNNING.
        await sql`update runs set status = 'FAILED', end_time = ${endTime}
          where run_uuid in (${sql.join(chunk)}) and status = 'RUNNING'
          and not exists (select 1 from metrics m where m.run_uuid = runs.run_uuid
            and ${sql.ref('m.timestamp')} >= ${activityBefore})`.execute(tx);
      }
      return ids;
    });
  }

  async recreateIndexes(names: readonly string[]): Promise<string[]> {
    const statements = await this.indexStatements(names);
    const created: string[] = [];
    for (const [name, statement] of statements) {
      await sql.raw(statement).execute(this.any);
      created.push(name);
    }
    return created;
  }

  async manifestPage(
    cursor: string | undefined,
    limit: number,
  ): Promise<{ entries: ManifestEntry[]; next: string | undefined }> {
    let query = this.db.selectFrom('artifact_manifest').selectAll().orderBy('path_hash').limit(limit);
    if (cursor !== undefined) query = query.where('path_hash', '>', cursor);
    const rows = await query.execute();
    return {
      entries: rows.map(toEntry),
      next: rows.length === limit ? rows.at(-1)?.path_hash : undefined,
    };
  }

  async manifestEntries(paths: readonly ArtifactPath[]): Promise<Map<string, ManifestEntry>> {
    const found = new Map<string, ManifestEntry>();
    for (let i = 0; i < paths.length; i += CHUNK) {
      const hashes = paths.slice(i, i + CHUNK).map(pathHash);
      if (hashes.length === 0) continue;
      const rows = await this.db.selectFrom('artifact_manifest').selectAll().where('path_hash', 'in', hashes).execute();
      for (const row of rows) found.set(row.path, toEntry(row));
    }
    return found;
  }

  async manifestSize(): Promise<number> {
    const row = await this.db
      .selectFrom('artifact_manifest')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst();
    return num(row?.n);
  }

  async runArtifactLocations(afterRowId: number, limit: number): Promise<RunArtifactLocation[]> {
    const rows = await this.db
      .selectFrom('runs')
      .select(['row_id', 'run_uuid', 'artifact_uri'])
      .where('row_id', '>', afterRowId)
      .orderBy('row_id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ rowId: num(r.row_id), runId: r.run_uuid, artifactUri: r.artifact_uri }));
  }
}

function toEntry(row: Database['artifact_manifest']): ManifestEntry {
  return {
    path: row.path as ArtifactPath,
    runId: row.run_uuid ?? undefined,
    size: num(row.size),
    sha256: row.sha256,
    etag: row.etag,
    recordedAt: num(row.recorded_at),
  };
}
