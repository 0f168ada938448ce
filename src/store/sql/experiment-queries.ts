import type { Kysely } from 'kysely';
import { joinArtifactUri } from '../../core/artifact-uri.ts';
import type { Experiment, LifecycleStage, Tag } from '../../core/entities.ts';
import { MlflowError } from '../../core/errors.ts';
import type { ExperimentQuery, NewExperiment, SearchPage } from '../store.ts';
import type { SqlDialect } from './dialect.ts';
import { applyExperimentFilter, applyExperimentOrderBy } from './experiment-search.ts';
import { currentWatermark } from './watermark.ts';
import type { Database, ExperimentsTable } from './schema.ts';
import type { Selectable } from 'kysely';

type ExperimentRow = Selectable<ExperimentsTable>;

async function tagsOf(db: Kysely<Database>, ids: readonly number[]): Promise<Map<number, Tag[]>> {
  const byId = new Map<number, Tag[]>();
  if (ids.length === 0) return byId;
  const rows = await db
    .selectFrom('experiment_tags')
    .select(['experiment_id', 'key', 'value'])
    .where('experiment_id', 'in', ids)
    .orderBy('experiment_id')
    .orderBy('key')
    .execute();
  for (const row of rows) {
    const id = Number(row.experiment_id);
    const list = byId.get(id) ?? [];
    list.push({ key: row.key, value: row.value });
    byId.set(id, list);
  }
  return byId;
}

function toExperiment(row: ExperimentRow, tags: readonly Tag[]): Experiment {
  return {
    experimentId: String(row.experiment_id),
    name: row.name,
    artifactLocation: row.artifact_location,
    lifecycleStage: row.lifecycle_stage as LifecycleStage,
    creationTime: Number(row.creation_time),
    lastUpdateTime: Number(row.last_update_time),
    tags,
  };
}

async function withTags(db: Kysely<Database>, rows: readonly ExperimentRow[]): Promise<Experiment[]> {
  const tags = await tagsOf(
    db,
    rows.map((r) => Number(r.experiment_id)),
  );
  return rows.map((r) => toExperiment(r, tags.get(Number(r.experiment_id)) ?? []));
}

/** Ids that are not integers cannot name an experiment of ours; callers validate the format first. */
function numericId(experimentId: string): number | undefined {
  return /^\d{1,18}$/.test(experimentId) ? Number(experimentId) : undefined;
}

export async function getExperiment(db: Kysely<Database>, experimentId: string): Promise<Experiment | undefined> {
  const id = numericId(experimentId);
  if (id === undefined) return undefined;
  const row = await db.selectFrom('experiments').selectAll().where('experiment_id', '=', id).executeTakeFirst();
  return row ? (await withTags(db, [row]))[0] : undefined;
}

export async function getExperimentByName(db: Kysely<Database>, name: string): Promise<Experiment | undefined> {
  const row = await db.selectFrom('experiments').selectAll().where('name', '=', name).executeTakeFirst();
  return row ? (await withTags(db, [row]))[0] : undefined;
}

export async function searchExperiments(
  db: Kysely<Database>,
  dialect: SqlDialect,
  query: ExperimentQuery,
): Promise<SearchPage<Experiment>> {
  const watermark = query.watermark ?? (await currentWatermark(db, 'experiments', 'experiment_id'));
  let qb = db.selectFrom('experiments').selectAll('experiments').where('experiments.experiment_id', '<=', watermark);
  if (query.viewType === 'ACTIVE_ONLY') qb = qb.where('experiments.lifecycle_stage', '=', 'active');
  if (query.viewType === 'DELETED_ONLY') qb = qb.where('experiments.lifecycle_stage', '=', 'deleted');
  qb = applyExperimentFilter(qb, query.filter, dialect);
  qb = applyExperimentOrderBy(qb, query.orderBy, dialect);
  const rows = await qb
    .limit(query.maxResults + 1)
    .offset(query.offset)
    .execute();
  const hasMore = rows.length > query.maxResults;
  return { items: await withTags(db, rows.slice(0, query.maxResults)), hasMore, watermark };
}

export async function insertExperiment(
  db: Kysely<Database>,
  dialect: SqlDialect,
  experiment: NewExperiment,
): Promise<string> {
  const taken = await db
    .selectFrom('experiments')
    .select('experiment_id')
    .where('name', '=', experiment.name)
    .executeTakeFirst();
  if (taken) throw MlflowError.alreadyExists(`Experiment(name=${experiment.name}) already exists.`);
  try {
    await db
      .insertInto('experiments')
      .values({
        name: experiment.name,
        artifact_location: experiment.artifactLocation ?? '',
        lifecycle_stage: 'active',
        creation_time: experiment.creationTime,
        last_update_time: experiment.creationTime,
      })
      .execute();
  } catch (error) {
    throw dialect.translateError(error);
  }
  // Read back by the unique name rather than RETURNING, which MySQL does not have.
  const inserted = await db
    .selectFrom('experiments')
    .select('experiment_id')
    .where('name', '=', experiment.name)
    .executeTakeFirstOrThrow();
  const id = Number(inserted.experiment_id);
  if (experiment.artifactLocation === undefined) {
    // The default location names the id, which only the insert assigns.
    await db
      .updateTable('experiments')
      .set({ artifact_location: joinArtifactUri(experiment.defaultArtifactRoot, String(id)) })
      .where('experiment_id', '=', id)
      .execute();
  }
  if (experiment.tags.length > 0) {
    await db
      .insertInto('experiment_tags')
      .values(experiment.tags.map((t) => ({ experiment_id: id, key: t.key, value: t.value })))
      .execute();
  }
  return String(id);
}

export async function renameExperiment(
  db: Kysely<Database>,
  dialect: SqlDialect,
  experimentId: string,
  name: string,
  time: number,
): Promise<void> {
  const taken = await db
    .selectFrom('experiments')
    .select('experiment_id')
    .where('name', '=', name)
    .where('experiment_id', '!=', Number(experimentId))
    .executeTakeFirst();
  if (taken) throw MlflowError.alreadyExists(`Experiment(name=${name}) already exists.`);
  try {
    await db
      .updateTable('experiments')
      .set({ name, last_update_time: time })
      .where('experiment_id', '=', Number(experimentId))
      .execute();
  } catch (error) {
    throw dialect.translateError(error);
  }
}

export async function setExperimentLifecycle(
  db: Kysely<Database>,
  experimentId: string,
  stage: LifecycleStage,
  time: number,
): Promise<void> {
  const id = Number(experimentId);
  if (stage === 'deleted') {
    await db
      .updateTable('experiments')
      .set({ lifecycle_stage: 'deleted', deleted_time: time, last_update_time: time })
      .where('experiment_id', '=', id)
      .execute();
    await db
      .updateTable('runs')
      .set({ lifecycle_stage: 'deleted', deleted_time: time })
      .where('experiment_id', '=', id)
      .where('lifecycle_stage', '=', 'active')
      .execute();
    return;
  }
  const row = await db
    .selectFrom('experiments')
    .select('deleted_time')
    .where('experiment_id', '=', id)
    .executeTakeFirst();
  await db
    .updateTable('experiments')
    .set({ lifecycle_stage: 'active', deleted_time: null, last_update_time: time })
    .where('experiment_id', '=', id)
    .execute();
  if (row?.deleted_time != null) {
    // Only the runs deleted together with the experiment come back; runs deleted on their own stay deleted.
    await db
      .updateTable('runs')
      .set({ lifecycle_stage: 'active', deleted_time: null })
      .where('experiment_id', '=', id)
      .where('lifecycle_stage', '=', 'deleted')
      .where('deleted_time', '=', row.deleted_time)
      .execute();
  }
}

export async function setExperimentTag(
  db: Kysely<Database>,
  dialect: SqlDialect,
  experimentId: string,
  tag: Tag,
): Promise<void> {
  const id = Number(experimentId);
  const updated = await db
    .updateTable('experiment_tags')
    .set({ value: tag.value })
    .where('experiment_id', '=', id)
    .where('key', '=', tag.key)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) {
    await dialect
      .insertIgnoringDuplicates(
        db.insertInto('experiment_tags').values({ experiment_id: id, key: tag.key, value: tag.value }),
      )
      .execute();
  }
}

export async function deleteExperimentTag(db: Kysely<Database>, experimentId: string, key: string): Promise<boolean> {
  const result = await db
    .deleteFrom('experiment_tags')
    .where('experiment_id', '=', Number(experimentId))
    .where('key', '=', key)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function ensureDefaultExperiment(
  db: Kysely<Database>,
  dialect: SqlDialect,
  name: string,
  artifactLocation: string,
  time: number,
): Promise<void> {
  const any = await db.selectFrom('experiments').select('experiment_id').limit(1).executeTakeFirst();
  if (any) return;
  // Explicit id 0 with "ignore duplicates": two replicas starting on one new database both succeed.
  await dialect
    .insertIgnoringDuplicates(
      db.insertInto('experiments').values({
        experiment_id: 0,
        name,
        artifact_location: artifactLocation,
        lifecycle_stage: 'active',
        creation_time: time,
        last_update_time: time,
      }),
    )
    .execute();
}
