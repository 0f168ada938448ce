import { joinArtifactUri } from '../core/artifact-uri.ts';
import type { Clock } from '../core/clock.ts';
import {
  DEFAULT_EXPERIMENT_ID,
  type Page,
  type Run,
  type RunInfo,
  type RunStatus,
  SYSTEM_TAGS,
  type Tag,
  type ViewType,
} from '../core/entities.ts';
import { MlflowError } from '../core/errors.ts';
import { newRunId, newRunName } from '../core/ids.ts';
import { type ValueRules, validateRunId, validateRunTag } from '../core/validation.ts';
import { parseRunFilter } from '../search/filter-parser.ts';
import { parseRunOrderBy } from '../search/order-by-parser.ts';
import type { TrackingStore, TrackingWrites } from '../store/store.ts';
import { requireActive, requireExperiment } from './experiment.service.ts';
import { searchPage, validateMaxResults } from './paging.ts';

export interface RunServiceDeps {
  readonly store: TrackingStore;
  readonly clock: Clock;
  readonly rules: ValueRules;
  /** Called after a run's move to a terminal status has committed (run snapshots hang off it). */
  readonly onRunEnded?: ((runId: string) => void) | undefined;
}

const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set(['FINISHED', 'FAILED', 'KILLED']);

export interface CreateRunInput {
  readonly experimentId?: string | undefined;
  readonly userId?: string | undefined;
  readonly runName?: string | undefined;
  readonly startTime?: number | undefined;
  readonly tags: readonly Tag[];
}

export interface RunSearch {
  readonly experimentIds: readonly string[];
  readonly filter?: string | undefined;
  readonly orderBy?: readonly string[] | undefined;
  readonly viewType?: ViewType | undefined;
  readonly maxResults?: number | undefined;
  readonly pageToken?: string | undefined;
}

export class RunService {
  constructor(private readonly deps: RunServiceDeps) {}

  async create(input: CreateRunInput): Promise<Run> {
    const tags = input.tags.map((t) => validateRunTag(t, this.deps.rules));
    const nameTag = tags.findLast((t) => t.key === SYSTEM_TAGS.runName)?.value;
    if (input.runName && nameTag && input.runName !== nameTag) {
      throw MlflowError.invalidParameter(
        `Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${input.runName}', mlflow.runName='${nameTag}').`,
      );
    }
    const runName = input.runName || nameTag || newRunName();
    const allTags = nameTag ? tags : [...tags, { key: SYSTEM_TAGS.runName, value: runName }];
    const experimentId = input.experimentId || DEFAULT_EXPERIMENT_ID;
    const runId = newRunId();
    return this.deps.store.write(async (tx) => {
      const experiment = await requireExperiment(tx, experimentId);
      if (experiment.lifecycleStage !== 'active') {
        throw MlflowError.invalidParameter(`Could not create run under non-active experiment with ID ${experimentId}.`);
      }
      await tx.insertRun({
        runId,
        experimentId,
        name: runName,
        userId: input.userId ?? '',
        status: 'RUNNING',
        startTime: input.startTime ?? this.deps.clock.now(),
        // Fixed here, once: later configuration changes never move a run's artifacts.
        artifactUri: joinArtifactUri(experiment.artifactLocation, runId, 'artifacts'),
        tags: allTags,
      });
      return (await tx.getRun(runId))!;
    });
  }

  async get(runId: string): Promise<Run> {
    const run = await this.deps.store.getRun(runId);
    if (!run) throw runNotFound(runId);
    return run;
  }

  async update(
    runId: string,
    patch: { status?: RunStatus | undefined; endTime?: number | undefined; runName?: string | undefined },
  ): Promise<RunInfo> {
    const info = await this.deps.store.writeRun(runId, async (tx) => {
      await requireActiveRun(tx, runId);
      await tx.updateRunInfo(runId, { status: patch.status, endTime: patch.endTime, name: patch.runName || undefined });
      return (await tx.getRunInfo(runId))!;
    });
    if (patch.status !== undefined && TERMINAL_STATUSES.has(patch.status)) this.deps.onRunEnded?.(runId);
    return info;
  }

  async delete(runId: string): Promise<void> {
    await this.deps.store.writeRun(runId, async (tx) => {
      const info = await requireRun(tx, runId);
      if (info.lifecycleStage !== 'deleted') await tx.setRunLifecycle(runId, 'deleted', this.deps.clock.now());
    });
  }

  async restore(runId: string): Promise<void> {
    await this.deps.store.writeRun(runId, async (tx) => {
      const info = await requireRun(tx, runId);
      if (info.lifecycleStage !== 'active') await tx.setRunLifecycle(runId, 'active', this.deps.clock.now());
    });
  }

  async setTag(runId: string, tag: Tag): Promise<void> {
    const valid = validateRunTag(tag, this.deps.rules);
    await this.deps.store.writeRun(runId, async (tx) => {
      await requireActiveRun(tx, runId);
      await tx.setRunTags(runId, [valid]);
    });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    await this.deps.store.writeRun(runId, async (tx) => {
      await requireActiveRun(tx, runId);
      if (!(await tx.deleteRunTag(runId, key))) {
        throw MlflowError.notFound(`No tag with name: ${key} in run with id ${runId}`);
      }
    });
  }

  /** Appends a model's metadata to the run's `mlflow.log-model.history` tag, as MLflow's log-model does. */
  async logModel(runId: string, modelJson: string): Promise<void> {
    let model: unknown;
    try {
      model = JSON.parse(modelJson);
    } catch {
      throw MlflowError.invalidParameter(`Malformed model info. \n ${modelJson} \n is not a valid JSON.`);
    }
    if (typeof model !== 'object' || model === null || Array.isArray(model)) {
      throw MlflowError.invalidParameter(`Malformed model info. \n ${modelJson} \n is not a JSON object.`);
    }
    const missing = ['artifact_path', 'flavors', 'utc_time_created', 'run_id'].filter((f) => !(f in model));
    if (missing.length > 0) {
      throw MlflowError.invalidParameter(
        `Model json is missing mandatory fields: {${missing.map((f) => `'${f}'`).join(', ')}}`,
      );
    }
    await this.deps.store.writeRun(runId, async (tx) => {
      await requireActiveRun(tx, runId);
      const current = await tx.getRunTag(runId, SYSTEM_TAGS.logModelHistory);
      const history = parseHistory(current);
      history.push(model);
      await tx.setRunTags(runId, [{ key: SYSTEM_TAGS.logModelHistory, value: JSON.stringify(history) }]);
    });
  }

  async search(input: RunSearch): Promise<Page<Run>> {
    const maxResults = validateMaxResults(input.maxResults, 1000);
    input.experimentIds.forEach((id) => requireExperimentIdFormat(id));
    const filter = parseRunFilter(input.filter);
    const orderBy = parseRunOrderBy(input.orderBy);
    return searchPage(input.pageToken, (position) =>
      this.deps.store.searchRuns({
        experimentIds: input.experimentIds,
        filter,
        orderBy,
        viewType: input.viewType ?? 'ACTIVE_ONLY',
        maxResults,
        offset: position.offset,
        watermark: position.watermark,
      }),
    );
  }
}

function parseHistory(value: string | undefined): unknown[] {
  if (!value) return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}

function requireExperimentIdFormat(experimentId: string): void {
  if (!/^\d{1,18}$/.test(experimentId)) {
    throw MlflowError.invalidParameter(
      `Invalid experiment ID '${experimentId}'. Experiment ID must be a valid integer.`,
    );
  }
}

export function runNotFound(runId: string): MlflowError {
  return MlflowError.notFound(`Run with id=${runId} not found`);
}

export async function requireRun(tx: TrackingWrites, runId: string): Promise<RunInfo> {
  validateRunId(runId);
  const info = await tx.getRunInfo(runId);
  if (!info) throw runNotFound(runId);
  return info;
}

/** MLflow rejects every write to a deleted run, and to a run whose experiment is deleted. */
export async function requireActiveRun(tx: TrackingWrites, runId: string): Promise<RunInfo> {
  validateRunId(runId);
  const found = await tx.getRunForWrite(runId);
  if (!found) throw runNotFound(runId);
  const { info, experimentStage } = found;
  if (info.lifecycleStage !== 'active') {
    throw MlflowError.invalidParameter(
      `The run ${runId} must be in the 'active' state. Current state is ${info.lifecycleStage}.`,
    );
  }
  if (experimentStage !== undefined) {
    requireActive({ experimentId: info.experimentId, lifecycleStage: experimentStage });
  }
  return info;
}
