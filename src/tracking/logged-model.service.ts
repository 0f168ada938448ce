import { joinArtifactUri } from '../core/artifact-uri.ts';
import type { Clock } from '../core/clock.ts';
import type { Page, Tag } from '../core/entities.ts';
import { MlflowError } from '../core/errors.ts';
import {
  type LoggedModel,
  type LoggedModelStatus,
  loggedModelNotFound,
  newLoggedModelId,
  validateLoggedModelName,
} from '../core/logged-model.ts';
import { newRunName } from '../core/ids.ts';
import { checkLength, LIMITS, type ValueRules, validateParam, validateRunTag } from '../core/validation.ts';
import { parseLoggedModelFilter, parseLoggedModelIdentifier } from '../search/logged-model-filter-parser.ts';
import type { LoggedModelOrderBy } from '../store/logged-model-store.ts';
import type { TrackingStore, TrackingWrites } from '../store/store.ts';
import { requireActive, requireExperiment } from './experiment.service.ts';
import { searchPage } from './paging.ts';

export interface LoggedModelServiceDeps {
  readonly store: TrackingStore;
  readonly clock: Clock;
  readonly rules: ValueRules;
}

export interface CreateLoggedModelInput {
  readonly experimentId: string;
  readonly name?: string | undefined;
  readonly modelType?: string | undefined;
  readonly sourceRunId?: string | undefined;
  readonly params: readonly Tag[];
  readonly tags: readonly Tag[];
}

export interface LoggedModelSearch {
  readonly experimentIds: readonly string[];
  readonly filter?: string | undefined;
  readonly datasets: readonly { readonly name: string; readonly digest?: string | undefined }[];
  readonly orderBy: readonly {
    readonly fieldName: string;
    readonly ascending: boolean;
    readonly datasetName?: string | undefined;
    readonly datasetDigest?: string | undefined;
  }[];
  readonly maxResults?: number | undefined;
  readonly pageToken?: string | undefined;
}

/** MLflow's proto default; also our ceiling, so one page never loads an unbounded number of models. */
const DEFAULT_MAX_RESULTS = 50;
const MAX_RESULTS = 1000;

/**
 * MLflow 3's logged models. A model's artifact location is fixed when it is created, under its
 * experiment's artifact location, so later configuration changes never move it (invariant 4).
 */
export class LoggedModelService {
  constructor(private readonly deps: LoggedModelServiceDeps) {}

  async create(input: CreateLoggedModelInput): Promise<LoggedModel> {
    if (input.name !== undefined) validateLoggedModelName(input.name);
    const params = input.params.map((p) => validateParam(p, this.deps.rules));
    const tags = input.tags.map((t) => validateRunTag(t, this.deps.rules));
    checkUniqueKeys(params);
    const modelId = newLoggedModelId();
    const time = this.deps.clock.now();
    return this.deps.store.write(async (tx) => {
      const experiment = await requireExperiment(tx, input.experimentId);
      requireActive(experiment);
      await tx.insertLoggedModel({
        modelId,
        experimentId: experiment.experimentId,
        name: input.name ?? newRunName(),
        artifactLocation: joinArtifactUri(experiment.artifactLocation, 'models', modelId, 'artifacts'),
        time,
        modelType: input.modelType || null,
        sourceRunId: input.sourceRunId || null,
        tags,
        params,
      });
      return (await tx.getLoggedModel(modelId))!;
    });
  }

  async get(modelId: string, allowDeleted = false): Promise<LoggedModel> {
    const model = await this.deps.store.getLoggedModel(modelId, { allowDeleted });
    if (!model) throw loggedModelNotFound(modelId);
    return model;
  }

  /** Finalize: READY or UPLOAD_FAILED (MLflow accepts any status here, PENDING included). */
  async finalize(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    return this.change(modelId, async (tx, time) => tx.updateLoggedModel(modelId, { status, lastUpdatedTime: time }));
  }

  async delete(modelId: string): Promise<void> {
    await this.change(modelId, (tx, time) =>
      tx.updateLoggedModel(modelId, { lifecycleStage: 'deleted', lastUpdatedTime: time }),
    );
  }

  async setTags(modelId: string, tags: readonly Tag[]): Promise<LoggedModel> {
    const valid = tags.map((t) => validateRunTag(t, this.deps.rules));
    return this.change(modelId, (tx) => tx.setLoggedModelTags(modelId, valid));
  }

  async deleteTag(modelId: string, key: string): Promise<void> {
    await this.change(modelId, async (tx) => {
      if (!(await tx.deleteLoggedModelTag(modelId, key))) {
        throw MlflowError.notFound(`No tag with key '${key}' found for model with ID '${modelId}'.`);
      }
    });
  }

  /** Params are write-once, as a run's: the same value again is a no-op, another value a 400. */
  async logParams(modelId: string, params: readonly Tag[]): Promise<void> {
    const valid = params.map((p) => validateParam(p, this.deps.rules));
    checkUniqueKeys(valid);
    await this.change(modelId, async (tx) => {
      const existing = new Map((await tx.getLoggedModel(modelId))!.params.map((p) => [p.key, p.value]));
      const changed = valid.find((p) => existing.has(p.key) && existing.get(p.key) !== p.value);
      if (changed) {
        throw MlflowError.invalidParameter(
          `Changing param values is not allowed. Param with key='${changed.key}' was already logged with value='${existing.get(changed.key)}' for model ID='${modelId}'. Attempted logging new value '${changed.value}'.`,
        );
      }
      await tx.insertLoggedModelParams(
        modelId,
        valid.filter((p) => !existing.has(p.key)),
      );
    });
  }

  async search(input: LoggedModelSearch): Promise<Page<LoggedModel>> {
    const maxResults = input.maxResults ?? DEFAULT_MAX_RESULTS;
    if (maxResults < 1 || maxResults > MAX_RESULTS) {
      throw MlflowError.invalidParameter(
        `Invalid value ${maxResults} for parameter 'max_results' supplied. It must be between 1 and ${MAX_RESULTS}.`,
      );
    }
    const filter = parseLoggedModelFilter(input.filter);
    const orderBy = input.orderBy.map(toOrderBy);
    for (const ds of input.datasets) {
      if (!ds.name) throw MlflowError.missingParameter('datasets.dataset_name');
    }
    return searchPage(input.pageToken, (position) =>
      this.deps.store.searchLoggedModels({
        experimentIds: input.experimentIds,
        filter,
        datasets: input.datasets,
        orderBy,
        maxResults,
        offset: position.offset,
        watermark: position.watermark,
      }),
    );
  }

  /** Runs `work` on an active model in one transaction, bumps its update time, returns it as it is afterwards. */
  private async change(modelId: string, work: (tx: TrackingWrites, time: number) => Promise<void>) {
    const time = this.deps.clock.now();
    return this.deps.store.write(async (tx) => {
      if (!(await tx.getLoggedModel(modelId))) throw loggedModelNotFound(modelId);
      await work(tx, time);
      await tx.updateLoggedModel(modelId, { lastUpdatedTime: time });
      return (await tx.getLoggedModel(modelId, { allowDeleted: true }))!;
    });
  }
}

function checkUniqueKeys(params: readonly Tag[]): void {
  const seen = new Set<string>();
  for (const p of params) {
    if (seen.has(p.key)) {
      throw MlflowError.invalidParameter(`Duplicate parameter keys have been submitted: '${p.key}'.`);
    }
    seen.add(p.key);
  }
}

function toOrderBy(clause: LoggedModelSearch['orderBy'][number]): LoggedModelOrderBy {
  if (!clause.fieldName) throw MlflowError.missingParameter('order_by.field_name');
  const { type, key } = parseLoggedModelIdentifier(clause.fieldName);
  if (type !== 'metric' && (clause.datasetName || clause.datasetDigest)) {
    throw MlflowError.invalidParameter(
      `dataset_name and dataset_digest may only be set when ordering by a metric; got '${clause.fieldName}'.`,
    );
  }
  if (clause.datasetDigest && !clause.datasetName) {
    throw MlflowError.invalidParameter('dataset_digest may only be set together with dataset_name.');
  }
  checkLength('order_by field', LIMITS.maxEntityKeyLength + 20, clause.fieldName);
  return {
    type: type as LoggedModelOrderBy['type'],
    key,
    ascending: clause.ascending,
    datasetName: clause.datasetName,
    datasetDigest: clause.datasetDigest,
  };
}
