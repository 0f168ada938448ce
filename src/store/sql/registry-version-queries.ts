import type { Kysely, Updateable } from 'kysely';
import type { Tag } from '../../core/entities.ts';
import type { ModelVersion, ModelVersionStage } from '../../core/registry.ts';
import type { NewModelVersion } from '../registry-store.ts';
import { toModelVersions } from './registry-rows.ts';
import type { Database, ModelVersionsTable } from './schema.ts';

/** Model versions, their tags, and the aliases that point at them. */

export async function getModelVersion(
  db: Kysely<Database>,
  name: string,
  version: number,
): Promise<ModelVersion | undefined> {
  const row = await db
    .selectFrom('model_versions as mv')
    .innerJoin('registered_models as rm', 'rm.id', 'mv.registered_model_id')
    .selectAll('mv')
    .where('rm.name', '=', name)
    .where('mv.version', '=', version)
    .executeTakeFirst();
  if (!row) return undefined;
  return (await toModelVersions(db, [row], new Map([[Number(row.registered_model_id), name]])))[0];
}

export async function getModelVersionByAlias(
  db: Kysely<Database>,
  name: string,
  alias: string,
): Promise<ModelVersion | undefined> {
  const target = await db
    .selectFrom('registered_model_aliases as a')
    .innerJoin('registered_models as rm', 'rm.id', 'a.registered_model_id')
    .select('a.version')
    .where('rm.name', '=', name)
    .where('a.alias', '=', alias)
    .executeTakeFirst();
  return target ? getModelVersion(db, name, Number(target.version)) : undefined;
}

export async function insertModelVersion(db: Kysely<Database>, id: number, mv: NewModelVersion): Promise<void> {
  await db
    .insertInto('model_versions')
    .values({
      registered_model_id: id,
      version: mv.version,
      creation_time: mv.time,
      last_updated_time: mv.time,
      description: mv.description,
      user_id: null,
      current_stage: 'None',
      source: mv.source,
      storage_location: mv.storageLocation,
      run_id: mv.runId,
      run_link: mv.runLink,
      status: 'READY',
      status_message: null,
      model_id: mv.modelId,
    })
    .execute();
  // As MLflow: a dict of the request's tags, so the last value of a repeated key wins.
  const tags = new Map(mv.tags.map((t) => [t.key, t.value]));
  if (tags.size > 0) {
    await db
      .insertInto('model_version_tags')
      .values([...tags].map(([key, value]) => ({ registered_model_id: id, version: mv.version, key, value })))
      .execute();
  }
}

export async function updateModelVersion(
  db: Kysely<Database>,
  id: number,
  version: number,
  patch: { description?: string | null | undefined; stage?: ModelVersionStage | undefined; lastUpdatedTime: number },
): Promise<void> {
  const set: Updateable<ModelVersionsTable> = { last_updated_time: patch.lastUpdatedTime };
  if (patch.description !== undefined) set.description = patch.description;
  if (patch.stage !== undefined) set.current_stage = patch.stage;
  await db
    .updateTable('model_versions')
    .set(set)
    .where('registered_model_id', '=', id)
    .where('version', '=', version)
    .execute();
}

export async function touchModelVersions(db: Kysely<Database>, id: number, time: number): Promise<void> {
  await db
    .updateTable('model_versions')
    .set({ last_updated_time: time })
    .where('registered_model_id', '=', id)
    .execute();
}

export async function versionsInStage(db: Kysely<Database>, id: number, stage: ModelVersionStage): Promise<number[]> {
  const rows = await db
    .selectFrom('model_versions')
    .select('version')
    .where('registered_model_id', '=', id)
    .where('current_stage', '=', stage)
    .orderBy('version')
    .execute();
  return rows.map((r) => Number(r.version));
}

export async function deleteModelVersion(db: Kysely<Database>, id: number, version: number): Promise<string[]> {
  const aliases = await db
    .selectFrom('registered_model_aliases')
    .select('alias')
    .where('registered_model_id', '=', id)
    .where('version', '=', version)
    .orderBy('alias')
    .execute();
  await db
    .deleteFrom('registered_model_aliases')
    .where('registered_model_id', '=', id)
    .where('version', '=', version)
    .execute();
  await db
    .deleteFrom('model_version_tags')
    .where('registered_model_id', '=', id)
    .where('version', '=', version)
    .execute();
  await db.deleteFrom('model_versions').where('registered_model_id', '=', id).where('version', '=', version).execute();
  return aliases.map((a) => a.alias);
}

export async function setModelVersionTag(
  db: Kysely<Database>,
  id: number,
  version: number,
  tag: Tag,
): Promise<string | undefined> {
  const previous = await tagValue(db, id, version, tag.key);
  if (previous === undefined) {
    await db
      .insertInto('model_version_tags')
      .values({ registered_model_id: id, version, key: tag.key, value: tag.value })
      .execute();
  } else {
    await db
      .updateTable('model_version_tags')
      .set({ value: tag.value })
      .where('registered_model_id', '=', id)
      .where('version', '=', version)
      .where('key', '=', tag.key)
      .execute();
  }
  return previous;
}

export async function deleteModelVersionTag(
  db: Kysely<Database>,
  id: number,
  version: number,
  key: string,
): Promise<string | undefined> {
  const previous = await tagValue(db, id, version, key);
  if (previous !== undefined) {
    await db
      .deleteFrom('model_version_tags')
      .where('registered_model_id', '=', id)
      .where('version', '=', version)
      .where('key', '=', key)
      .execute();
  }
  return previous;
}

async function tagValue(db: Kysely<Database>, id: number, version: number, key: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('model_version_tags')
    .select('value')
    .where('registered_model_id', '=', id)
    .where('version', '=', version)
    .where('key', '=', key)
    .executeTakeFirst();
  return row?.value;
}

async function aliasTarget(db: Kysely<Database>, id: number, alias: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('registered_model_aliases')
    .select('version')
    .where('registered_model_id', '=', id)
    .where('alias', '=', alias)
    .executeTakeFirst();
  return row ? Number(row.version) : undefined;
}

export async function setAlias(
  db: Kysely<Database>,
  id: number,
  alias: string,
  version: number,
): Promise<number | undefined> {
  const previous = await aliasTarget(db, id, alias);
  if (previous === undefined) {
    await db.insertInto('registered_model_aliases').values({ registered_model_id: id, alias, version }).execute();
  } else {
    await db
      .updateTable('registered_model_aliases')
      .set({ version })
      .where('registered_model_id', '=', id)
      .where('alias', '=', alias)
      .execute();
  }
  return previous;
}

export async function deleteAlias(db: Kysely<Database>, id: number, alias: string): Promise<number | undefined> {
  const previous = await aliasTarget(db, id, alias);
  if (previous !== undefined) {
    await db
      .deleteFrom('registered_model_aliases')
      .where('registered_model_id', '=', id)
      .where('alias', '=', alias)
      .execute();
  }
  return previous;
}
