import type { Kysely, Updateable } from 'kysely';
import type { Tag } from '../../core/entities.ts';
import { MlflowError } from '../../core/errors.ts';
import type { RegisteredModel } from '../../core/registry.ts';
import type { ModelHeader, NewRegisteredModel, RegisteredModelPatch } from '../registry-store.ts';
import type { SqlDialect } from './dialect.ts';
import { toHeader, toRegisteredModels } from './registry-rows.ts';
import type { Database, RegisteredModelsTable } from './schema.ts';

/** Registered models and their tags. */

export async function getModelHeader(db: Kysely<Database>, name: string): Promise<ModelHeader | undefined> {
  const row = await db.selectFrom('registered_models').selectAll().where('name', '=', name).executeTakeFirst();
  return row ? toHeader(row) : undefined;
}

export async function lockModel(
  db: Kysely<Database>,
  dialect: SqlDialect,
  name: string,
): Promise<ModelHeader | undefined> {
  const query = db.selectFrom('registered_models').selectAll().where('name', '=', name);
  const row = await dialect.lockRowsForUpdate(query).executeTakeFirst();
  return row ? toHeader(row) : undefined;
}

export async function getRegisteredModel(db: Kysely<Database>, name: string): Promise<RegisteredModel | undefined> {
  const row = await db.selectFrom('registered_models').selectAll().where('name', '=', name).executeTakeFirst();
  return row ? (await toRegisteredModels(db, [row]))[0] : undefined;
}

export async function findNameClash(
  db: Kysely<Database>,
  nameKey: string,
  exceptId?: number,
): Promise<string | undefined> {
  let query = db.selectFrom('registered_models').select('name').where('name_key', '=', nameKey);
  if (exceptId !== undefined) query = query.where('id', '!=', exceptId);
  return (await query.executeTakeFirst())?.name;
}

export async function insertRegisteredModel(
  db: Kysely<Database>,
  dialect: SqlDialect,
  model: NewRegisteredModel,
): Promise<ModelHeader> {
  try {
    await db
      .insertInto('registered_models')
      .values({
        name: model.name,
        name_key: model.nameKey,
        description: model.description,
        creation_time: model.time,
        last_updated_time: model.time,
        revision: 1,
        next_version: 1,
      })
      .execute();
  } catch (error) {
    throw dialect.translateError(error);
  }
  // Read back by the unique name rather than RETURNING, which MySQL lacks.
  const header = await getModelHeader(db, model.name);
  if (!header) throw new MlflowError('INTERNAL_ERROR', `Registered model ${model.name} vanished after its insert`);
  // Within one request the last value of a key wins, as MLflow builds a dict of the tags.
  const tags = new Map(model.tags.map((t) => [t.key, t.value]));
  if (tags.size > 0) {
    await db
      .insertInto('registered_model_tags')
      .values([...tags].map(([key, value]) => ({ registered_model_id: header.id, key, value })))
      .execute();
  }
  return header;
}

export async function updateRegisteredModel(
  db: Kysely<Database>,
  dialect: SqlDialect,
  id: number,
  patch: RegisteredModelPatch,
): Promise<void> {
  const set: Updateable<RegisteredModelsTable> = { revision: patch.revision };
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.nameKey !== undefined) set.name_key = patch.nameKey;
  if (patch.description !== undefined) set.description = patch.description;
  if (patch.lastUpdatedTime !== undefined) set.last_updated_time = patch.lastUpdatedTime;
  if (patch.nextVersion !== undefined) set.next_version = patch.nextVersion;
  try {
    await db.updateTable('registered_models').set(set).where('id', '=', id).execute();
  } catch (error) {
    throw dialect.translateError(error);
  }
}

/** Children first: the foreign keys point from tags and aliases to versions, and from versions to the model. */
export async function deleteRegisteredModel(db: Kysely<Database>, id: number): Promise<void> {
  await db.deleteFrom('registered_model_aliases').where('registered_model_id', '=', id).execute();
  await db.deleteFrom('model_version_tags').where('registered_model_id', '=', id).execute();
  await db.deleteFrom('model_versions').where('registered_model_id', '=', id).execute();
  await db.deleteFrom('registered_model_tags').where('registered_model_id', '=', id).execute();
  await db.deleteFrom('registered_models').where('id', '=', id).execute();
}

export async function setRegisteredModelTag(db: Kysely<Database>, id: number, tag: Tag): Promise<string | undefined> {
  const previous = await db
    .selectFrom('registered_model_tags')
    .select('value')
    .where('registered_model_id', '=', id)
    .where('key', '=', tag.key)
    .executeTakeFirst();
  if (previous) {
    await db
      .updateTable('registered_model_tags')
      .set({ value: tag.value })
      .where('registered_model_id', '=', id)
      .where('key', '=', tag.key)
      .execute();
  } else {
    await db
      .insertInto('registered_model_tags')
      .values({ registered_model_id: id, key: tag.key, value: tag.value })
      .execute();
  }
  return previous?.value;
}

export async function deleteRegisteredModelTag(
  db: Kysely<Database>,
  id: number,
  key: string,
): Promise<string | undefined> {
  const previous = await db
    .selectFrom('registered_model_tags')
    .select('value')
    .where('registered_model_id', '=', id)
    .where('key', '=', key)
    .executeTakeFirst();
  if (previous) {
    await db.deleteFrom('registered_model_tags').where('registered_model_id', '=', id).where('key', '=', key).execute();
  }
  return previous?.value;
}
