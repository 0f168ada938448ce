import { type RawBuilder, sql } from 'kysely';
import type {
  DuplicateVersion,
  IntegrityChecks,
  OrphanKind,
  OrphanRows,
  Sampled,
  StuckRun,
  VersionGap,
} from '../diagnostics-store.ts';
import { type AnyDb, missingVersions, orphanRunChildren, stuckRuns } from '../sql/tracking-integrity.ts';

/** MLflow's soft-deleted model versions: rows the API never returns. */
const DELETED_STAGE = 'Deleted_Internal';

const num = (value: unknown) => Number(value ?? 0);

interface ModelRow {
  readonly name: string;
  readonly workspace: string | null;
}

/** How a model is named in findings: `name`, or `workspace:name` outside the default workspace. */
const label = (row: ModelRow) =>
  row.workspace === null || row.workspace === 'default' ? row.name : `${row.workspace}:${row.name}`;

/**
 * The integrity checks on an MLflow database (any release from 2.0 on), read-only: this class
 * has no statement that writes. The tracking tables read as Plumb's do (tracking-integrity.ts);
 * the registry differs: MLflow keys models by name (plus `workspace` from 3.x), versions by
 * (name, version), soft-deletes versions into stage `Deleted_Internal`, and has aliases from 2.3 on.
 */
export class MlflowIntegrityQueries implements IntegrityChecks {
  private layout: Promise<{ tables: Set<string>; workspaces: boolean }> | undefined;

  constructor(private readonly db: AnyDb) {}

  /** Which registry tables and columns this release of MLflow's schema has; read once. */
  private schema() {
    this.layout ??= (async () => {
      const tables = await this.db.introspection.getTables();
      const names = new Set(tables.map((t) => t.name.toLowerCase()));
      const models = tables.find((t) => t.name.toLowerCase() === 'registered_models');
      const workspaces = models?.columns.some((c) => c.name.toLowerCase() === 'workspace') ?? false;
      return { tables: names, workspaces };
    })();
    return this.layout;
  }

  /** `a` and `b` name the same model: by name, and by workspace where the schema has them. */
  private async sameModel(a: string, b: string): Promise<RawBuilder<boolean>> {
    const { workspaces } = await this.schema();
    const byName = sql<boolean>`${sql.ref(`${a}.name`)} = ${sql.ref(`${b}.name`)}`;
    return workspaces
      ? sql<boolean>`${byName} and ${sql.ref(`${a}.workspace`)} = ${sql.ref(`${b}.workspace`)}`
      : byName;
  }

  /** The model's name and workspace (null before MLflow 3's workspaces) as `name` and `workspace`. */
  private async modelColumns(alias: string): Promise<RawBuilder<unknown>> {
    const { workspaces } = await this.schema();
    const workspace = workspaces ? sql`${sql.ref(`${alias}.workspace`)}` : sql`null`;
    return sql`${sql.ref(`${alias}.name`)} as name, ${workspace} as workspace`;
  }

  async orphans(kind: OrphanKind, sampleSize: number): Promise<OrphanRows> {
    const { tables } = await this.schema();
    switch (kind) {
      case 'metrics':
      case 'latest-metrics':
      case 'params':
      case 'tags':
        return orphanRunChildren(this.db, kind, sampleSize);
      case 'metric-rollups':
        return { rows: 0, missingParents: [] }; // MLflow keeps no downsampled history
      case 'model-versions': {
        if (!tables.has('model_versions')) return { rows: 0, missingParents: [] };
        const missing = sql<boolean>`not exists (select 1 from registered_models m where ${await this.sameModel('m', 'v')})`;
        const rows = await sql<{ n: number }>`select count(*) as n from model_versions v where ${missing}`.execute(
          this.db,
        );
        const sample = await sql<ModelRow>`select distinct ${await this.modelColumns('v')} from model_versions v
          where ${missing} order by name limit ${sql.lit(sampleSize)}`.execute(this.db);
        return { rows: num(rows.rows[0]?.n), missingParents: sample.rows.map((r) => `registered model ${label(r)}`) };
      }
      case 'aliases': {
        if (!tables.has('registered_model_aliases')) return { rows: 0, missingParents: [] };
        // An alias on a soft-deleted version points at nothing the API returns: MLflow removes
        // the aliases when it deletes a version, so such a row is as orphaned as a missing one.
        const missing = sql<boolean>`not exists (select 1 from model_versions v where ${await this.sameModel('v', 'a')}
          and v.version = a.version and coalesce(v.current_stage, '') <> ${DELETED_STAGE})`;
        const rows = await sql<{ n: number }>`select count(*) as n from registered_model_aliases a
          where ${missing}`.execute(this.db);
        const sample = await sql<ModelRow & { version: number; alias: string }>`
          select ${await this.modelColumns('a')}, a.version, a.alias from registered_model_aliases a
          where ${missing} order by name, a.alias limit ${sql.lit(sampleSize)}`.execute(this.db);
        return {
          rows: num(rows.rows[0]?.n),
          missingParents: sample.rows.map((r) => `${label(r)} version ${r.version} (alias ${r.alias})`),
        };
      }
      default: {
        const unknown: never = kind;
        throw new Error(`unknown orphan kind ${String(unknown)}`);
      }
    }
  }

  stuckRuns(activityBefore: number, sampleSize: number): Promise<Sampled<StuckRun>> {
    return stuckRuns(this.db, activityBefore, sampleSize);
  }

  async duplicateVersions(sampleSize: number): Promise<Sampled<DuplicateVersion>> {
    const { tables, workspaces } = await this.schema();
    if (!tables.has('model_versions')) return { count: 0, sample: [] };
    const keys = workspaces ? sql`v.workspace, v.name, v.version` : sql`v.name, v.version`;
    const result = await sql<ModelRow & { version: number; n: number }>`
      select ${await this.modelColumns('v')}, v.version, count(*) as n from model_versions v
      group by ${keys} having count(*) > 1 order by name, v.version`.execute(this.db);
    const all = result.rows.map((r) => ({ model: label(r), version: num(r.version), rows: num(r.n) }));
    return { count: all.length, sample: all.slice(0, sampleSize) };
  }

  /**
   * MLflow soft-deletes versions (the row stays, in stage Deleted_Internal), so a missing number
   * below a model's highest version is a row that something other than MLflow's API removed.
   */
  async versionGaps(sampleSize: number): Promise<Sampled<VersionGap>> {
    const { tables, workspaces } = await this.schema();
    if (!tables.has('model_versions')) return { count: 0, sample: [] };
    const keys = workspaces ? sql`v.workspace, v.name` : sql`v.name`;
    const result = await sql<ModelRow & { highest: number }>`
      select ${await this.modelColumns('v')}, max(v.version) as highest
      from model_versions v group by ${keys} having count(distinct v.version) < max(v.version)
      order by name`.execute(this.db);
    const gaps: VersionGap[] = [];
    for (const row of result.rows) {
      const inWorkspace = workspaces ? sql`and v.workspace = ${row.workspace}` : sql``;
      const present = await sql<{ version: number }>`select v.version from model_versions v
        where v.name = ${row.name} ${inWorkspace}`.execute(this.db);
      const missing = missingVersions(
        num(row.highest),
        present.rows.map((r) => num(r.version)),
      );
      if (missing.length > 0) gaps.push({ model: label(row), missing });
    }
    return { count: gaps.length, sample: gaps.slice(0, sampleSize) };
  }
}
