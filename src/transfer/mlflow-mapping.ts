import { RUN_STATUSES, type RunStatus, type Tag } from '../core/entities.ts';
import { MlflowError } from '../core/errors.ts';
import { LOGGED_MODEL_STATUSES, type LoggedModelStatus } from '../core/logged-model.ts';
import { modelNameKey } from '../core/registry-validation.ts';
import type {
  ImportedDataset,
  ImportedExperiment,
  ImportedLoggedModel,
  ImportedMetric,
  ImportedModelVersion,
  ImportedRegisteredModel,
  ImportedRun,
} from '../store/import-store.ts';
import type {
  MlflowExperiment,
  MlflowMetric,
  MlflowModelVersion,
  MlflowRegisteredModel,
  MlflowLoggedModel,
  MlflowRun,
  MlflowTag,
} from '../store/mlflow-source.ts';
import type { NewRegistryEvent } from '../store/registry-store.ts';

/**
 * MLflow's rows → Plumb's, keeping ids, names, timestamps and URIs. Pure functions: the rules of
 * the import that have nothing to do with where the rows come from or go to.
 */

export const DELETED_INTERNAL = 'Deleted_Internal';
/** Who the registry history says made the changes an import recreates. */
export const IMPORT_ACTOR = 'plumb import mlflow';

const lifecycle = (stage: string | null): 'active' | 'deleted' => (stage === 'deleted' ? 'deleted' : 'active');
/** MLflow's tag values are nullable, Plumb's are not; MLflow's API sends a null value as absent, i.e. ''. */
const tags = (list: readonly MlflowTag[]): Tag[] => list.map((t) => ({ key: t.key, value: t.value ?? '' }));

/** When the experiment was deleted: MLflow keeps no deletion time, but the delete was its last update. */
export function experimentDeletedAt(e: MlflowExperiment): number | null {
  return lifecycle(e.lifecycleStage) === 'deleted' ? (e.lastUpdateTime ?? e.creationTime ?? 0) : null;
}

export function toExperiment(e: MlflowExperiment): ImportedExperiment {
  const creationTime = e.creationTime ?? 0;
  return {
    experimentId: e.experimentId,
    name: e.name,
    artifactLocation: e.artifactLocation ?? '',
    lifecycleStage: lifecycle(e.lifecycleStage),
    creationTime,
    lastUpdateTime: e.lastUpdateTime ?? creationTime,
    deletedTime: experimentDeletedAt(e),
    tags: tags(e.tags),
  };
}

export function toDatasets(e: MlflowExperiment): ImportedDataset[] {
  return e.datasets.map((d) => ({ ...d }));
}

/**
 * Plumb's metric representation, which is MLflow's SQL store's: NaN as value 0 with isNan 1,
 * ±Infinity clamped to ±Number.MAX_VALUE (a PostgreSQL source may hold real NaN and Infinity).
 */
export function toMetric(m: MlflowMetric): ImportedMetric {
  const base = { key: m.key, timestamp: m.timestamp ?? 0, step: m.step };
  const value = m.value ?? Number.NaN;
  if (m.isNan || Number.isNaN(value)) return { ...base, value: 0, isNan: 1 };
  return { ...base, value: Math.max(-Number.MAX_VALUE, Math.min(Number.MAX_VALUE, value)), isNan: 0 };
}

function runStatus(r: MlflowRun): RunStatus {
  const status = r.status ?? 'RUNNING';
  if (!(RUN_STATUSES as readonly string[]).includes(status)) {
    throw MlflowError.invalidParameter(`Run ${r.runId} has status '${status}', which MLflow does not define`);
  }
  return status as RunStatus;
}

/**
 * `experimentDeletedTime` is when the run's experiment was deleted, if it was. MLflow stamps each
 * run the experiment's delete marks with its own clock reading, a few ms apart; Plumb's restore
 * revives exactly the runs deleted together with the experiment (same deletion time), so those
 * runs — deleted at or after the experiment's deletion — take the experiment's time.
 */
export function toRun(r: MlflowRun, experimentDeletedTime: number | null): ImportedRun {
  const stage = lifecycle(r.lifecycleStage);
  let deletedTime = stage === 'deleted' ? r.deletedTime : null;
  if (
    stage === 'deleted' &&
    experimentDeletedTime !== null &&
    (deletedTime ?? experimentDeletedTime) >= experimentDeletedTime
  ) {
    deletedTime = experimentDeletedTime;
  }
  const inputs: ImportedRun['inputs'][number][] = [];
  const outputs: ImportedRun['outputs'][number][] = [];
  for (const i of r.inputs) {
    const edge = `${i.sourceType}>${i.destinationType}`;
    if (edge === 'DATASET>RUN') inputs.push({ inputUuid: i.inputUuid, sourceType: 'DATASET', sourceId: i.sourceId });
    else if (edge === 'RUN_INPUT>MODEL_INPUT') {
      inputs.push({ inputUuid: i.inputUuid, sourceType: 'MODEL', sourceId: i.destinationId });
    } else if (edge === 'RUN_OUTPUT>MODEL_OUTPUT') outputs.push({ modelId: i.destinationId, step: i.step });
  }
  const kept = new Set(inputs.map((i) => i.inputUuid));
  return {
    runId: r.runId,
    experimentId: r.experimentId,
    name: r.name ?? '',
    userId: r.userId ?? '',
    status: runStatus(r),
    startTime: r.startTime,
    endTime: r.endTime,
    deletedTime,
    lifecycleStage: stage,
    artifactUri: r.artifactUri ?? '',
    params: tags(r.params),
    tags: tags(r.tags),
    metrics: r.metrics.map(toMetric),
    latestMetrics: r.latestMetrics.map(toMetric),
    inputs,
    inputTags: r.inputTags.filter((t) => kept.has(t.inputUuid)),
    outputs,
  };
}

/** MLflow stores LoggedModelStatus's number: 1 PENDING, 2 READY, 3 UPLOAD_FAILED (0, unspecified, was never finalised). */
const LOGGED_MODEL_STATUS_NUMBERS: Record<number, LoggedModelStatus> = {
  0: 'PENDING',
  1: 'PENDING',
  2: 'READY',
  3: 'UPLOAD_FAILED',
};

function loggedModelStatus(m: MlflowLoggedModel): LoggedModelStatus {
  const status =
    typeof m.status === 'number'
      ? LOGGED_MODEL_STATUS_NUMBERS[m.status]
      : (LOGGED_MODEL_STATUSES as readonly string[]).includes(m.status.replace(/^LOGGED_MODEL_/, ''))
        ? (m.status.replace(/^LOGGED_MODEL_/, '') as LoggedModelStatus)
        : undefined;
  if (!status) throw MlflowError.invalidParameter(`Logged model ${m.modelId} has an unknown status '${m.status}'`);
  return status;
}

export function toLoggedModel(m: MlflowLoggedModel): ImportedLoggedModel {
  return {
    modelId: m.modelId,
    experimentId: m.experimentId,
    name: m.name,
    artifactLocation: m.artifactLocation,
    creationTime: m.creationTime,
    lastUpdatedTime: m.lastUpdatedTime,
    status: loggedModelStatus(m),
    statusMessage: m.statusMessage,
    modelType: m.modelType,
    sourceRunId: m.sourceRunId,
    lifecycleStage: lifecycle(m.lifecycleStage),
    params: tags(m.params),
    tags: tags(m.tags),
    // MLflow keeps no is_nan column for model metrics: a NaN went in as NULL.
    metrics: m.metrics.map((x) => ({
      ...toMetric({ key: x.key, value: x.value, timestamp: x.timestamp, step: x.step, isNan: x.value === null }),
      runId: x.runId,
      datasetName: x.datasetName ?? '',
      datasetDigest: x.datasetDigest ?? '',
    })),
  };
}

/** `models:/m-…`, how MLflow 3 records a version registered from a logged model. */
const LOGGED_MODEL_SOURCE = /^models:\/(m-[0-9a-f]{32})$/;

function toVersion(v: MlflowModelVersion): ImportedModelVersion {
  const creationTime = v.creationTime ?? 0;
  return {
    version: v.version,
    creationTime,
    lastUpdatedTime: v.lastUpdatedTime ?? creationTime,
    description: v.description,
    userId: v.userId,
    currentStage: v.currentStage ?? 'None',
    source: v.source,
    storageLocation: v.storageLocation,
    runId: v.runId,
    runLink: v.runLink,
    status: v.status ?? 'READY',
    statusMessage: v.statusMessage,
    modelId: LOGGED_MODEL_SOURCE.exec(v.source ?? '')?.[1] ?? null,
    tags: tags(v.tags),
  };
}

const tagMap = (list: readonly Tag[]) => Object.fromEntries(list.map((t) => [t.key, t.value]));

function versionAfter(v: ImportedModelVersion, stage: string) {
  return {
    version: String(v.version),
    current_stage: stage,
    description: v.description,
    source: v.source,
    storage_location: v.storageLocation,
    run_id: v.runId,
    run_link: v.runLink,
    model_id: v.modelId,
    tags: tagMap(v.tags),
  };
}

/**
 * The model as Plumb keeps it. Versions MLflow deleted softly (`Deleted_Internal`, redacted, never
 * returned by its API) are not kept — Plumb deletes versions outright — but their numbers stay
 * used: the version counter starts above every number MLflow ever gave. Aliases can only point at
 * kept versions. The history Plumb's event log would hold is recreated in order (created, each
 * version created — and deleted, for the deleted ones — then the aliases), so replaying the log
 * gives the imported state.
 */
export function toRegisteredModel(m: MlflowRegisteredModel): ImportedRegisteredModel {
  const creationTime = m.creationTime ?? 0;
  const lastUpdatedTime = m.lastUpdatedTime ?? creationTime;
  const all = m.versions.map(toVersion);
  const kept = all.filter((v) => v.currentStage !== DELETED_INTERNAL);
  const keptNumbers = new Set(kept.map((v) => v.version));
  const aliases = m.aliases.filter((a) => keptNumbers.has(a.version));
  const modelTags = tags(m.tags);
  const events: Omit<NewRegistryEvent, 'modelId'>[] = [];
  const event = (e: Omit<NewRegistryEvent, 'modelId' | 'modelName' | 'actor' | 'revision'>) =>
    events.push({ ...e, modelName: m.name, actor: IMPORT_ACTOR, revision: events.length + 1 });
  event({
    version: null,
    kind: 'registered_model.created',
    before: null,
    after: { name: m.name, description: m.description, tags: tagMap(modelTags) },
    time: creationTime,
  });
  for (const v of all) {
    const deleted = v.currentStage === DELETED_INTERNAL;
    const after = versionAfter(v, deleted ? 'None' : v.currentStage);
    event({ version: v.version, kind: 'model_version.created', before: null, after, time: v.creationTime });
    if (deleted) {
      event({
        version: v.version,
        kind: 'model_version.deleted',
        before: { ...after, aliases: [] },
        after: null,
        time: v.lastUpdatedTime,
      });
    }
  }
  for (const a of aliases) {
    event({
      version: a.version,
      kind: 'alias.set',
      before: null,
      after: { alias: a.alias, version: String(a.version) },
      time: lastUpdatedTime,
    });
  }
  return {
    name: m.name,
    nameKey: modelNameKey(m.name),
    description: m.description,
    creationTime,
    lastUpdatedTime,
    nextVersion: Math.max(0, ...all.map((v) => v.version)) + 1,
    tags: modelTags,
    versions: kept,
    aliases,
    events,
  };
}
