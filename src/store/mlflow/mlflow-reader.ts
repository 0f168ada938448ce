import type {
  MlflowDataset,
  MlflowEntityKey,
  MlflowExperiment,
  MlflowInput,
  MlflowMetric,
  MlflowRun,
  MlflowSchemaInfo,
  MlflowSource,
} from '../mlflow-source.ts';
import type { ImportCounts } from '../import-store.ts';
import { countMlflowRows } from './mlflow-counts.ts';
import { readLoggedModels, readRegisteredModels } from './mlflow-registry-reader.ts';
import { columnOr, inspectSchema, MlflowColumns, type MlflowDb } from './mlflow-schema.ts';
import { bool, groupBy, num, numOrNull, type Row, str, strOrNull, tagOf } from './mlflow-values.ts';

/** Ids per `in (…)` list, far below every engine's bound-parameter limit. */
const CHUNK = 500;

async function inChunks(ids: readonly string[], work: (chunk: string[]) => Promise<Row[]>): Promise<Row[]> {
  const out: Row[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) out.push(...(await work(ids.slice(i, i + CHUNK))));
  return out;
}

function metricOf(row: Row): MlflowMetric {
  return {
    key: str(row.key),
    value: numOrNull(row.value),
    timestamp: numOrNull(row.timestamp),
    step: num(row.step ?? 0),
    isNan: bool(row.is_nan),
  };
}

/** MlflowSource over a Kysely connection to MLflow's SQL store; statements are SELECTs only. */
export class SqlMlflowSource implements MlflowSource {
  private columnsOnce: Promise<MlflowColumns> | undefined;

  constructor(
    private readonly db: MlflowDb,
    readonly description: string,
  ) {}

  private columns(): Promise<MlflowColumns> {
    this.columnsOnce ??= MlflowColumns.of(this.db);
    return this.columnsOnce;
  }

  async inspect(): Promise<MlflowSchemaInfo> {
    return inspectSchema(this.db, await this.columns());
  }

  async countRows(): Promise<ImportCounts> {
    return countMlflowRows(this.db, await this.columns());
  }

  async listExperiments(): Promise<MlflowExperiment[]> {
    const columns = await this.columns();
    const rows = (await this.db
      .selectFrom('experiments')
      .select(['experiment_id', 'name', 'artifact_location', 'lifecycle_stage', 'creation_time', 'last_update_time'])
      .orderBy('experiment_id')
      .execute()) as Row[];
    const tags = columns.hasTable('experiment_tags')
      ? groupBy((await this.db.selectFrom('experiment_tags').selectAll().execute()) as Row[], 'experiment_id')
      : new Map<string, Row[]>();
    const datasets = columns.hasTable('datasets')
      ? groupBy(
          (await this.db.selectFrom('datasets').selectAll().orderBy('dataset_uuid').execute()) as Row[],
          'experiment_id',
        )
      : new Map<string, Row[]>();
    return rows.map((r) => {
      const id = str(r.experiment_id);
      return {
        experimentId: num(r.experiment_id),
        name: str(r.name),
        artifactLocation: strOrNull(r.artifact_location),
        lifecycleStage: strOrNull(r.lifecycle_stage),
        creationTime: numOrNull(r.creation_time),
        lastUpdateTime: numOrNull(r.last_update_time),
        tags: (tags.get(id) ?? []).map((t) => tagOf(t)),
        datasets: (datasets.get(id) ?? []).map(
          (d): MlflowDataset => ({
            datasetUuid: str(d.dataset_uuid),
            experimentId: num(d.experiment_id),
            name: str(d.name),
            digest: str(d.digest),
            sourceType: str(d.dataset_source_type),
            source: str(d.dataset_source),
            schema: strOrNull(d.dataset_schema),
            profile: strOrNull(d.dataset_profile),
          }),
        ),
      };
    });
  }

  async listRunKeys(): Promise<MlflowEntityKey[]> {
    // Metric points per run (MLflow indexes metrics by run_uuid), so the importer can size its batches.
    const points = this.db
      .selectFrom('metrics')
      .select(['run_uuid', (eb) => eb.fn.countAll().as('n')])
      .groupBy('run_uuid')
      .as('m');
    const rows = (await this.db
      .selectFrom('runs')
      .leftJoin(points, 'm.run_uuid', 'runs.run_uuid')
      .select(['runs.run_uuid', 'runs.experiment_id', 'm.n'])
      .orderBy('runs.experiment_id')
      .orderBy('runs.start_time')
      .orderBy('runs.run_uuid')
      .execute()) as Row[];
    // A run without an experiment (the column is nullable) gets -1: no experiment has it, so it is an orphan.
    return rows.map((r) => ({
      id: str(r.run_uuid),
      experimentId: numOrNull(r.experiment_id) ?? -1,
      rows: num(r.n ?? 0),
    }));
  }

  async readRuns(runIds: readonly string[]): Promise<MlflowRun[]> {
    if (runIds.length === 0) return [];
    const columns = await this.columns();
    const db = this.db;
    const byRun = (table: string, select: string[]) =>
      inChunks(runIds, (chunk) => db.selectFrom(table).select(select).where('run_uuid', 'in', chunk).execute());
    const runs = await inChunks(runIds, (chunk) =>
      db
        .selectFrom('runs')
        .select([
          'run_uuid',
          'experiment_id',
          'name',
          'user_id',
          'status',
          'start_time',
          'end_time',
          'lifecycle_stage',
          'artifact_uri',
          columnOr(columns, 'runs', 'deleted_time', null),
        ])
        .where('run_uuid', 'in', chunk)
        .execute(),
    );
    const params = groupBy(await byRun('params', ['run_uuid', 'key', 'value']), 'run_uuid');
    const tags = groupBy(await byRun('tags', ['run_uuid', 'key', 'value']), 'run_uuid');
    const metricColumns = ['run_uuid', 'key', 'value', 'timestamp', 'step', 'is_nan'];
    const metrics = groupBy(await byRun('metrics', metricColumns), 'run_uuid');
    const latest = columns.hasTable('latest_metrics')
      ? groupBy(await byRun('latest_metrics', metricColumns), 'run_uuid')
      : new Map<string, Row[]>();
    const { inputs, inputTags } = await this.readInputs(runIds, columns);
    const found = new Map(runs.map((r) => [str(r.run_uuid), r]));
    return runIds.flatMap((id): MlflowRun[] => {
      const r = found.get(id);
      if (!r) return [];
      const runInputs = inputs.get(id) ?? [];
      return [
        {
          runId: id,
          experimentId: num(r.experiment_id),
          name: strOrNull(r.name),
          userId: strOrNull(r.user_id),
          status: strOrNull(r.status),
          startTime: numOrNull(r.start_time),
          endTime: numOrNull(r.end_time),
          deletedTime: numOrNull(r.deleted_time),
          lifecycleStage: strOrNull(r.lifecycle_stage),
          artifactUri: strOrNull(r.artifact_uri),
          params: (params.get(id) ?? []).map((p) => tagOf(p)),
          tags: (tags.get(id) ?? []).map((t) => tagOf(t)),
          metrics: (metrics.get(id) ?? []).map(metricOf),
          latestMetrics: (latest.get(id) ?? []).map(metricOf),
          inputs: runInputs,
          inputTags: runInputs.flatMap((i) =>
            (inputTags.get(i.inputUuid) ?? []).map((t) => ({
              inputUuid: i.inputUuid,
              name: str(t.name),
              value: str(t.value),
            })),
          ),
        },
      ];
    });
  }

  /** Inputs name a run as destination (DATASET→RUN) or as source (RUN_INPUT / RUN_OUTPUT → model). */
  private async readInputs(
    runIds: readonly string[],
    columns: MlflowColumns,
  ): Promise<{ inputs: Map<string, MlflowInput[]>; inputTags: Map<string, Row[]> }> {
    const inputs = new Map<string, MlflowInput[]>();
    if (!columns.hasTable('inputs')) return { inputs, inputTags: new Map() };
    const rows = await inChunks(runIds, (chunk) =>
      this.db
        .selectFrom('inputs')
        .select([
          'input_uuid',
          'source_type',
          'source_id',
          'destination_type',
          'destination_id',
          columnOr(columns, 'inputs', 'step', 0),
        ])
        .where((eb) =>
          eb.or([
            eb.and([eb('destination_type', '=', 'RUN'), eb('destination_id', 'in', chunk)]),
            eb.and([eb('source_type', 'in', ['RUN_INPUT', 'RUN_OUTPUT']), eb('source_id', 'in', chunk)]),
          ]),
        )
        .execute(),
    );
    for (const r of rows) {
      const input: MlflowInput = {
        inputUuid: str(r.input_uuid),
        sourceType: str(r.source_type),
        sourceId: str(r.source_id),
        destinationType: str(r.destination_type),
        destinationId: str(r.destination_id),
        step: num(r.step ?? 0),
      };
      const runId = input.destinationType === 'RUN' ? input.destinationId : input.sourceId;
      const list = inputs.get(runId) ?? [];
      list.push(input);
      inputs.set(runId, list);
    }
    const uuids = rows.map((r) => str(r.input_uuid));
    const tagRows = columns.hasTable('input_tags')
      ? await inChunks(uuids, (chunk) =>
          this.db
            .selectFrom('input_tags')
            .select(['input_uuid', 'name', 'value'])
            .where('input_uuid', 'in', chunk)
            .execute(),
        )
      : [];
    return { inputs, inputTags: groupBy(tagRows, 'input_uuid') };
  }

  async listLoggedModelKeys(): Promise<MlflowEntityKey[]> {
    if (!(await this.columns()).hasTable('logged_models')) return [];
    const rows = (await this.db
      .selectFrom('logged_models')
      .select(['model_id', 'experiment_id'])
      .orderBy('creation_timestamp_ms')
      .orderBy('model_id')
      .execute()) as Row[];
    return rows.map((r) => ({ id: str(r.model_id), experimentId: num(r.experiment_id) }));
  }

  async readLoggedModels(modelIds: readonly string[]) {
    return readLoggedModels(this.db, await this.columns(), modelIds);
  }

  async listRegisteredModels() {
    return readRegisteredModels(this.db, await this.columns());
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
