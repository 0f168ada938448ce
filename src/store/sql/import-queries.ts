import type { Kysely } from 'kysely';
import type {
  ImportedDataset,
  ImportedExperiment,
  ImportedLoggedModel,
  ImportedRegisteredModel,
  ImportedRun,
  ImportStore,
  ImportWrites,
  StoredDataset,
  StoredExperiment,
  StoredRegisteredModel,
} from '../import-store.ts';
import { DUMP_TABLES } from './dump-tables.ts';
import { countImported } from './import-counts.ts';
import type { BulkColumn, SqlDialect } from './dialect.ts';
import { chunked, insertLoggedModel, insertRegisteredModel, insertRows } from './import-rows.ts';
import { writeMetricRollups } from './metric-rollups.ts';
import type { Database } from './schema.ts';

const METRIC_COLUMNS: readonly BulkColumn[] = [
  { name: 'run_uuid', type: 'text' },
  { name: 'key', type: 'text' },
  { name: 'value', type: 'double' },
  { name: 'timestamp', type: 'bigint' },
  { name: 'step', type: 'bigint' },
  { name: 'is_nan', type: 'smallint' },
];

/** The import port over any Kysely connection or transaction. */
class SqlImportOperations implements ImportWrites {
  constructor(
    protected readonly db: Kysely<Database>,
    protected readonly dialect: SqlDialect,
  ) {}

  async getExperiment(experimentId: number): Promise<StoredExperiment | undefined> {
    const row = await this.db
      .selectFrom('experiments')
      .select(['experiment_id', 'name', 'artifact_location', 'lifecycle_stage', 'creation_time', 'last_update_time'])
      .select((eb) => [
        eb
          .selectFrom('runs')
          .select(eb.fn.countAll<number>().as('n'))
          .whereRef('runs.experiment_id', '=', 'experiments.experiment_id')
          .as('runs'),
        eb
          .selectFrom('experiment_tags')
          .select(eb.fn.countAll<number>().as('n'))
          .whereRef('experiment_tags.experiment_id', '=', 'experiments.experiment_id')
          .as('tags'),
      ])
      .where('experiment_id', '=', experimentId)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      experimentId: Number(row.experiment_id),
      name: row.name,
      artifactLocation: row.artifact_location,
      lifecycleStage: row.lifecycle_stage,
      creationTime: Number(row.creation_time),
      lastUpdateTime: Number(row.last_update_time),
      runCount: Number(row.runs ?? 0),
      tagCount: Number(row.tags ?? 0),
    };
  }

  async experimentIdOfName(name: string): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('experiments')
      .select('experiment_id')
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? Number(row.experiment_id) : undefined;
  }

  async findDatasets(datasets: readonly ImportedDataset[]): Promise<StoredDataset[]> {
    if (datasets.length === 0) return [];
    const experimentIds = [...new Set(datasets.map((d) => d.experimentId))];
    const uuids = datasets.map((d) => d.datasetUuid);
    const wanted = new Set(datasets.map((d) => `${d.experimentId}\0${d.name}\0${d.digest}`));
    const rows = await chunked(uuids, (chunk) =>
      this.db
        .selectFrom('datasets')
        .select(['dataset_uuid', 'experiment_id', 'name', 'digest'])
        .where((eb) => eb.or([eb('dataset_uuid', 'in', chunk), eb('experiment_id', 'in', experimentIds)]))
        .execute(),
    );
    const seen = new Set<string>();
    const found: StoredDataset[] = [];
    for (const r of rows) {
      const stored = {
        datasetUuid: r.dataset_uuid,
        experimentId: Number(r.experiment_id),
        name: r.name,
        digest: r.digest,
      };
      const matches = uuids.includes(r.dataset_uuid) || wanted.has(`${stored.experimentId}\0${r.name}\0${r.digest}`);
      if (matches && !seen.has(r.dataset_uuid)) {
        seen.add(r.dataset_uuid);
        found.push(stored);
      }
    }
    return found;
  }

  async findRuns(runIds: readonly string[]): Promise<Map<string, number>> {
    const rows = await chunked(runIds, (chunk) =>
      this.db.selectFrom('runs').select(['run_uuid', 'experiment_id']).where('run_uuid', 'in', chunk).execute(),
    );
    return new Map(rows.map((r) => [r.run_uuid, Number(r.experiment_id)]));
  }

  async findLoggedModels(modelIds: readonly string[]): Promise<Map<string, number>> {
    const rows = await chunked(modelIds, (chunk) =>
      this.db
        .selectFrom('logged_models')
        .select(['model_id', 'experiment_id'])
        .where('model_id', 'in', chunk)
        .execute(),
    );
    return new Map(rows.map((r) => [r.model_id, Number(r.experiment_id)]));
  }

  async getRegisteredModel(name: string): Promise<StoredRegisteredModel | undefined> {
    const model = await this.db
      .selectFrom('registered_models')
      .select(['id', 'name'])
      .where('name', '=', name)
      .executeTakeFirst();
    if (!model) return undefined;
    const versions = await this.db
      .selectFrom('model_versions')
      .select(['version', 'run_id', 'source'])
      .where('registered_model_id', '=', model.id)
      .orderBy('version')
      .execute();
    return {
      name: model.name,
      versions: versions.map((v) => ({ version: Number(v.version), runId: v.run_id, source: v.source })),
    };
  }

  async registeredModelNameOfKey(nameKey: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('registered_models')
      .select('name')
      .where('name_key', '=', nameKey)
      .executeTakeFirst();
    return row?.name;
  }

  async insertExperiment(e: ImportedExperiment): Promise<void> {
    await this.db.insertInto('experiments').values(experimentRow(e)).execute();
    await this.insertExperimentTags(e);
    await this.advanceExperimentIds();
  }

  async replaceExperiment(e: ImportedExperiment): Promise<void> {
    const { experiment_id: id, ...row } = experimentRow(e);
    await this.db.updateTable('experiments').set(row).where('experiment_id', '=', id).execute();
    await this.db.deleteFrom('experiment_tags').where('experiment_id', '=', e.experimentId).execute();
    await this.insertExperimentTags(e);
  }

  private async insertExperimentTags(e: ImportedExperiment): Promise<void> {
    await insertRows(
      this.db,
      this.dialect,
      'experiment_tags',
      e.tags.map((t) => ({ experiment_id: e.experimentId, key: t.key, value: t.value })),
    );
  }

  /** Explicit ids do not move PostgreSQL's identity sequence; the next created experiment must not collide. */
  private async advanceExperimentIds(): Promise<void> {
    await this.dialect.syncAutoIncrement?.(this.db, 'experiments', 'experiment_id');
  }

  async insertDatasets(datasets: readonly ImportedDataset[]): Promise<void> {
    await insertRows(
      this.db,
      this.dialect,
      'datasets',
      datasets.map((d) => ({
        dataset_uuid: d.datasetUuid,
        experiment_id: d.experimentId,
        name: d.name,
        digest: d.digest,
        dataset_source_type: d.sourceType,
        dataset_source: d.source,
        dataset_schema: d.schema,
        dataset_profile: d.profile,
      })),
    );
  }

  async insertRun(run: ImportedRun): Promise<void> {
    const id = run.runId;
    await this.db
      .insertInto('runs')
      .values({
        run_uuid: id,
        name: run.name,
        experiment_id: run.experimentId,
        user_id: run.userId,
        status: run.status,
        start_time: run.startTime,
        end_time: run.endTime,
        deleted_time: run.deletedTime,
        lifecycle_stage: run.lifecycleStage,
        artifact_uri: run.artifactUri,
      })
      .execute();
    const kv = (list: ImportedRun['params']) => list.map((p) => ({ run_uuid: id, key: p.key, value: p.value }));
    await insertRows(this.db, this.dialect, 'params', kv(run.params));
    await insertRows(this.db, this.dialect, 'tags', kv(run.tags));
    const metricRow = (m: ImportedRun['metrics'][number]) => [id, m.key, m.value, m.timestamp, m.step, m.isNan];
    // The ingest path's bulk statement: one round trip per thousand points (unnest on PostgreSQL).
    const metricRows = run.metrics.map(metricRow);
    await this.dialect.appendRows(this.db, 'metrics', METRIC_COLUMNS, metricRows);
    await writeMetricRollups(this.db, this.dialect, metricRows);
    await this.dialect.appendRows(this.db, 'latest_metrics', METRIC_COLUMNS, run.latestMetrics.map(metricRow));
    await insertRows(
      this.db,
      this.dialect,
      'inputs',
      run.inputs.map((i) => ({
        input_uuid: i.inputUuid,
        source_type: i.sourceType,
        source_id: i.sourceId,
        destination_type: 'RUN',
        destination_id: id,
      })),
    );
    await insertRows(
      this.db,
      this.dialect,
      'input_tags',
      run.inputTags.map((t) => ({ input_uuid: t.inputUuid, name: t.name, value: t.value })),
    );
    await insertRows(
      this.db,
      this.dialect,
      'run_outputs',
      run.outputs.map((o) => ({ run_uuid: id, model_id: o.modelId, step: o.step })),
    );
  }

  insertLoggedModel = (m: ImportedLoggedModel) => insertLoggedModel(this.db, this.dialect, m);
  insertRegisteredModel = (m: ImportedRegisteredModel) => insertRegisteredModel(this.db, this.dialect, m);
}

function experimentRow(e: ImportedExperiment) {
  return {
    experiment_id: e.experimentId,
    name: e.name,
    artifact_location: e.artifactLocation,
    lifecycle_stage: e.lifecycleStage,
    creation_time: e.creationTime,
    last_update_time: e.lastUpdateTime,
    deleted_time: e.deletedTime,
  };
}

export class SqlImportStore extends SqlImportOperations implements ImportStore {
  /** SQLite serialises writers anyway; on PostgreSQL and MySQL a few runs commit side by side (pool ≥ 4). */
  readonly parallelWrites = this.dialect.name === 'sqlite' ? 1 : 4;

  async write<T>(work: (tx: ImportWrites) => Promise<T>): Promise<T> {
    try {
      return await this.dialect.transaction(this.db, (trx) => work(new SqlImportOperations(trx, this.dialect)));
    } catch (error) {
      throw this.dialect.translateError(error);
    }
  }

  countImported: ImportStore['countImported'] = (scope) => countImported(this.db, scope);

  refreshStatistics: ImportStore['refreshStatistics'] = () => this.dialect.refreshStatistics(this.db, IMPORTED_TABLES);
}

/** The tables an import writes (every data table but the server's own). */
const IMPORTED_TABLES = DUMP_TABLES.map((t) => t.name);
