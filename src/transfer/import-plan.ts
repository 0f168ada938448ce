import type { ImportedDataset, ImportReads, StoredExperiment } from '../store/import-store.ts';
import type { MlflowEntityKey, MlflowExperiment, MlflowRegisteredModel } from '../store/mlflow-source.ts';
import { modelNameKey } from '../core/registry-validation.ts';
import { DELETED_INTERNAL, toDatasets, toExperiment } from './mlflow-mapping.ts';

/**
 * What an import would do, decided before anything is written: each source entity is new, already
 * in Plumb (an earlier or interrupted import brought it), or in conflict with different data that
 * Plumb holds under the same id or name. Any conflict stops the import before its first write.
 */
export interface ImportPlan {
  readonly experiments: readonly { readonly experiment: MlflowExperiment; readonly action: ExperimentAction }[];
  readonly datasets: { readonly missing: readonly ImportedDataset[]; readonly present: number };
  readonly loggedModels: KeyedPlan;
  readonly runs: KeyedPlan;
  readonly registeredModels: readonly { readonly model: MlflowRegisteredModel; readonly present: boolean }[];
  readonly conflicts: readonly string[];
}

/** `replace`: Plumb's experiment of the same id and name is the empty Default a server created. */
export type ExperimentAction = 'insert' | 'replace' | 'present';

export interface KeyedPlan {
  readonly missing: readonly MlflowEntityKey[];
  readonly present: number;
  /** Ids whose experiment the source does not have (MLflow's SQLite does not enforce foreign keys). */
  readonly orphans: readonly string[];
}

/** At most this many conflicts are listed; the count says how many more there are. */
const MAX_LISTED = 20;

function planExperiment(e: MlflowExperiment, stored: StoredExperiment | undefined, idOfName: number | undefined) {
  const conflicts: string[] = [];
  if (idOfName !== undefined && idOfName !== e.experimentId) {
    conflicts.push(
      `experiment '${e.name}' has id ${e.experimentId} in MLflow, but Plumb holds an experiment of that name with id ${idOfName}`,
    );
  }
  if (stored && stored.name !== e.name) {
    conflicts.push(`experiment id ${e.experimentId} is '${e.name}' in MLflow, but '${stored.name}' in Plumb`);
  }
  let action: ExperimentAction = 'insert';
  if (stored && conflicts.length === 0) action = isAutoCreatedDefault(e, stored) ? 'replace' : 'present';
  return { action, conflicts };
}

/**
 * Plumb's own Default (experiment 0, created at a server's first start) while it is still empty
 * and not yet MLflow's: MLflow's Default, with its location and times, takes its place. Any other
 * experiment of the same id and name is the imported one (an earlier run of the import).
 */
function isAutoCreatedDefault(e: MlflowExperiment, stored: StoredExperiment): boolean {
  const want = toExperiment(e);
  const same =
    stored.artifactLocation === want.artifactLocation &&
    stored.lifecycleStage === want.lifecycleStage &&
    stored.creationTime === want.creationTime &&
    stored.lastUpdateTime === want.lastUpdateTime;
  return e.experimentId === 0 && stored.runCount === 0 && stored.tagCount === 0 && !same;
}

async function planKeyed(
  keys: readonly MlflowEntityKey[],
  experimentIds: ReadonlySet<number>,
  find: (ids: readonly string[]) => Promise<Map<string, number>>,
  what: string,
  conflicts: string[],
): Promise<KeyedPlan> {
  const orphans = keys.filter((k) => !experimentIds.has(k.experimentId)).map((k) => k.id);
  const stored = await find(keys.map((k) => k.id));
  const missing: MlflowEntityKey[] = [];
  let present = 0;
  for (const key of keys) {
    const experiment = stored.get(key.id);
    if (experiment === undefined) {
      if (experimentIds.has(key.experimentId)) missing.push(key);
    } else if (experiment === key.experimentId) present++;
    else {
      conflicts.push(
        `${what} ${key.id} is in experiment ${key.experimentId} in MLflow, but in experiment ${experiment} in Plumb`,
      );
    }
  }
  return { missing, present, orphans };
}

async function planRegisteredModel(target: ImportReads, m: MlflowRegisteredModel, conflicts: string[]) {
  const stored = await target.getRegisteredModel(m.name);
  if (!stored) {
    const clash = await target.registeredModelNameOfKey(modelNameKey(m.name));
    if (clash !== undefined) {
      conflicts.push(
        `registered model '${m.name}' clashes with Plumb's '${clash}' (the names decode to the same text)`,
      );
    }
    return false;
  }
  const expected = m.versions
    .filter((v) => v.currentStage !== DELETED_INTERNAL)
    .map((v) => `${v.version}:${v.runId ?? ''}:${v.source ?? ''}`);
  const actual = stored.versions.map((v) => `${v.version}:${v.runId ?? ''}:${v.source ?? ''}`);
  if (expected.join('\n') !== actual.join('\n')) {
    conflicts.push(
      `registered model '${m.name}' exists in Plumb with different versions (MLflow: ${expected.length}, Plumb: ${actual.length}, or other sources)`,
    );
  }
  return true;
}

export async function planImport(
  target: ImportReads,
  source: {
    experiments: readonly MlflowExperiment[];
    runs: readonly MlflowEntityKey[];
    loggedModels: readonly MlflowEntityKey[];
    registeredModels: readonly MlflowRegisteredModel[];
  },
): Promise<ImportPlan> {
  const conflicts: string[] = [];
  const experiments: { experiment: MlflowExperiment; action: ExperimentAction }[] = [];
  for (const e of source.experiments) {
    const planned = planExperiment(
      e,
      await target.getExperiment(e.experimentId),
      await target.experimentIdOfName(e.name),
    );
    conflicts.push(...planned.conflicts);
    experiments.push({ experiment: e, action: planned.action });
  }
  const wanted = source.experiments.flatMap(toDatasets);
  const stored = await target.findDatasets(wanted);
  const byUuid = new Map(stored.map((d) => [d.datasetUuid, d]));
  const missing: ImportedDataset[] = [];
  for (const d of wanted) {
    const same = byUuid.get(d.datasetUuid);
    const twin = stored.find(
      (s) =>
        s.experimentId === d.experimentId &&
        s.name === d.name &&
        s.digest === d.digest &&
        s.datasetUuid !== d.datasetUuid,
    );
    if (same && (same.experimentId !== d.experimentId || same.name !== d.name || same.digest !== d.digest)) {
      conflicts.push(
        `dataset ${d.datasetUuid} is '${d.name}' (${d.digest}) in MLflow, but '${same.name}' (${same.digest}) in Plumb`,
      );
    } else if (!same && twin) {
      conflicts.push(
        `dataset '${d.name}' (${d.digest}) of experiment ${d.experimentId} has id ${d.datasetUuid} in MLflow, but ${twin.datasetUuid} in Plumb`,
      );
    } else if (!same) missing.push(d);
  }
  const experimentIds = new Set(source.experiments.map((e) => e.experimentId));
  const loggedModels = await planKeyed(
    source.loggedModels,
    experimentIds,
    (ids) => target.findLoggedModels(ids),
    'logged model',
    conflicts,
  );
  const runs = await planKeyed(source.runs, experimentIds, (ids) => target.findRuns(ids), 'run', conflicts);
  const registeredModels: { model: MlflowRegisteredModel; present: boolean }[] = [];
  for (const model of source.registeredModels) {
    registeredModels.push({ model, present: await planRegisteredModel(target, model, conflicts) });
  }
  const listed = conflicts.slice(0, MAX_LISTED);
  if (conflicts.length > MAX_LISTED) listed.push(`… and ${conflicts.length - MAX_LISTED} more conflicts`);
  return {
    experiments,
    datasets: { missing, present: wanted.length - missing.length },
    loggedModels,
    runs,
    registeredModels,
    conflicts: listed,
  };
}
