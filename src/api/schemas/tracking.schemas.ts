import { z } from 'zod';
import { RUN_STATUSES, VIEW_TYPES } from '../../core/entities.ts';
import { wire } from '../wire.ts';

/**
 * Request messages of MLflow's tracking service (service.proto). Every field is optional here:
 * which ones are required is MLflow's per-handler rule, applied with `required()` in the routes so
 * that the error names the field exactly as MLflow does. Unknown fields are ignored.
 */
const s = wire.string;
const tags = () => wire.list(wire.tag());
const runRef = { run_id: s().optional(), run_uuid: s().optional() };

export const CreateExperiment = z.object({ name: s().optional(), artifact_location: s().optional(), tags: tags() });
export const ExperimentId = z.object({ experiment_id: s().optional() });
export const GetExperimentByName = z.object({ experiment_name: s().optional() });
export const UpdateExperiment = z.object({ experiment_id: s().optional(), new_name: s().optional() });
export const SetExperimentTag = z.object({ experiment_id: s().optional(), key: s().optional(), value: s().optional() });
export const DeleteExperimentTag = z.object({ experiment_id: s().optional(), key: s().optional() });

const viewType = () =>
  z.union([wire.enumOf(VIEW_TYPES), wire.int64().pipe(z.union([z.literal(1), z.literal(2), z.literal(3)]))]);

export const SearchExperiments = z.object({
  max_results: wire.int64().optional(),
  page_token: s().optional(),
  filter: s().optional(),
  order_by: wire.list(s()),
  view_type: viewType().optional(),
});

export const CreateRun = z.object({
  experiment_id: s().optional(),
  user_id: s().optional(),
  run_name: s().optional(),
  start_time: wire.int64().optional(),
  tags: tags(),
});
export const RunRef = z.object(runRef);
export const UpdateRun = z.object({
  ...runRef,
  status: wire.enumOf(RUN_STATUSES).optional(),
  end_time: wire.int64().optional(),
  run_name: s().optional(),
});

const metricFields = {
  key: s().optional(),
  value: wire.double().optional(),
  timestamp: wire.int64().optional(),
  step: wire.int64().optional(),
  model_id: s().optional(),
  dataset_name: s().optional(),
  dataset_digest: s().optional(),
};
export const LogMetric = z.object({ ...runRef, ...metricFields });
export const LogParam = z.object({ ...runRef, key: s().optional(), value: s().optional() });
export const SetTag = LogParam;
export const DeleteTag = z.object({ ...runRef, key: s().optional() });

export const LogBatch = z.object({
  run_id: s().optional(),
  metrics: wire.list(z.object(metricFields)),
  params: tags(),
  tags: tags(),
});

export const LogModel = z.object({ run_id: s().optional(), model_json: s().optional() });

const dataset = z.object({
  name: s().optional(),
  digest: s().optional(),
  source_type: s().optional(),
  source: s().optional(),
  schema: s().optional(),
  profile: s().optional(),
});
export const LogInputs = z.object({
  run_id: s().optional(),
  datasets: wire.list(z.object({ tags: tags(), dataset: dataset.optional() })),
  models: wire.list(z.object({ model_id: s().optional() })),
});
export const LogOutputs = z.object({
  run_id: s().optional(),
  models: wire.list(z.object({ model_id: s().optional(), step: wire.int64().optional() })),
});

export const SearchRuns = z.object({
  experiment_ids: wire.list(s()),
  filter: s().optional(),
  run_view_type: viewType().optional(),
  max_results: wire.int64().optional(),
  order_by: wire.list(s()),
  page_token: s().optional(),
});

export const GetMetricHistory = z.object({
  ...runRef,
  metric_key: s().optional(),
  page_token: s().optional(),
  max_results: wire.int64().optional(),
});

export const GetMetricHistoryBulkInterval = z.object({
  run_ids: wire.list(s()),
  metric_key: s().optional(),
  start_step: wire.int64().optional(),
  end_step: wire.int64().optional(),
  max_results: wire.int64().optional(),
});

export const GetMetricHistoryDownsampled = z.object({
  ...runRef,
  metric_key: s().optional(),
  start_step: wire.int64().optional(),
  end_step: wire.int64().optional(),
  max_points: wire.int64().optional(),
});

export const GetMetricHistoryBulk = z.object({
  run_id: wire.list(s()),
  metric_key: s().optional(),
  max_results: wire.int64().optional(),
});

export const SearchDatasets = z.object({ experiment_ids: wire.list(s()) });

const VIEW_TYPE_BY_NUMBER = { 1: 'ACTIVE_ONLY', 2: 'DELETED_ONLY', 3: 'ALL' } as const;

/** Protobuf JSON allows an enum by name or by number. */
export function toViewType(value: (typeof VIEW_TYPES)[number] | 1 | 2 | 3 | undefined) {
  if (value === undefined) return undefined;
  return typeof value === 'number' ? VIEW_TYPE_BY_NUMBER[value] : value;
}
