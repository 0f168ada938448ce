import type { Page, Tag } from '../core/entities.ts';
import { MlflowError } from '../core/errors.ts';
import type { JsonObject, ModelVersion, RegistryEvent } from '../core/registry.ts';
import type { RegistryStore } from '../store/registry-store.ts';
import { searchPage } from '../tracking/paging.ts';
import { registeredModelNotFound } from './registry-changes.ts';

/**
 * The registry's history: what each event records (snake_case, versions as strings, as on MLflow's
 * wire), reading it back page by page, and folding it into the state it describes. Replaying a
 * model's events from revision 1 gives its current versions, stages, aliases and tags exactly.
 */

export const tagMap = (tags: readonly Tag[]): Record<string, string> =>
  Object.fromEntries(tags.map((t) => [t.key, t.value]));

/** What a created version looks like in the `after` of its event. */
export function versionSnapshot(mv: ModelVersion): JsonObject {
  return {
    version: String(mv.version),
    current_stage: mv.currentStage,
    description: mv.description,
    source: mv.source,
    storage_location: mv.storageLocation,
    run_id: mv.runId,
    run_link: mv.runLink,
    model_id: mv.modelId,
    tags: tagMap(mv.tags),
  };
}

export interface ReplayedVersion {
  currentStage: string;
  description: string | null;
  tags: Record<string, string>;
}

export interface ReplayedModel {
  name: string;
  description: string | null;
  revision: number;
  deleted: boolean;
  tags: Record<string, string>;
  versions: Map<number, ReplayedVersion>;
  aliases: Map<string, number>;
}

const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const num = (value: unknown): number => Number(value);
const obj = (value: unknown): Record<string, string> =>
  value !== null && typeof value === 'object' ? (value as Record<string, string>) : {};

/**
 * Folds one model's events, in order, into the state they describe. Throws DATA_LOSS when the
 * revisions are not 1, 2, 3, … without gaps: the log would not be the model's whole history.
 */
export function replayRegistryEvents(events: readonly RegistryEvent[]): ReplayedModel {
  const state: ReplayedModel = {
    name: '',
    description: null,
    revision: 0,
    deleted: false,
    tags: {},
    versions: new Map(),
    aliases: new Map(),
  };
  for (const event of events) {
    if (event.revision !== state.revision + 1) {
      throw new MlflowError('DATA_LOSS', `Event ${event.id} has revision ${event.revision} after ${state.revision}`);
    }
    state.revision = event.revision;
    applyEvent(state, event);
  }
  return state;
}

function versionOf(state: ReplayedModel, event: RegistryEvent): ReplayedVersion {
  const found = event.version === null ? undefined : state.versions.get(event.version);
  if (!found)
    throw new MlflowError('DATA_LOSS', `Event ${event.id} names version ${event.version}, which never existed`);
  return found;
}

function applyEvent(state: ReplayedModel, event: RegistryEvent): void {
  const after = event.after ?? {};
  const before = event.before ?? {};
  switch (event.kind) {
    case 'registered_model.created':
      state.name = str(after.name);
      state.description = (after.description as string | null) ?? null;
      state.tags = { ...obj(after.tags) };
      return;
    case 'registered_model.renamed':
      state.name = str(after.name);
      return;
    case 'registered_model.updated':
      state.description = (after.description as string | null) ?? null;
      return;
    case 'registered_model.deleted':
      state.deleted = true;
      state.versions.clear();
      state.aliases.clear();
      return;
    case 'registered_model.tag_set':
      state.tags[str(after.key)] = str(after.value);
      return;
    case 'registered_model.tag_deleted':
      delete state.tags[str(before.key)];
      return;
    case 'model_version.created':
      state.versions.set(num(after.version), {
        currentStage: str(after.current_stage),
        description: (after.description as string | null) ?? null,
        tags: { ...obj(after.tags) },
      });
      return;
    case 'model_version.updated':
      versionOf(state, event).description = (after.description as string | null) ?? null;
      return;
    case 'model_version.stage_transitioned':
      for (const archived of (after.archived_versions as unknown[] | undefined) ?? []) {
        const version = state.versions.get(num(archived));
        if (version) version.currentStage = 'Archived';
      }
      versionOf(state, event).currentStage = str(after.current_stage);
      return;
    case 'model_version.deleted':
      state.versions.delete(event.version ?? -1);
      for (const [alias, version] of state.aliases) if (version === event.version) state.aliases.delete(alias);
      return;
    case 'model_version.tag_set':
      versionOf(state, event).tags[str(after.key)] = str(after.value);
      return;
    case 'model_version.tag_deleted':
      delete versionOf(state, event).tags[str(before.key)];
      return;
    case 'alias.set':
      state.aliases.set(str(after.alias), num(after.version));
      return;
    case 'alias.deleted':
      state.aliases.delete(str(before.alias));
      return;
    default: {
      const unknown: never = event.kind;
      throw new MlflowError('DATA_LOSS', `Unknown registry event kind ${String(unknown)}`);
    }
  }
}

export interface EventListing {
  readonly page: Page<RegistryEvent>;
  /** The model's current revision; undefined once it was deleted. */
  readonly revision?: number | undefined;
}

const MAX_EVENTS_PER_PAGE = 1000;
const DEFAULT_EVENTS_PER_PAGE = 100;

export class RegistryEventService {
  constructor(private readonly deps: { readonly store: RegistryStore }) {}

  /**
   * A model's history, oldest first, across renames. For a name no model has now, the history of
   * the last deleted model of that name, so a deletion can still be looked into.
   */
  async list(
    name: string,
    page: { pageToken?: string | undefined; maxResults?: number | undefined },
  ): Promise<EventListing> {
    const maxResults = page.maxResults ?? DEFAULT_EVENTS_PER_PAGE;
    if (!Number.isSafeInteger(maxResults) || maxResults < 1 || maxResults > MAX_EVENTS_PER_PAGE) {
      throw MlflowError.invalidParameter(
        `Invalid value ${maxResults} for parameter 'max_results' supplied. It must be between 1 and ${MAX_EVENTS_PER_PAGE}.`,
      );
    }
    const header = await this.deps.store.getModelHeader(name);
    const modelId = header?.id ?? (await this.deps.store.findDeletedModelId(name));
    if (modelId === undefined) throw registeredModelNotFound(name);
    const events = await searchPage(page.pageToken, (position) =>
      this.deps.store.listRegistryEvents({
        modelId,
        maxResults,
        offset: position.offset,
        watermark: position.watermark,
      }),
    );
    return { page: events, revision: header?.revision };
  }
}
