import type { DatasetInput, ModelInput, ModelOutput, Tag } from '../core/entities.ts';
import { MlflowError } from '../core/errors.ts';
import {
  checkLength,
  LIMITS,
  type ValueRules,
  validateBatchLimits,
  validateMetric,
  validateParam,
  validateRunTag,
  validateUniqueParamKeys,
} from '../core/validation.ts';
import type { MetricToStore, TrackingStore, TrackingWrites } from '../store/store.ts';
import { requireActiveRun } from './run.service.ts';

export interface LoggingServiceDeps {
  readonly store: TrackingStore;
  readonly rules: ValueRules;
}

export interface Batch {
  readonly metrics: readonly MetricToStore[];
  readonly params: readonly Tag[];
  readonly tags: readonly Tag[];
}

/**
 * Everything clients log into a run. Each call validates the whole request before it writes, and
 * writes in one transaction: a batch with one bad item stores nothing.
 */
export class LoggingService {
  constructor(private readonly deps: LoggingServiceDeps) {}

  async logMetric(runId: string, metric: MetricToStore): Promise<void> {
    validateMetric(metric);
    await this.deps.store.writeRun(runId, async (tx) => {
      const info = await requireActiveRun(tx, runId);
      await tx.insertMetrics(runId, [metric]);
      // MLflow 3: a point logged with a model_id is also one of that logged model's metrics.
      await tx.linkLoggedModelMetrics(runId, info.experimentId, [metric]);
    });
  }

  async logParam(runId: string, param: Tag): Promise<void> {
    const valid = validateParam(param, this.deps.rules);
    await this.deps.store.writeRun(runId, async (tx) => {
      await requireActiveRun(tx, runId);
      const existing = (await tx.getParams(runId, [valid.key])).get(valid.key);
      if (existing !== undefined && existing !== valid.value) {
        throw MlflowError.invalidParameter(
          `Changing param values is not allowed. Param with key='${valid.key}' was already logged with value='${existing}' for run ID='${runId}'. Attempted logging new value '${valid.value}'.`,
        );
      }
      if (existing === undefined) await tx.insertParams(runId, [valid]);
    });
  }

  async logBatch(runId: string, batch: Batch): Promise<void> {
    validateBatchLimits(batch.metrics.length, batch.params.length, batch.tags.length);
    batch.metrics.forEach(validateMetric);
    const params = batch.params.map((p) => validateParam(p, this.deps.rules));
    const tags = batch.tags.map((t) => validateRunTag(t, this.deps.rules));
    validateUniqueParamKeys(params);
    const rows = batch.metrics.length + params.length + tags.length;
    await this.deps.store.writeRun(
      runId,
      async (tx) => {
        const info = await requireActiveRun(tx, runId);
        const newParams = await this.rejectChangedParams(tx, runId, params);
        await tx.insertParams(runId, newParams);
        await tx.insertMetrics(runId, batch.metrics);
        await tx.linkLoggedModelMetrics(runId, info.experimentId, batch.metrics);
        await tx.setRunTags(runId, tags);
      },
      { rows },
    );
  }

  async logInputs(runId: string, datasets: readonly DatasetInput[], models: readonly ModelInput[]): Promise<void> {
    datasets.forEach(validateDatasetInput);
    await this.deps.store.writeRun(runId, async (tx) => {
      const info = await requireActiveRun(tx, runId);
      await tx.logInputs(runId, info.experimentId, datasets, models);
    });
  }

  async logOutputs(runId: string, models: readonly ModelOutput[]): Promise<void> {
    await this.deps.store.writeRun(runId, async (tx) => {
      await requireActiveRun(tx, runId);
      await tx.logOutputs(runId, models);
    });
  }

  /** Returns the params not yet logged; throws when any key was logged with a different value. */
  private async rejectChangedParams(tx: TrackingWrites, runId: string, params: readonly Tag[]): Promise<Tag[]> {
    if (params.length === 0) return [];
    const existing = await tx.getParams(
      runId,
      params.map((p) => p.key),
    );
    const changed = params.filter((p) => existing.has(p.key) && existing.get(p.key) !== p.value);
    if (changed.length > 0) {
      const described = changed
        .map((p) => `{'key': '${p.key}', 'old_value': '${existing.get(p.key)}', 'new_value': '${p.value}'}`)
        .join(', ');
      throw MlflowError.invalidParameter(
        `Changing param values is not allowed. Params were already logged='[${described}]' for run ID='${runId}'.`,
      );
    }
    return params.filter((p) => !existing.has(p.key));
  }
}

function validateDatasetInput(input: DatasetInput): void {
  const { dataset } = input;
  if (!dataset.name) throw MlflowError.missingParameter('datasets.dataset.name');
  if (!dataset.digest) throw MlflowError.missingParameter('datasets.dataset.digest');
  if (!dataset.sourceType) throw MlflowError.missingParameter('datasets.dataset.source_type');
  if (!dataset.source) throw MlflowError.missingParameter('datasets.dataset.source');
  checkLength('Dataset name', LIMITS.maxDatasetNameLength, dataset.name);
  checkLength('Dataset digest', LIMITS.maxDatasetDigestLength, dataset.digest);
  checkLength('Dataset source', LIMITS.maxDatasetSourceLength, dataset.source);
  if (dataset.schema !== undefined) checkLength('Dataset schema', LIMITS.maxDatasetSchemaLength, dataset.schema);
  if (dataset.profile !== undefined) checkLength('Dataset profile', LIMITS.maxDatasetProfileLength, dataset.profile);
  for (const tag of input.tags) {
    if (!tag.key) throw MlflowError.missingParameter('datasets.tags.key');
    checkLength('Input tag key', LIMITS.maxInputTagKeyLength, tag.key);
    checkLength('Input tag value', LIMITS.maxInputTagValueLength, tag.value);
  }
}
