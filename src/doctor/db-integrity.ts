import type { IntegrityChecks, OrphanKind } from '../store/diagnostics-store.ts';
import { duration, type Finding, instant, plural, where } from './finding.ts';

/**
 * The integrity findings both schemas share: orphan rows, stuck runs and registry version
 * numbering. `schema` decides the repair text: Plumb's are made by `--fix`, MLflow's are steps the
 * operator takes, since doctor never writes to an MLflow database.
 */
export interface IntegrityOptions {
  readonly schema: 'plumb' | 'mlflow';
  readonly now: number;
  readonly stuckAfterMs: number;
  readonly listCap: number;
  /** The `plumb doctor db` invocation that repairs Plumb findings, e.g. `plumb doctor db --fix --backend-store-uri …`. */
  readonly fixCommand: string;
}

/** Where each orphan kind lives and what its parent is. */
export const ORPHANS: Readonly<
  Record<OrphanKind, { table: string; parent: string; parents: string; mlflowDelete: string }>
> = {
  metrics: {
    table: 'metrics',
    parent: 'run',
    parents: 'missing run ids',
    mlflowDelete: 'DELETE FROM metrics WHERE run_uuid NOT IN (SELECT run_uuid FROM runs);',
  },
  'latest-metrics': {
    table: 'latest_metrics',
    parent: 'run',
    parents: 'missing run ids',
    mlflowDelete: 'DELETE FROM latest_metrics WHERE run_uuid NOT IN (SELECT run_uuid FROM runs);',
  },
  'metric-rollups': {
    table: 'metric_rollups',
    parent: 'run',
    parents: 'missing run ids',
    mlflowDelete: 'nothing: MLflow keeps no downsampled history',
  },
  params: {
    table: 'params',
    parent: 'run',
    parents: 'missing run ids',
    mlflowDelete: 'DELETE FROM params WHERE run_uuid NOT IN (SELECT run_uuid FROM runs);',
  },
  tags: {
    table: 'tags',
    parent: 'run',
    parents: 'missing run ids',
    mlflowDelete: 'DELETE FROM tags WHERE run_uuid NOT IN (SELECT run_uuid FROM runs);',
  },
  'model-versions': {
    table: 'model_versions',
    parent: 'registered model',
    parents: 'missing registered models',
    mlflowDelete:
      'DELETE FROM model_versions WHERE name NOT IN (SELECT name FROM registered_models); (and their model_version_tags first)',
  },
  aliases: {
    table: 'registered_model_aliases',
    parent: 'model version',
    parents: 'missing versions',
    mlflowDelete:
      "DELETE FROM registered_model_aliases WHERE NOT EXISTS (SELECT 1 FROM model_versions v WHERE v.name = registered_model_aliases.name AND v.version = registered_model_aliases.version AND v.current_stage <> 'Deleted_Internal');",
  },
};

export function orphanFindingId(kind: OrphanKind): string {
  return `db.orphan-${kind}`;
}

export async function orphanFindings(
  checks: IntegrityChecks,
  kind: OrphanKind,
  options: IntegrityOptions,
): Promise<Finding[]> {
  const found = await checks.orphans(kind, options.listCap);
  if (found.rows === 0) return [];
  const { table, parent, parents, mlflowDelete } = ORPHANS[kind];
  return [
    {
      id: orphanFindingId(kind),
      severity: 'error',
      summary: `${plural(found.rows, 'row')} in ${table} ${found.rows === 1 ? 'belongs' : 'belong'} to a ${parent} that does not exist (a foreign key was bypassed); the API never shows ${found.rows === 1 ? 'it' : 'them'}.`,
      where: where(`table ${table}, ${parents}`, found.missingParents, found.missingParents.length, options.listCap),
      repair:
        options.schema === 'plumb'
          ? `\`${options.fixCommand}\` deletes ${found.rows === 1 ? 'it' : 'them'} (take a backup first: \`plumb backup\`).`
          : `With MLflow stopped and after a backup, run on its database: ${mlflowDelete}`,
      fixable: options.schema === 'plumb',
    },
  ];
}

export async function stuckRunFindings(checks: IntegrityChecks, options: IntegrityOptions): Promise<Finding[]> {
  const before = options.now - options.stuckAfterMs;
  const stuck = await checks.stuckRuns(before, options.listCap);
  if (stuck.count === 0) return [];
  const items = stuck.sample.map(
    (run) => `${run.runId} (experiment ${run.experimentId}, last activity ${instant(run.lastActivity)})`,
  );
  return [
    {
      id: 'db.stuck-runs',
      severity: 'warning',
      summary: `${plural(stuck.count, 'run')} ${stuck.count === 1 ? 'is' : 'are'} RUNNING with no activity (start or metric) for over ${duration(options.stuckAfterMs)}: the client that ran ${stuck.count === 1 ? 'it' : 'them'} is probably gone.`,
      where: where('table runs, run ids', items, stuck.count, options.listCap),
      repair:
        options.schema === 'plumb'
          ? `\`${options.fixCommand}\` marks them FAILED with end_time = now (or per run: POST /api/2.0/mlflow/runs/update {"run_id", "status": "FAILED", "end_time"}).`
          : `Through MLflow, per run: \`MlflowClient().set_terminated("<run_id>", status="FAILED")\` (doctor never writes to an MLflow database).`,
      fixable: options.schema === 'plumb',
    },
  ];
}

export async function versionFindings(checks: IntegrityChecks, options: IntegrityOptions): Promise<Finding[]> {
  const findings: Finding[] = [];
  const duplicates = await checks.duplicateVersions(options.listCap);
  if (duplicates.count > 0) {
    findings.push({
      id: 'db.duplicate-versions',
      severity: 'error',
      summary: `${plural(duplicates.count, 'model version number')} ${duplicates.count === 1 ? 'is' : 'are'} held by more than one row: \`models:/<name>/<version>\` is ambiguous.`,
      where: where(
        'table model_versions, model/version',
        duplicates.sample.map((d) => `${d.model}/${d.version} (${d.rows} rows)`),
        duplicates.count,
        options.listCap,
      ),
      repair:
        options.schema === 'plumb'
          ? 'Keep the row the registry events name (GET /api/2.0/plumb/registered-models/events?name=), delete the others by hand after a backup, then check `plumb doctor db` shows no missing unique key.'
          : 'Keep one row per (name, version) — the oldest creation_time — and delete the others by hand after a backup, with MLflow stopped.',
      fixable: false,
    });
  }
  const gaps = await checks.versionGaps(options.listCap);
  if (gaps.count > 0) {
    findings.push({
      id: 'db.version-gaps',
      severity: 'warning',
      summary: `${plural(gaps.count, 'registered model')} ${gaps.count === 1 ? 'has' : 'have'} holes in ${gaps.count === 1 ? 'its' : 'their'} version numbers that no recorded deletion explains (rows removed outside the API, or a lost write).`,
      where: where(
        'table model_versions, model: missing versions',
        gaps.sample.map((g) => `${g.model}: ${g.missing.slice(0, 10).join(', ')}${g.missing.length > 10 ? ', …' : ''}`),
        gaps.count,
        options.listCap,
      ),
      repair:
        'Nothing breaks: new versions keep counting up. If the versions should exist, restore them from a backup; otherwise no action is needed.',
      fixable: false,
    });
  }
  return findings;
}
