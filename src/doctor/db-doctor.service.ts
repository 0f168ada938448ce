import type { Clock } from '../core/clock.ts';
import { compareReleases } from '../core/releases.ts';
import {
  type DiagnosticsStore,
  ORPHAN_KINDS,
  type OrphanKind,
  type SchemaIdentity,
} from '../store/diagnostics-store.ts';
import type { SchemaControl } from '../store/store.ts';
import {
  type IntegrityOptions,
  ORPHANS,
  orphanFindingId,
  orphanFindings,
  stuckRunFindings,
  versionFindings,
} from './db-integrity.ts';
import { DEFAULT_LIST_CAP, type Finding, guarded, plural, type RepairOutcome, where } from './finding.ts';
import { describeMlflowRevision } from './mlflow-revisions.ts';

export interface DbDoctorDeps {
  readonly diagnostics: DiagnosticsStore;
  readonly schema: SchemaControl;
  readonly clock: Clock;
  /** This build's release, to judge migrations applied by another one. */
  readonly release: string;
  /** Called with the runs a repair ended, as the server does when a run ends (run snapshots). */
  readonly onRunsEnded?: ((runIds: readonly string[]) => Promise<void>) | undefined;
}

export interface DbCheckOptions {
  /** A RUNNING run with no activity for this long is stuck (default 24 h). */
  readonly stuckAfterMs?: number;
  readonly listCap?: number;
  /** How the operator points doctor at this database, for the commands in repairs (no password). */
  readonly storeArgument?: string;
}

export interface DbReport {
  readonly identity: SchemaIdentity | undefined;
  readonly findings: Finding[];
}

export const DEFAULT_STUCK_AFTER_MS = 24 * 3_600_000;

/**
 * `plumb doctor db`: migrations and checksums, tables and indexes the migrations created,
 * orphan rows, stuck runs and registry version numbering, on Plumb's schema; on an MLflow
 * database its Alembic revision and the same integrity checks, read-only.
 */
export class DbDoctorService {
  constructor(private readonly deps: DbDoctorDeps) {}

  async run(options: DbCheckOptions = {}): Promise<DbReport> {
    let identity: SchemaIdentity;
    try {
      identity = await this.deps.diagnostics.identify();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return {
        identity: undefined,
        findings: [
          {
            id: 'db.unreachable',
            severity: 'error',
            summary: `Could not read the database: ${message}`,
            repair:
              'Check --backend-store-uri (or MLFLOW_BACKEND_STORE_URI), that the database server is up, and the credentials.',
            fixable: false,
          },
        ],
      };
    }
    const integrity = this.integrityOptions(identity.kind === 'mlflow' ? 'mlflow' : 'plumb', options);
    switch (identity.kind) {
      case 'empty':
        return {
          identity,
          findings: [
            {
              id: 'db.empty',
              severity: 'info',
              summary: 'The database holds no tables yet.',
              repair: `\`plumb db upgrade${suffix(options)}\` creates the schema (so does the first \`plumb server\`).`,
              fixable: false,
            },
          ],
        };
      case 'unknown':
        return {
          identity,
          findings: [
            {
              id: 'db.unknown-schema',
              severity: 'error',
              summary:
                "The database holds tables, but neither Plumb's schema nor MLflow's (no schema_migrations or alembic_version table).",
              where: where('tables', identity.tables, identity.tables.length, integrity.listCap),
              repair: 'Point --backend-store-uri at the Plumb (or MLflow) database; doctor changes nothing here.',
              fixable: false,
            },
          ],
        };
      case 'mlflow':
        return { identity, findings: [mlflowSchemaFinding(identity), ...(await this.integrity('mlflow', integrity))] };
      case 'plumb':
        return {
          identity,
          findings: [...(await this.schemaFindings(integrity, options)), ...(await this.integrity('plumb', integrity))],
        };
      default: {
        const unknown: never = identity;
        throw new Error(`unknown schema ${JSON.stringify(unknown)}`);
      }
    }
  }

  private integrityOptions(schema: 'plumb' | 'mlflow', options: DbCheckOptions): IntegrityOptions {
    return {
      schema,
      now: this.deps.clock.now(),
      stuckAfterMs: options.stuckAfterMs ?? DEFAULT_STUCK_AFTER_MS,
      listCap: options.listCap ?? DEFAULT_LIST_CAP,
      fixCommand: `plumb doctor db --fix${suffix(options)}`,
    };
  }

  private async integrity(schema: 'plumb' | 'mlflow', options: IntegrityOptions): Promise<Finding[]> {
    const checks = schema === 'plumb' ? this.deps.diagnostics.plumb : this.deps.diagnostics.mlflow;
    const retry = `Re-run \`plumb doctor db\`; if it keeps failing, the table may be damaged: check it with the database's own tools.`;
    const findings: Finding[] = [];
    for (const kind of ORPHAN_KINDS) {
      findings.push(
        ...(await guarded('db', `check ${ORPHANS[kind].table} for orphans`, retry, () =>
          orphanFindings(checks, kind, options),
        )),
      );
    }
    findings.push(...(await guarded('db', 'look for stuck runs', retry, () => stuckRunFindings(checks, options))));
    findings.push(...(await guarded('db', 'check registry versions', retry, () => versionFindings(checks, options))));
    if (schema === 'plumb') {
      findings.push(...(await guarded('db', 'check version counters', retry, () => this.counterFindings(options))));
    }
    return findings;
  }

  private async counterFindings(options: IntegrityOptions): Promise<Finding[]> {
    const behind = await this.deps.diagnostics.plumb.versionCountersBehind(options.listCap);
    if (behind.count === 0) return [];
    return [
      {
        id: 'db.version-counter-behind',
        severity: 'error',
        summary: `${plural(behind.count, 'registered model')}'s next-version counter is not above ${behind.count === 1 ? 'its' : 'their'} highest version: the next registration would collide.`,
        where: where(
          'table registered_models, model: next_version ≤ highest',
          behind.sample.map((b) => `${b.model}: next_version ${b.nextVersion}, highest version ${b.highestVersion}`),
          behind.count,
          options.listCap,
        ),
        repair:
          "After a backup, with the servers stopped: UPDATE registered_models SET next_version = (SELECT MAX(version) + 1 FROM model_versions v WHERE v.registered_model_id = registered_models.id) WHERE name = '<model>';",
        fixable: false,
      },
    ];
  }

  private async schemaFindings(options: IntegrityOptions, check: DbCheckOptions): Promise<Finding[]> {
    return guarded('db', 'check the schema', 'Run `plumb db check` for the details.', async () => {
      const schema = await this.deps.schema.check();
      const findings: Finding[] = [];
      const highest = Math.max(0, ...schema.applied.map((m) => m.version));
      findings.push({
        id: 'db.schema',
        severity: 'info',
        summary: `Plumb schema: ${plural(schema.applied.length, 'migration')} applied (highest ${highest}); this release knows ${schema.latestKnownVersion}.`,
        repair: 'None needed.',
        fixable: false,
      });
      const upgrade = `\`plumb db upgrade${suffix(check)}\``;
      if (schema.pending.length > 0) {
        findings.push({
          id: 'db.pending-migrations',
          severity: 'error',
          summary: `${plural(schema.pending.length, 'migration')} of this release ${schema.pending.length === 1 ? 'is' : 'are'} not applied: servers of this release refuse to start.`,
          where: where(
            'migrations',
            schema.pending.map((m) => `${m.version} ${m.name}`),
            schema.pending.length,
            options.listCap,
          ),
          repair: `${upgrade} applies them (add --plan to print the SQL first).`,
          fixable: false,
        });
      }
      if (schema.unknown.length > 0) {
        const tooNew = schema.unknown.filter((m) => compareReleases(m.minServerRelease, this.deps.release) > 0);
        findings.push({
          id: 'db.unknown-migrations',
          severity: tooNew.length > 0 ? 'error' : 'warning',
          summary: `${plural(schema.unknown.length, 'migration')} ${schema.unknown.length === 1 ? 'was' : 'were'} applied by a newer release${tooNew.length > 0 ? `; this release (${this.deps.release}) cannot run on the result` : ' (this release can still run on it)'}.`,
          where: where(
            'migrations',
            schema.unknown.map((m) => `${m.version} ${m.name} (needs ≥ ${m.minServerRelease})`),
            schema.unknown.length,
            options.listCap,
          ),
          repair: 'Run doctor (and the servers) from the newer release that applied them.',
          fixable: false,
        });
      }
      if (schema.checksumMismatches.length > 0) {
        findings.push({
          id: 'db.checksum-mismatch',
          severity: 'error',
          summary: "Applied migrations differ from this release's: the schema was changed by a different build.",
          where: where(
            'schema_migrations',
            schema.checksumMismatches.map(
              (m) => `${m.version}: recorded ${m.recorded.slice(0, 12)}…, expected ${m.expected.slice(0, 12)}…`,
            ),
            schema.checksumMismatches.length,
            options.listCap,
          ),
          repair:
            'Run the release that applied these migrations, or restore a backup taken before the other build ran (`plumb restore`).',
          fixable: false,
        });
      }
      if (schema.missingTables.length > 0) {
        findings.push({
          id: 'db.missing-tables',
          severity: 'error',
          summary: `${plural(schema.missingTables.length, 'table')} that applied migrations created ${schema.missingTables.length === 1 ? 'is' : 'are'} missing.`,
          where: where('tables', schema.missingTables, schema.missingTables.length, options.listCap),
          repair:
            'Restore the database from a backup (`plumb restore`); a dropped table cannot be recreated with its data.',
          fixable: false,
        });
      }
      if (schema.missingIndexes.length > 0) {
        const statements = await this.deps.diagnostics.plumb.indexStatements(schema.missingIndexes);
        findings.push({
          id: 'db.missing-indexes',
          severity: 'error',
          summary: `${plural(schema.missingIndexes.length, 'index', 'indexes')} that applied migrations created ${schema.missingIndexes.length === 1 ? 'is' : 'are'} missing: queries that use ${schema.missingIndexes.length === 1 ? 'it' : 'them'} scan whole tables.`,
          where: where('indexes', schema.missingIndexes, schema.missingIndexes.length, options.listCap),
          repair: `\`${options.fixCommand}\` recreates ${schema.missingIndexes.length === 1 ? 'it' : 'them'}, or run: ${[...statements.values()].map((s) => `${s};`).join(' ')}`,
          fixable: statements.size > 0,
        });
      }
      if (schema.missingUniqueKeys.length > 0) {
        findings.push({
          id: 'db.missing-unique-keys',
          severity: 'error',
          summary: `${plural(schema.missingUniqueKeys.length, 'unique key')} the migrations declare ${schema.missingUniqueKeys.length === 1 ? 'is' : 'are'} missing: duplicates can get in (metric retries, write-once params, version numbers).`,
          where: where('table(columns)', schema.missingUniqueKeys, schema.missingUniqueKeys.length, options.listCap),
          repair:
            'Restore the database from a backup (`plumb restore`), or remove duplicate rows and re-create the key by hand; see docs/operations.md (metadata corruption).',
          fixable: false,
        });
      }
      return findings;
    });
  }

  /**
   * Repairs the fixable findings among `ids` on Plumb's schema (never on an MLflow database):
   * deletes orphan rows, marks stuck runs FAILED, recreates missing indexes. Each repair
   * recomputes what it acts on rather than trusting the (capped) report.
   */
  async repair(ids: readonly string[], options: DbCheckOptions = {}): Promise<RepairOutcome[]> {
    const identity = await this.deps.diagnostics.identify();
    if (identity.kind !== 'plumb') return [];
    const plumb = this.deps.diagnostics.plumb;
    const outcomes: RepairOutcome[] = [];
    const attempt = async (findingId: string, work: () => Promise<string>) => {
      try {
        outcomes.push({ findingId, repaired: true, done: await work() });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        outcomes.push({ findingId, repaired: false, done: `failed: ${message}` });
      }
    };
    if (ids.includes('db.missing-indexes')) {
      await attempt('db.missing-indexes', async () => {
        const created = await plumb.recreateIndexes((await this.deps.schema.check()).missingIndexes);
        return `recreated ${plural(created.length, 'index', 'indexes')}: ${created.join(', ')}`;
      });
    }
    for (const kind of ORPHAN_KINDS) {
      const id = orphanFindingId(kind);
      if (ids.includes(id)) await attempt(id, () => this.deleteOrphans(kind));
    }
    if (ids.includes('db.stuck-runs')) {
      await attempt('db.stuck-runs', async () => {
        const now = this.deps.clock.now();
        const failed = await plumb.failStuckRuns(now - (options.stuckAfterMs ?? DEFAULT_STUCK_AFTER_MS), now);
        await this.deps.onRunsEnded?.(failed);
        return `marked ${plural(failed.length, 'run')} FAILED: ${failed.slice(0, options.listCap ?? DEFAULT_LIST_CAP).join(', ')}${failed.length > (options.listCap ?? DEFAULT_LIST_CAP) ? ', …' : ''}`;
      });
    }
    return outcomes;
  }

  private async deleteOrphans(kind: OrphanKind): Promise<string> {
    const deleted = await this.deps.diagnostics.plumb.deleteOrphans(kind);
    return `deleted ${plural(deleted, 'orphan row')} from ${ORPHANS[kind].table}`;
  }
}

function suffix(options: DbCheckOptions): string {
  return options.storeArgument ? ` ${options.storeArgument}` : '';
}

function mlflowSchemaFinding(identity: Extract<SchemaIdentity, { kind: 'mlflow' }>): Finding {
  const revision = identity.alembicRevision;
  const readOnly = 'Doctor only reads an MLflow database; `plumb import mlflow` moves it to Plumb.';
  if (revision === undefined) {
    return {
      id: 'db.mlflow-schema',
      severity: 'warning',
      summary: 'MLflow database with an empty alembic_version table: its schema version is unknown.',
      repair: `\`mlflow db upgrade <uri>\` records the revision. ${readOnly}`,
      fixable: false,
    };
  }
  const info = describeMlflowRevision(revision);
  switch (info.kind) {
    case 'release-head':
      return {
        id: 'db.mlflow-schema',
        severity: 'info',
        summary: `MLflow database at Alembic revision ${revision}: the schema of MLflow ${info.releases}.`,
        repair: `None needed. ${readOnly}`,
        fixable: false,
      };
    case 'known':
      return {
        id: 'db.mlflow-schema',
        severity: 'info',
        summary: `MLflow database at Alembic revision ${revision}: a known MLflow revision, but no release head in doctor's table${info.after ? ` (newer than MLflow ${info.after})` : ''}.`,
        repair: `If the MLflow servers report a different version, run \`mlflow db upgrade <uri>\` with the release they run. ${readOnly}`,
        fixable: false,
      };
    case 'unknown':
      return {
        id: 'db.mlflow-schema',
        severity: 'warning',
        summary: `MLflow database at Alembic revision ${revision}, which doctor's table of MLflow releases does not know (a newer or development release?).`,
        repair: `Compare with the MLflow release the servers run (\`mlflow --version\`). ${readOnly}`,
        fixable: false,
      };
    default: {
      const unknown: never = info;
      throw new Error(`unknown revision info ${JSON.stringify(unknown)}`);
    }
  }
}
