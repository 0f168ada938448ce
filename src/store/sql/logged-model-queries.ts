import type { Kysely } from 'kysely';
import type { LifecycleStage, Tag } from '../../core/entities.ts';
import type { LoggedModel, LoggedModelMetric, LoggedModelStatus } from '../../core/logged-model.ts';
import type { LoggedModelWrites, NewLoggedModel } from '../logged-model-store.ts';
import type { MetricToStore } from '../store.ts';
import type { SqlDialect } from './dialect.ts';
import { metricValue } from './run-queries.ts';
import type { Database } from './schema.ts';

export const LOGGED_MODEL_COLUMNS = [
  'logged_models.model_id',
  'logged_models.experiment_id',
  'logged_models.name',
  'logged_models.artifact_location',
  'logged_models.creation_timestamp_ms',
  'logged_models.last_updated_timestamp_ms',
  'logged_models.status',
  'logged_models.status_message',
  'logged_models.model_type',
  'logged_models.source_run_id',
  'logged_models.lifecycle_stage',
] as const;

export interface LoggedModelRow {
  model_id: string;
  experiment_id: number;
  name: string;
  artifact_location: string;
  creation_timestamp_ms: number;
  last_updated_timestamp_ms: number;
  status: string;
  status_message: string | null;
  model_type: string | null;
  source_run_id: string | null;
  lifecycle_stage: string;
}

export async function getLoggedModel(
  db: Kysely<Database>,
  modelId: string,
  options: { allowDeleted?: boolean } = {},
): Promise<LoggedModel | undefined> {
  let qb = db.selectFrom('logged_models').select(LOGGED_MODEL_COLUMNS).where('model_id', '=', modelId);
  if (!options.allowDeleted) qb = qb.where('lifecycle_stage', '=', 'active');
  const row = await qb.executeTakeFirst();
  return row ? (await loadLoggedModels(db, [row]))[0] : undefined;
}

/** Tags, params and metrics of many models with one query per table. */
export async function loadLoggedModels(db: Kysely<Database>, rows: readonly LoggedModelRow[]): Promise<LoggedModel[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.model_id);
  const [tags, params, metrics] = await Promise.all([
    db.selectFrom('logged_model_tags').selectAll().where('model_id', 'in', ids).orderBy('tag_key').execute(),
    db.selectFrom('logged_model_params').selectAll().where('model_id', 'in', ids).orderBy('param_key').execute(),
    db
      .selectFrom('logged_model_metrics')
      .selectAll()
      .where('model_id', 'in', ids)
      .orderBy('metric_name')
      .orderBy('metric_step')
      .orderBy('metric_timestamp_ms')
      .execute(),
  ]);
  return rows.map((row) => ({
    modelId: row.model_id,
    experimentId: String(row.experiment_id),
    name: row.name,
    artifactLocation: row.artifact_location,
    creationTime: Number(row.creation_timestamp_ms),
    lastUpdatedTime: Number(row.last_updated_timestamp_ms),
    status: row.status as LoggedModelStatus,
    statusMessage: row.status_message,
    modelType: row.model_type,
    sourceRunId: row.source_run_id,
    lifecycleStage: row.lifecycle_stage as LifecycleStage,
    tags: tags.filter((t) => t.model_id === row.model_id).map((t) => ({ key: t.tag_key, value: t.tag_value })),
    params: params.filter((p) => p.model_id === row.model_id).map((p) => ({ key: p.param_key, value: p.param_value })),
    metrics: metrics
      .filter((m) => m.model_id === row.model_id)
      .map(
        (m): LoggedModelMetric => ({
          key: m.metric_name,
          value: metricValue(m.metric_value, m.is_nan),
          timestamp: Number(m.metric_timestamp_ms),
          step: Number(m.metric_step),
          runId: m.run_id || null,
          datasetName: m.dataset_name || null,
          datasetDigest: m.dataset_digest || null,
        }),
      ),
  }));
}

export async function insertLoggedModel(db: Kysely<Database>, model: NewLoggedModel): Promise<void> {
  await db
    .insertInto('logged_models')
    .values({
      model_id: model.modelId,
      experiment_id: Number(model.experimentId),
      name: model.name,
      artifact_location: model.artifactLocation,
      creation_timestamp_ms: model.time,
      last_updated_timestamp_ms: model.time,
      status: 'PENDING',
      status_message: null,
      model_type: model.modelType,
      source_run_id: model.sourceRunId,
      lifecycle_stage: 'active',
    })
    .execute();
  await setLoggedModelTags(db, model.modelId, model.tags);
  await insertLoggedModelParams(db, model.modelId, model.params);
}

export const updateLoggedModel: (
  db: Kysely<Database>,
  ...args: Parameters<LoggedModelWrites['updateLoggedModel']>
) => Promise<void> = async (db, modelId, patch) => {
  await db
    .updateTable('logged_models')
    .set({
      last_updated_timestamp_ms: patch.lastUpdatedTime,
      ...(patch.status === undefined ? {} : { status: patch.status }),
      ...(patch.lifecycleStage === undefined ? {} : { lifecycle_stage: patch.lifecycleStage }),
    })
    .where('model_id', '=', modelId)
    .execute();
};

export async function setLoggedModelTags(db: Kysely<Database>, modelId: string, tags: readonly Tag[]): Promise<void> {
  const last = new Map(tags.map((t) => [t.key, t.value]));
  if (last.size === 0) return;
  // Delete-then-insert is an upsert every database spells the same way.
  await db
    .deleteFrom('logged_model_tags')
    .where('model_id', '=', modelId)
    .where('tag_key', 'in', [...last.keys()])
    .execute();
  await db
    .insertInto('logged_model_tags')
    .values([...last].map(([key, value]) => ({ model_id: modelId, tag_key: key, tag_value: value })))
    .execute();
}

export async function deleteLoggedModelTag(db: Kysely<Database>, modelId: string, key: string): Promise<boolean> {
  const result = await db
    .deleteFrom('logged_model_tags')
    .where('model_id', '=', modelId)
    .where('tag_key', '=', key)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function insertLoggedModelParams(
  db: Kysely<Database>,
  modelId: string,
  params: readonly Tag[],
): Promise<void> {
  if (params.length === 0) return;
  await db
    .insertInto('logged_model_params')
    .values(params.map((p) => ({ model_id: modelId, param_key: p.key, param_value: p.value })))
    .execute();
}

export async function linkLoggedModelMetrics(
  db: Kysely<Database>,
  dialect: SqlDialect,
  runId: string,
  experimentId: string,
  metrics: readonly MetricToStore[],
): Promise<void> {
  const linked = metrics.filter((m) => m.modelId);
  if (linked.length === 0) return;
  const wanted = [...new Set(linked.map((m) => m.modelId!))];
  const existing = new Set(
    (await db.selectFrom('logged_models').select('model_id').where('model_id', 'in', wanted).execute()).map(
      (r) => r.model_id,
    ),
  );
  const rows = linked
    .filter((m) => existing.has(m.modelId!))
    .map((m) => ({
      model_id: m.modelId!,
      metric_name: m.key,
      metric_timestamp_ms: m.timestamp,
      metric_step: m.step,
      // NaN and ±Infinity as the metrics table stores them (see metric-queries.ts).
      metric_value: Number.isNaN(m.value) ? 0 : Math.max(-Number.MAX_VALUE, Math.min(Number.MAX_VALUE, m.value)),
      is_nan: Number.isNaN(m.value) ? 1 : 0,
      experiment_id: Number(experimentId),
      run_id: runId,
      dataset_name: m.datasetName ?? '',
      dataset_digest: m.datasetDigest ?? '',
    }));
  const chunk = Math.max(1, Math.floor(dialect.maxBoundParameters / 11));
  for (let i = 0; i < rows.length; i += chunk) {
    await dialect
      .insertIgnoringDuplicates(db.insertInto('logged_model_metrics').values(rows.slice(i, i + chunk)))
      .execute();
  }
}

/** The highest row id now: a search's first page pins it (see PagePosition). */
