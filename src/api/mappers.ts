import type { DatasetSummary, Experiment, Metric, MetricWithRunId, Run, RunInfo, Tag } from '../core/entities.ts';

/**
 * Entity → wire JSON, in MLflow's shape: snake_case proto field names, int64 as JSON numbers,
 * fields without a value omitted, empty lists omitted, NaN/±Infinity as proto-JSON strings.
 */
export type Json = Record<string, unknown>;

export function compact(object: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    out[key] = value;
  }
  return out;
}

export function wireDouble(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return value;
}

export const toWireTags = (tags: readonly Tag[]): Json[] => tags.map((t) => ({ key: t.key, value: t.value }));

export function toWireExperiment(e: Experiment): Json {
  return compact({
    experiment_id: e.experimentId,
    name: e.name,
    artifact_location: e.artifactLocation,
    lifecycle_stage: e.lifecycleStage,
    last_update_time: e.lastUpdateTime,
    creation_time: e.creationTime,
    tags: toWireTags(e.tags),
  });
}

export function toWireRunInfo(info: RunInfo): Json {
  return compact({
    run_uuid: info.runId,
    experiment_id: info.experimentId,
    run_name: info.runName,
    user_id: info.userId,
    status: info.status,
    start_time: info.startTime,
    end_time: info.endTime,
    artifact_uri: info.artifactUri,
    lifecycle_stage: info.lifecycleStage,
    run_id: info.runId,
  });
}

export function toWireMetric(m: Metric): Json {
  return { key: m.key, value: wireDouble(m.value), timestamp: m.timestamp, step: m.step };
}

export function toWireMetricWithRunId(m: MetricWithRunId): Json {
  return { ...toWireMetric(m), run_id: m.runId };
}

/** `withOutputs` is false for runs/create, whose response MLflow sends without an `outputs` field. */
export function toWireRun(run: Run, options: { withOutputs: boolean } = { withOutputs: true }): Json {
  const wire: Json = {
    info: toWireRunInfo(run.info),
    data: compact({
      metrics: run.data.metrics.map(toWireMetric),
      params: toWireTags(run.data.params),
      tags: toWireTags(run.data.tags),
    }),
    inputs: compact({
      dataset_inputs: run.inputs.datasetInputs.map((d) => ({
        ...compact({ tags: toWireTags(d.tags) }),
        dataset: compact({
          name: d.dataset.name,
          digest: d.dataset.digest,
          source_type: d.dataset.sourceType,
          source: d.dataset.source,
          schema: d.dataset.schema,
          profile: d.dataset.profile,
        }),
      })),
      model_inputs: run.inputs.modelInputs.map((m) => ({ model_id: m.modelId })),
    }),
  };
  if (options.withOutputs) {
    wire.outputs = compact({
      model_outputs: run.outputs.modelOutputs.map((m) => ({ model_id: m.modelId, step: m.step })),
    });
  }
  return wire;
}

export function toWireDatasetSummary(d: DatasetSummary): Json {
  return compact({ experiment_id: d.experimentId, name: d.name, digest: d.digest, context: d.context });
}

/** A list response: the list omitted when empty, the page token only when there is a next page. */
export function listResponse(field: string, items: readonly Json[], nextPageToken?: string): Json {
  return compact({ [field]: items, next_page_token: nextPageToken });
}
