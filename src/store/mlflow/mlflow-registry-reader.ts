import type { MlflowLoggedModel, MlflowModelVersion, MlflowRegisteredModel } from '../mlflow-source.ts';
import { columnOr, type MlflowColumns, type MlflowDb } from './mlflow-schema.ts';
import { groupBy, num, numOrNull, type Row, str, strOrNull, tagOf } from './mlflow-values.ts';

/** MLflow 3's logged models and the model registry, read from MLflow's SQL store. */

const CHUNK = 500;

async function byModel(db: MlflowDb, table: string, modelIds: readonly string[]): Promise<Map<string, Row[]>> {
  const rows: Row[] = [];
  for (let i = 0; i < modelIds.length; i += CHUNK) {
    const chunk = modelIds.slice(i, i + CHUNK);
    rows.push(...((await db.selectFrom(table).selectAll().where('model_id', 'in', chunk).execute()) as Row[]));
  }
  return groupBy(rows, 'model_id');
}

export async function readLoggedModels(
  db: MlflowDb,
  columns: MlflowColumns,
  modelIds: readonly string[],
): Promise<MlflowLoggedModel[]> {
  if (modelIds.length === 0 || !columns.hasTable('logged_models')) return [];
  const models = await byModel(db, 'logged_models', modelIds);
  const params = columns.hasTable('logged_model_params')
    ? await byModel(db, 'logged_model_params', modelIds)
    : new Map();
  const tags = columns.hasTable('logged_model_tags') ? await byModel(db, 'logged_model_tags', modelIds) : new Map();
  const metrics = columns.hasTable('logged_model_metrics')
    ? await byModel(db, 'logged_model_metrics', modelIds)
    : new Map<string, Row[]>();
  return modelIds.flatMap((id): MlflowLoggedModel[] => {
    const r = models.get(id)?.[0];
    if (!r) return [];
    const status = r.status;
    return [
      {
        modelId: id,
        experimentId: num(r.experiment_id),
        name: str(r.name),
        artifactLocation: str(r.artifact_location),
        creationTime: num(r.creation_timestamp_ms),
        lastUpdatedTime: num(r.last_updated_timestamp_ms),
        status: typeof status === 'string' && !/^\d+$/.test(status) ? status : num(status),
        statusMessage: strOrNull(r.status_message),
        modelType: strOrNull(r.model_type),
        sourceRunId: strOrNull(r.source_run_id),
        lifecycleStage: strOrNull(r.lifecycle_stage),
        params: ((params.get(id) ?? []) as Row[]).map((p) => tagOf(p, 'param_key', 'param_value')),
        tags: ((tags.get(id) ?? []) as Row[]).map((t) => tagOf(t, 'tag_key', 'tag_value')),
        metrics: (metrics.get(id) ?? []).map((m) => ({
          key: str(m.metric_name),
          timestamp: num(m.metric_timestamp_ms),
          step: num(m.metric_step),
          value: numOrNull(m.metric_value),
          runId: str(m.run_id),
          datasetName: strOrNull(m.dataset_name),
          datasetDigest: strOrNull(m.dataset_digest),
        })),
      },
    ];
  });
}

/** Every registered model with its tags, versions (Deleted_Internal included), version tags and aliases. */
export async function readRegisteredModels(db: MlflowDb, columns: MlflowColumns): Promise<MlflowRegisteredModel[]> {
  if (!columns.hasTable('registered_models')) return [];
  const models = (await db
    .selectFrom('registered_models')
    .select(['name', 'creation_time', 'last_updated_time', 'description'])
    .orderBy('name')
    .execute()) as Row[];
  const tags = columns.hasTable('registered_model_tags')
    ? groupBy(
        (await db.selectFrom('registered_model_tags').select(['name', 'key', 'value']).execute()) as Row[],
        'name',
      )
    : new Map<string, Row[]>();
  const versions = columns.hasTable('model_versions')
    ? groupBy(
        (await db
          .selectFrom('model_versions')
          .select([
            'name',
            'version',
            'creation_time',
            'last_updated_time',
            'description',
            'user_id',
            'current_stage',
            'source',
            'run_id',
            'run_link',
            'status',
            'status_message',
            columnOr(columns, 'model_versions', 'storage_location', null),
          ])
          .orderBy('name')
          .orderBy('version')
          .execute()) as Row[],
        'name',
      )
    : new Map<string, Row[]>();
  const versionTags = columns.hasTable('model_version_tags')
    ? groupBy(
        (await db.selectFrom('model_version_tags').select(['name', 'version', 'key', 'value']).execute()) as Row[],
        'name',
      )
    : new Map<string, Row[]>();
  const aliases = columns.hasTable('registered_model_aliases')
    ? groupBy(
        (await db
          .selectFrom('registered_model_aliases')
          .select(['name', 'alias', 'version'])
          .orderBy('alias')
          .execute()) as Row[],
        'name',
      )
    : new Map<string, Row[]>();
  return models.map((m) => {
    const name = str(m.name);
    const tagsOfVersions = groupBy(versionTags.get(name) ?? [], 'version');
    return {
      name,
      creationTime: numOrNull(m.creation_time),
      lastUpdatedTime: numOrNull(m.last_updated_time),
      description: strOrNull(m.description),
      tags: (tags.get(name) ?? []).map((t) => tagOf(t)),
      versions: (versions.get(name) ?? []).map(
        (v): MlflowModelVersion => ({
          version: num(v.version),
          creationTime: numOrNull(v.creation_time),
          lastUpdatedTime: numOrNull(v.last_updated_time),
          description: strOrNull(v.description),
          userId: strOrNull(v.user_id),
          currentStage: strOrNull(v.current_stage),
          source: strOrNull(v.source),
          runId: strOrNull(v.run_id),
          runLink: strOrNull(v.run_link),
          status: strOrNull(v.status),
          statusMessage: strOrNull(v.status_message),
          storageLocation: strOrNull(v.storage_location),
          tags: (tagsOfVersions.get(str(v.version)) ?? []).map((t) => tagOf(t)),
        }),
      ),
      aliases: (aliases.get(name) ?? []).map((a) => ({ alias: str(a.alias), version: num(a.version) })),
    };
  });
}
