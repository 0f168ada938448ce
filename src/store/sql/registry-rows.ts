import type { Kysely, Selectable } from 'kysely';
import type { Tag } from '../../core/entities.ts';
import type {
  ModelVersion,
  ModelVersionStage,
  ModelVersionStatus,
  RegisteredModel,
  RegisteredModelAlias,
} from '../../core/registry.ts';
import type { ModelHeader } from '../registry-store.ts';
import type { Database, ModelVersionsTable, RegisteredModelsTable } from './schema.ts';

/** Rows of the registry tables → entities, with their tags, aliases and latest versions loaded in bulk. */
export type ModelRow = Selectable<RegisteredModelsTable>;
export type VersionRow = Selectable<ModelVersionsTable>;

/** Ids per statement, well below every database's bound-parameter limit. */
const CHUNK = 5000;

export async function inChunks<T, R>(items: readonly T[], work: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(...(await work(items.slice(i, i + CHUNK))));
  return out;
}

export function toHeader(row: ModelRow): ModelHeader {
  return {
    id: Number(row.id),
    name: row.name,
    revision: Number(row.revision),
    nextVersion: Number(row.next_version),
    description: row.description,
  };
}

const versionKey = (modelId: number, version: number) => `${modelId}/${version}`;

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Versions as entities: tags ordered by key, aliases by name; `names` maps model ids to names. */
export async function toModelVersions(
  db: Kysely<Database>,
  rows: readonly VersionRow[],
  names: ReadonlyMap<number, string>,
): Promise<ModelVersion[]> {
  const seqs = rows.map((r) => Number(r.seq));
  const tags = new Map<string, Tag[]>();
  const tagRows = await inChunks(seqs, (chunk) =>
    db
      .selectFrom('model_version_tags as t')
      .innerJoin('model_versions as mv', (j) =>
        j.onRef('mv.registered_model_id', '=', 't.registered_model_id').onRef('mv.version', '=', 't.version'),
      )
      .select(['t.registered_model_id', 't.version', 't.key', 't.value'])
      .where('mv.seq', 'in', chunk)
      .orderBy('t.key')
      .execute(),
  );
  for (const t of tagRows) {
    push(tags, versionKey(Number(t.registered_model_id), Number(t.version)), { key: t.key, value: t.value });
  }
  const aliases = new Map<string, string[]>();
  const aliasRows = await inChunks(seqs, (chunk) =>
    db
      .selectFrom('registered_model_aliases as a')
      .innerJoin('model_versions as mv', (j) =>
        j.onRef('mv.registered_model_id', '=', 'a.registered_model_id').onRef('mv.version', '=', 'a.version'),
      )
      .select(['a.registered_model_id', 'a.version', 'a.alias'])
      .where('mv.seq', 'in', chunk)
      .orderBy('a.alias')
      .execute(),
  );
  for (const a of aliasRows) push(aliases, versionKey(Number(a.registered_model_id), Number(a.version)), a.alias);
  return rows.map((row) => {
    const key = versionKey(Number(row.registered_model_id), Number(row.version));
    return {
      name: names.get(Number(row.registered_model_id)) ?? '',
      version: Number(row.version),
      creationTimestamp: Number(row.creation_time),
      lastUpdatedTimestamp: Number(row.last_updated_time),
      description: row.description,
      userId: row.user_id,
      currentStage: row.current_stage as ModelVersionStage,
      source: row.source,
      storageLocation: row.storage_location,
      runId: row.run_id,
      runLink: row.run_link,
      status: row.status as ModelVersionStatus,
      statusMessage: row.status_message,
      tags: tags.get(key) ?? [],
      aliases: aliases.get(key) ?? [],
      modelId: row.model_id,
    };
  });
}

/**
 * Models as entities. Latest versions follow MLflow's construction: the highest version of each
 * stage, the stages in the order their lowest version has (a dict filled while walking the versions
 * in ascending order).
 */
export async function toRegisteredModels(db: Kysely<Database>, rows: readonly ModelRow[]): Promise<RegisteredModel[]> {
  const ids = rows.map((r) => Number(r.id));
  const names = new Map(rows.map((r) => [Number(r.id), r.name]));
  const tags = new Map<number, Tag[]>();
  const tagRows = await inChunks(ids, (chunk) =>
    db
      .selectFrom('registered_model_tags')
      .select(['registered_model_id', 'key', 'value'])
      .where('registered_model_id', 'in', chunk)
      .orderBy('key')
      .execute(),
  );
  for (const t of tagRows) push(tags, Number(t.registered_model_id), { key: t.key, value: t.value });
  const aliases = new Map<number, RegisteredModelAlias[]>();
  const aliasRows = await inChunks(ids, (chunk) =>
    db
      .selectFrom('registered_model_aliases')
      .select(['registered_model_id', 'alias', 'version'])
      .where('registered_model_id', 'in', chunk)
      .orderBy('alias')
      .execute(),
  );
  for (const a of aliasRows)
    push(aliases, Number(a.registered_model_id), { alias: a.alias, version: Number(a.version) });
  const latestRows = await inChunks(ids, (chunk) =>
    db
      .selectFrom('model_versions as mv')
      .innerJoin(
        (eb) =>
          eb
            .selectFrom('model_versions')
            .select((s) => [
              'registered_model_id',
              'current_stage',
              s.fn.min('version').as('first_version'),
              s.fn.max('version').as('latest_version'),
            ])
            .where('registered_model_id', 'in', chunk)
            .groupBy(['registered_model_id', 'current_stage'])
            .as('g'),
        (j) =>
          j.onRef('g.registered_model_id', '=', 'mv.registered_model_id').onRef('g.latest_version', '=', 'mv.version'),
      )
      .selectAll('mv')
      .orderBy('mv.registered_model_id')
      .orderBy('g.first_version')
      .execute(),
  );
  const latest = new Map<number, ModelVersion[]>();
  const versions = await toModelVersions(db, latestRows, names);
  latestRows.forEach((row, i) => push(latest, Number(row.registered_model_id), versions[i]!));
  return rows.map((row) => ({
    name: row.name,
    creationTimestamp: Number(row.creation_time),
    lastUpdatedTimestamp: Number(row.last_updated_time),
    description: row.description,
    latestVersions: latest.get(Number(row.id)) ?? [],
    tags: tags.get(Number(row.id)) ?? [],
    aliases: aliases.get(Number(row.id)) ?? [],
    revision: Number(row.revision),
  }));
}
