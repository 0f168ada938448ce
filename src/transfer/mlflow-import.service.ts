import { isMlflowError, MlflowError } from '../core/errors.ts';
import {
  IMPORT_COUNT_KEYS,
  type ImportCountKey,
  type ImportScope,
  type ImportStore,
  type ImportWrites,
} from '../store/import-store.ts';
import type { MlflowEntityKey, MlflowSource } from '../store/mlflow-source.ts';
import { type ArtifactCopyDeps, type ArtifactCopyResult, copyArtifacts, countRecordedFiles } from './artifact-copy.ts';
import { type ImportPlan, planImport } from './import-plan.ts';
import { experimentDeletedAt, toExperiment, toLoggedModel, toRegisteredModel, toRun } from './mlflow-mapping.ts';

export interface MlflowImportDeps {
  readonly source: MlflowSource;
  readonly target: ImportStore;
  /** Absent when no artifact root was given: only metadata is imported. */
  readonly artifacts?: ArtifactCopyDeps | undefined;
  readonly onProgress?: ((progress: ImportProgress) => void) | undefined;
  /** Whether Plumb serves an artifact URI (`mlflow-artifacts:` or under its store); others are named in a warning. */
  readonly servesArtifactUri?: ((uri: string) => boolean) | undefined;
}

export interface ImportProgress {
  readonly phase: string;
  readonly done: number;
  /** Unknown while walking an artifact tree. */
  readonly total?: number | undefined;
}

export interface EntityOutcome {
  readonly kind: string;
  /** Written by this run (with --dry-run: would be written). */
  readonly imported: number;
  /** Already in Plumb with the same id: skipped. */
  readonly present: number;
}

export interface VerificationRow {
  readonly table: string;
  readonly source: number;
  readonly plumb: number;
}

export interface ImportReport {
  readonly source: string;
  readonly alembicRevision: string | null;
  readonly dryRun: boolean;
  readonly entities: readonly EntityOutcome[];
  /** Different data in Plumb under the same ids or names: nothing was written. */
  readonly conflicts: readonly string[];
  readonly warnings: readonly string[];
  /** Source rows vs Plumb rows per table; absent for a dry run or when there were conflicts. */
  readonly verification?: readonly VerificationRow[] | undefined;
  readonly artifacts?: ArtifactCopyResult | undefined;
  /** No conflicts, and every verification row matches. */
  readonly ok: boolean;
}

/**
 * Runs and logged models read from the source per batch (each is still written in its own
 * transaction): at most this many entities, and no more metric points than fit comfortably in
 * memory — unless a single run has more, which is then read alone.
 */
const BATCH = 100;
const BATCH_ROWS = 200_000;

/**
 * `plumb import mlflow`: reads an MLflow database (and its artifact tree) and writes it into
 * Plumb with the same ids, names, timestamps and artifact URIs. Plans first and refuses on any
 * conflict before writing; then imports experiments (with tags and datasets), logged models, runs
 * (with params, tags, metric history, latest metrics, inputs and outputs), registered models (with
 * versions, tags, aliases and history), each entity in one transaction, skipping what is already
 * there; then copies artifacts and verifies the row counts on both sides.
 */
export class MlflowImportService {
  /** Artifact URIs of imported runs that Plumb does not serve (they are kept; clients read them there). */
  private readonly unserved: string[] = [];

  constructor(private readonly deps: MlflowImportDeps) {}

  async run(options: { readonly dryRun: boolean }): Promise<ImportReport> {
    const { source } = this.deps;
    const schema = await source.inspect();
    if (!schema.tables.includes('experiments') || !schema.tables.includes('runs')) {
      throw MlflowError.invalidParameter(
        `${source.description} is not an MLflow tracking database (no experiments or runs table)`,
      );
    }
    if (schema.tables.includes('schema_migrations') && schema.alembicRevision === null) {
      throw MlflowError.invalidParameter(
        `${source.description} is a Plumb database, not an MLflow one: move it with plumb export and plumb import dump`,
      );
    }
    const warnings = schema.unsupportedRows.map(
      (t) => `table ${t.table} holds ${t.rows} rows of an MLflow feature Plumb does not have; they are not imported`,
    );
    const base = { source: source.description, alembicRevision: schema.alembicRevision, dryRun: options.dryRun };
    if (schema.workspaces.length > 1) {
      const conflicts = [
        `the MLflow database has several workspaces (${schema.workspaces.join(', ')}); Plumb has none, so names could clash — import one workspace per Plumb database`,
      ];
      return { ...base, entities: [], conflicts, warnings, ok: false };
    }
    this.progress('reading', 0);
    const experiments = await source.listExperiments();
    const registeredModels = await source.listRegisteredModels();
    const runs = await source.listRunKeys();
    const loggedModels = await source.listLoggedModelKeys();
    const plan = await planImport(this.deps.target, { experiments, runs, loggedModels, registeredModels });
    warnings.push(...orphanWarnings(plan));
    if (plan.conflicts.length > 0) {
      return { ...base, entities: planned(plan), conflicts: plan.conflicts, warnings, ok: false };
    }
    if (options.dryRun) {
      const artifacts = this.deps.artifacts && (await copyArtifacts(this.deps.artifacts, { dryRun: true }));
      return { ...base, entities: planned(plan, artifacts), conflicts: [], warnings, artifacts, ok: true };
    }
    const entities = await this.write(plan);
    await this.deps.target.refreshStatistics();
    if (this.unserved.length > 0) {
      warnings.push(
        `${this.unserved.length} imported runs keep artifact URIs outside Plumb's artifact store (e.g. ${this.unserved[0]}): clients read those artifacts there directly`,
      );
    }
    let artifacts: ArtifactCopyResult | undefined;
    if (this.deps.artifacts) {
      artifacts = await copyArtifacts(this.deps.artifacts, {
        dryRun: false,
        onFile: (done) => this.progress('artifacts', done),
      });
      entities.push({ kind: 'artifact files', imported: artifacts.copied, present: artifacts.present });
    }
    this.progress('verifying', 0);
    const verification = await this.verify({
      experimentIds: experiments.map((e) => e.experimentId),
      runIds: runs.map((r) => r.id),
      loggedModelIds: loggedModels.map((m) => m.id),
      registeredModelNames: registeredModels.map((m) => m.name),
    });
    const ok = verification.every((row) => row.source === row.plumb);
    return { ...base, entities, conflicts: [], warnings, verification, artifacts, ok };
  }

  /**
   * One entity's transaction. A failure names the entity and says that nothing of it was written;
   * what earlier transactions imported stays, so the import can simply be run again once fixed.
   */
  private async entity<T>(what: string, work: (tx: ImportWrites) => Promise<T>): Promise<T> {
    try {
      return await this.deps.target.write(work);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new MlflowError(
        isMlflowError(error) ? error.code : 'INTERNAL_ERROR',
        `Importing ${what} failed, and nothing of it was written: ${message}. What was imported before stays; run the import again to continue.`,
      );
    }
  }

  private progress(phase: string, done: number, total?: number): void {
    this.deps.onProgress?.({ phase, done, total });
  }

  private async write(plan: ImportPlan): Promise<EntityOutcome[]> {
    let imported = 0;
    for (const { experiment, action } of plan.experiments) {
      if (action === 'present') continue;
      await this.entity(`experiment ${experiment.experimentId}`, async (tx) => {
        const stored = await tx.getExperiment(experiment.experimentId);
        if (!stored) await tx.insertExperiment(toExperiment(experiment));
        else if (action === 'replace') await tx.replaceExperiment(toExperiment(experiment));
        else return;
        imported++;
      });
    }
    const experimentsPresent = plan.experiments.length - imported;
    const datasets = await this.entity('the datasets', async (tx) => {
      const stored = new Set((await tx.findDatasets(plan.datasets.missing)).map((d) => d.datasetUuid));
      const missing = plan.datasets.missing.filter((d) => !stored.has(d.datasetUuid));
      await tx.insertDatasets(missing);
      return missing.length;
    });
    const loggedModels = await this.inBatches('logged models', plan.loggedModels.missing, async (ids) => {
      let n = 0;
      for (const model of await this.deps.source.readLoggedModels(ids)) {
        const row = toLoggedModel(model);
        n += await this.entity(`logged model ${row.modelId}`, async (tx) => {
          if ((await tx.findLoggedModels([row.modelId])).size > 0) return 0;
          await tx.insertLoggedModel(row);
          return 1;
        });
      }
      return n;
    });
    const deletedAt = new Map(plan.experiments.map(({ experiment: e }) => [e.experimentId, experimentDeletedAt(e)]));
    const runs = await this.inBatches('runs', plan.runs.missing, async (ids) => {
      const written = await inParallel(await this.deps.source.readRuns(ids), this.deps.target.parallelWrites, (run) => {
        const row = toRun(run, deletedAt.get(run.experimentId) ?? null);
        if (this.deps.servesArtifactUri && row.artifactUri && !this.deps.servesArtifactUri(row.artifactUri)) {
          this.unserved.push(row.artifactUri);
        }
        return this.entity(`run ${row.runId}`, async (tx) => {
          if ((await tx.findRuns([row.runId])).size > 0) return 0;
          await tx.insertRun(row);
          return 1;
        });
      });
      return written.reduce((a: number, b) => a + b, 0);
    });
    const models = plan.registeredModels.filter((m) => !m.present);
    let registered = 0;
    for (const { model } of models) {
      const row = toRegisteredModel(model);
      registered += await this.entity(`registered model '${row.name}'`, async (tx) => {
        if (await tx.getRegisteredModel(row.name)) return 0;
        await tx.insertRegisteredModel(row);
        return 1;
      });
      this.progress('registered models', registered, models.length);
    }
    return [
      { kind: 'experiments', imported, present: experimentsPresent },
      {
        kind: 'datasets',
        imported: datasets,
        present: plan.datasets.present + plan.datasets.missing.length - datasets,
      },
      {
        kind: 'logged models',
        imported: loggedModels,
        present: plan.loggedModels.present + plan.loggedModels.missing.length - loggedModels,
      },
      { kind: 'runs', imported: runs, present: plan.runs.present + plan.runs.missing.length - runs },
      { kind: 'registered models', imported: registered, present: plan.registeredModels.length - registered },
    ];
  }

  private async inBatches(
    phase: string,
    keys: readonly MlflowEntityKey[],
    work: (ids: string[]) => Promise<number>,
  ): Promise<number> {
    let written = 0;
    let start = 0;
    while (start < keys.length) {
      let end = start + 1;
      let rows = keys[start]?.rows ?? 0;
      while (end < keys.length && end - start < BATCH && rows + (keys[end]?.rows ?? 0) <= BATCH_ROWS) {
        rows += keys[end]?.rows ?? 0;
        end++;
      }
      written += await work(keys.slice(start, end).map((k) => k.id));
      this.progress(phase, end, keys.length);
      start = end;
    }
    return written;
  }

  /** Rows per table in MLflow against the rows Plumb holds for the imported entities (by id). */
  private async verify(scope: ImportScope): Promise<VerificationRow[]> {
    const sourceCounts = await this.deps.source.countRows();
    const plumbCounts = await this.deps.target.countImported(scope);
    const rows: VerificationRow[] = IMPORT_COUNT_KEYS.filter(
      (key: ImportCountKey) => key !== 'other_inputs' || sourceCounts[key] > 0,
    ).map((key) => ({ table: key, source: sourceCounts[key], plumb: plumbCounts[key] }));
    if (this.deps.artifacts) {
      const files = await countRecordedFiles(this.deps.artifacts);
      rows.push({ table: 'artifact files', source: files.source, plumb: files.recorded });
    }
    return rows;
  }
}

/** What the plan would write (a dry run's report, or the counts next to a conflict). */
function planned(plan: ImportPlan, artifacts?: ArtifactCopyResult): EntityOutcome[] {
  const experiments = plan.experiments.filter((e) => e.action !== 'present').length;
  const models = plan.registeredModels.filter((m) => !m.present).length;
  const out: EntityOutcome[] = [
    { kind: 'experiments', imported: experiments, present: plan.experiments.length - experiments },
    { kind: 'datasets', imported: plan.datasets.missing.length, present: plan.datasets.present },
    { kind: 'logged models', imported: plan.loggedModels.missing.length, present: plan.loggedModels.present },
    { kind: 'runs', imported: plan.runs.missing.length, present: plan.runs.present },
    { kind: 'registered models', imported: models, present: plan.registeredModels.length - models },
  ];
  if (artifacts) out.push({ kind: 'artifact files', imported: artifacts.copied, present: artifacts.present });
  return out;
}

function orphanWarnings(plan: ImportPlan): string[] {
  const warnings: string[] = [];
  for (const [what, keyed] of [
    ['runs', plan.runs],
    ['logged models', plan.loggedModels],
  ] as const) {
    if (keyed.orphans.length > 0) {
      warnings.push(
        `${keyed.orphans.length} ${what} belong to experiments the MLflow database does not have and are not imported (e.g. ${keyed.orphans[0]})`,
      );
    }
  }
  return warnings;
}

/**
 * `work` over every item with at most `limit` running at once; results in item order. The first
 * failure is thrown once the items already started have finished (their transactions stand).
 */
async function inParallel<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const i = next++;
      try {
        results[i] = await work(items[i]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
  return results;
}
