import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DatasetInput, DatasetSummary, ModelInput, ModelOutput } from '../../core/entities.ts';
import { SYSTEM_TAGS } from '../../core/entities.ts';
import type { SqlDialect } from './dialect.ts';
import type { Database } from './schema.ts';

/** Finds or creates the experiment's dataset row, then links it to the run with its input tags. */
export async function logInputs(
  db: Kysely<Database>,
  dialect: SqlDialect,
  runId: string,
  experimentId: string,
  datasets: readonly DatasetInput[],
  models: readonly ModelInput[],
): Promise<void> {
  const expId = Number(experimentId);
  for (const input of datasets) {
    const { dataset } = input;
    // Insert-or-keep, then read back: another run of the experiment may log the same dataset at
    // the same moment, and only the unique key (not a read before the insert) can settle that.
    await dialect
      .insertIgnoringDuplicates(
        db.insertInto('datasets').values({
          dataset_uuid: randomUUID(),
          experiment_id: expId,
          name: dataset.name,
          digest: dataset.digest,
          dataset_source_type: dataset.sourceType,
          dataset_source: dataset.source,
          dataset_schema: dataset.schema ?? null,
          dataset_profile: dataset.profile ?? null,
        }),
      )
      .execute();
    const { dataset_uuid: datasetUuid } = await db
      .selectFrom('datasets')
      .select('dataset_uuid')
      .where('experiment_id', '=', expId)
      .where('name', '=', dataset.name)
      .where('digest', '=', dataset.digest)
      .executeTakeFirstOrThrow();
    const inputUuid = await linkInput(db, 'DATASET', datasetUuid, runId);
    if (input.tags.length > 0) {
      await dialect
        .insertIgnoringDuplicates(
          db
            .insertInto('input_tags')
            .values(input.tags.map((t) => ({ input_uuid: inputUuid, name: t.key, value: t.value }))),
        )
        .execute();
    }
  }
  for (const model of models) await linkInput(db, 'MODEL', model.modelId, runId);
}

async function linkInput(db: Kysely<Database>, sourceType: string, sourceId: string, runId: string): Promise<string> {
  const existing = await db
    .selectFrom('inputs')
    .select('input_uuid')
    .where('source_type', '=', sourceType)
    .where('source_id', '=', sourceId)
    .where('destination_type', '=', 'RUN')
    .where('destination_id', '=', runId)
    .executeTakeFirst();
  if (existing) return existing.input_uuid;
  const inputUuid = randomUUID();
  await db
    .insertInto('inputs')
    .values({
      input_uuid: inputUuid,
      source_type: sourceType,
      source_id: sourceId,
      destination_type: 'RUN',
      destination_id: runId,
    })
    .execute();
  return inputUuid;
}

export async function logOutputs(
  db: Kysely<Database>,
  dialect: SqlDialect,
  runId: string,
  models: readonly ModelOutput[],
): Promise<void> {
  if (models.length === 0) return;
  await dialect
    .insertIgnoringDuplicates(
      db.insertInto('run_outputs').values(models.map((m) => ({ run_uuid: runId, model_id: m.modelId, step: m.step }))),
    )
    .execute();
}

/** MLflow's UI helper: distinct (experiment, name, digest, context) of datasets used by runs. */
export async function searchDatasets(
  db: Kysely<Database>,
  experimentIds: readonly string[],
): Promise<DatasetSummary[]> {
  const ids = experimentIds.filter((id) => /^\d{1,18}$/.test(id)).map(Number);
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('datasets')
    .innerJoin('inputs', (join) =>
      join.onRef('inputs.source_id', '=', 'datasets.dataset_uuid').on('inputs.source_type', '=', 'DATASET'),
    )
    .leftJoin('input_tags', (join) =>
      join
        .onRef('input_tags.input_uuid', '=', 'inputs.input_uuid')
        .on('input_tags.name', '=', SYSTEM_TAGS.datasetContext),
    )
    .select(['datasets.experiment_id', 'datasets.name', 'datasets.digest', 'input_tags.value as context'])
    .distinct()
    .where('datasets.experiment_id', 'in', ids)
    .orderBy('datasets.experiment_id')
    .orderBy('datasets.name')
    .orderBy('datasets.digest')
    .limit(1000)
    .execute();
  return rows.map((r) => ({
    experimentId: String(r.experiment_id),
    name: r.name,
    digest: r.digest,
    context: r.context ?? undefined,
  }));
}
