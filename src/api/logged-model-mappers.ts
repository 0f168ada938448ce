import type { LoggedModel, LoggedModelMetric } from '../core/logged-model.ts';
import { compact, type Json, toWireTags, wireDouble } from './mappers.ts';

/** LoggedModel → MLflow's wire shape: status as the proto enum name, fields at default omitted. */
export function toWireLoggedModel(model: LoggedModel): Json {
  return {
    info: compact({
      model_id: model.modelId,
      experiment_id: model.experimentId,
      name: model.name,
      creation_timestamp_ms: model.creationTime,
      last_updated_timestamp_ms: model.lastUpdatedTime,
      artifact_uri: model.artifactLocation,
      status: `LOGGED_MODEL_${model.status}`,
      model_type: model.modelType || undefined,
      source_run_id: model.sourceRunId || undefined,
      status_message: model.statusMessage || undefined,
      tags: toWireTags(model.tags),
    }),
    // MLflow always sets `data`, so an empty one still appears as {}.
    data: compact({ params: toWireTags(model.params), metrics: model.metrics.map((m) => toWireModelMetric(model, m)) }),
  };
}

function toWireModelMetric(model: LoggedModel, m: LoggedModelMetric): Json {
  return compact({
    key: m.key,
    value: wireDouble(m.value),
    timestamp: m.timestamp,
    step: m.step,
    dataset_name: m.datasetName,
    dataset_digest: m.datasetDigest,
    model_id: model.modelId,
    run_id: m.runId,
  });
}
