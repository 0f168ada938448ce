import type { Clock } from '../core/clock.ts';
import type { Page, Tag } from '../core/entities.ts';
import { MlflowError } from '../core/errors.ts';
import { IS_PROMPT_TAG, MODEL_VERSION_STAGES, type ModelVersion, type RegisteredModel } from '../core/registry.ts';
import {
  canonicalStage,
  modelNameKey,
  REGISTRY_LIMITS,
  validateModelName,
  validateRegistryTag,
  validateRegistryTagKey,
} from '../core/registry-validation.ts';
import type { Filter } from '../search/ast.ts';
import { parseRegisteredModelFilter, parseRegisteredModelOrderBy } from '../search/registry-filter-parser.ts';
import type { RegistryStore, RegistryWrites } from '../store/registry-store.ts';
import { searchPage } from '../tracking/paging.ts';
import { tagMap } from './registry-events.ts';
import {
  lockForChange,
  recordChange,
  registeredModelNotFound,
  type Revisioned,
  type WriteContext,
} from './registry-changes.ts';

export interface RegistryServiceDeps {
  readonly store: RegistryStore;
  readonly clock: Clock;
}

export interface RegistrySearch {
  readonly filter?: string | undefined;
  readonly orderBy?: readonly string[] | undefined;
  readonly maxResults?: number | undefined;
  readonly pageToken?: string | undefined;
}

/**
 * MLflow hides prompts (models tagged `mlflow.prompt.is_prompt` = 'true') from registry searches
 * unless the filter asks for them; when it does not, its clauses on that tag are dropped.
 */
export function promptScope(filter: Filter): { filter: Filter; excludePrompts: boolean } {
  const first = filter.find((c) => c.identifier.type === 'tag' && c.identifier.key === IS_PROMPT_TAG);
  const value = first?.value.kind === 'string' ? first.value.value.toLowerCase() : undefined;
  const wantsPrompts =
    (first?.comparator === '=' && value === 'true') || (first?.comparator === '!=' && value === 'false');
  if (wantsPrompts) return { filter, excludePrompts: false };
  const rest = filter.filter((c) => !(c.identifier.type === 'tag' && c.identifier.key === IS_PROMPT_TAG));
  return { filter: rest, excludePrompts: true };
}

export function checkMaxResults(maxResults: number, limit: number): void {
  if (maxResults < 1) {
    throw MlflowError.invalidParameter(
      `Invalid value for max_results. It must be a positive integer, but got ${maxResults}`,
    );
  }
  if (maxResults > limit) {
    throw MlflowError.invalidParameter(
      `Invalid value for request parameter max_results. It must be at most ${limit}, but got value ${maxResults}`,
    );
  }
}

/** Registered models: create, read, rename, describe, tag, delete, search, latest versions. */
export class RegisteredModelService {
  constructor(private readonly deps: RegistryServiceDeps) {}

  async create(
    input: { name: string; tags: readonly Tag[]; description?: string | undefined },
    ctx: WriteContext,
  ): Promise<RegisteredModel> {
    validateModelName(input.name);
    input.tags.forEach(validateRegistryTag);
    const nameKey = modelNameKey(input.name);
    const time = this.deps.clock.now();
    return this.deps.store.write(async (tx) => {
      await refuseNameClash(tx, input.name, nameKey);
      // MLflow stores the request's description as given: "" when the field is absent.
      const description = input.description ?? '';
      const header = await tx.insertRegisteredModel({ name: input.name, nameKey, description, tags: input.tags, time });
      await tx.appendRegistryEvent({
        modelId: header.id,
        modelName: header.name,
        version: null,
        kind: 'registered_model.created',
        before: null,
        after: { name: input.name, description, tags: tagMap(input.tags) },
        actor: ctx.actor ?? null,
        revision: header.revision,
        time,
      });
      return (await tx.getRegisteredModel(input.name))!;
    });
  }

  async get(name: string): Promise<RegisteredModel> {
    validateModelName(name);
    const model = await this.deps.store.getRegisteredModel(name);
    if (!model) throw registeredModelNotFound(name);
    return model;
  }

  async rename(name: string, newName: string, ctx: WriteContext): Promise<RegisteredModel> {
    validateModelName(name);
    validateModelName(newName, 'new_name');
    const nameKey = modelNameKey(newName);
    const time = this.deps.clock.now();
    return this.deps.store.write(async (tx) => {
      const header = await lockForChange(tx, name, ctx);
      await refuseNameClash(tx, newName, nameKey, header.id);
      await recordChange(tx, header, ctx, {
        kind: 'registered_model.renamed',
        before: { name },
        after: { name: newName },
        time,
        patch: { name: newName, nameKey, lastUpdatedTime: time },
      });
      // As MLflow: the versions follow the model and count as updated.
      await tx.touchModelVersions(header.id, time);
      return (await tx.getRegisteredModel(newName))!;
    });
  }

  /** MLflow stores the request's description as given: "" when the field is absent, which clears it. */
  async update(name: string, description: string | undefined, ctx: WriteContext): Promise<RegisteredModel> {
    validateModelName(name);
    const time = this.deps.clock.now();
    return this.deps.store.writeModel(name, async (tx) => {
      const header = await lockForChange(tx, name, ctx);
      const next = description ?? '';
      await recordChange(tx, header, ctx, {
        kind: 'registered_model.updated',
        before: { description: header.description },
        after: { description: next },
        time,
        patch: { description: next, lastUpdatedTime: time },
      });
      return (await tx.getRegisteredModel(name))!;
    });
  }

  async delete(name: string, ctx: WriteContext): Promise<void> {
    validateModelName(name);
    const time = this.deps.clock.now();
    await this.deps.store.writeModel(name, async (tx) => {
      const header = await lockForChange(tx, name, ctx);
      const model = (await tx.getRegisteredModel(name))!;
      const versions = await allVersions(tx, name);
      await recordChange(tx, header, ctx, {
        kind: 'registered_model.deleted',
        before: {
          name,
          description: model.description,
          tags: tagMap(model.tags),
          versions: versions.map((v) => String(v.version)),
          aliases: Object.fromEntries(model.aliases.map((a) => [a.alias, String(a.version)])),
        },
        after: null,
        time,
      });
      await tx.deleteRegisteredModel(header.id);
    });
  }

  async search(input: RegistrySearch): Promise<Page<RegisteredModel>> {
    const maxResults = input.maxResults ?? REGISTRY_LIMITS.defaultRegisteredModelsPerPage;
    checkMaxResults(maxResults, REGISTRY_LIMITS.maxRegisteredModelsPerPage);
    const { filter, excludePrompts } = promptScope(parseRegisteredModelFilter(input.filter));
    const orderBy = parseRegisteredModelOrderBy(input.orderBy);
    return searchPage(input.pageToken, (position) =>
      this.deps.store.searchRegisteredModels({
        filter,
        orderBy,
        excludePrompts,
        maxResults,
        offset: position.offset,
        watermark: position.watermark,
      }),
    );
  }

  /** The latest version of each requested stage (all stages when none is named), with their aliases. */
  async getLatestVersions(name: string, stages: readonly string[]): Promise<Revisioned<ModelVersion[]>> {
    validateModelName(name);
    const wanted = new Set(stages.length === 0 ? MODEL_VERSION_STAGES : stages.map(canonicalStage));
    const model = await this.deps.store.getRegisteredModel(name);
    if (!model) throw registeredModelNotFound(name);
    const versions = model.latestVersions.filter((mv) => wanted.has(mv.currentStage));
    const withAliases = versions.map((mv) => ({
      ...mv,
      aliases: model.aliases.filter((a) => a.version === mv.version).map((a) => a.alias),
    }));
    return { value: withAliases, revision: model.revision };
  }

  /** Setting a tag to the value it has is no change: no new revision, no event. */
  async setTag(name: string, tag: Tag, ctx: WriteContext): Promise<number> {
    validateModelName(name);
    validateRegistryTag(tag);
    const time = this.deps.clock.now();
    return this.deps.store.writeModel(name, async (tx) => {
      const header = await lockForChange(tx, name, ctx);
      const previous = await tx.setRegisteredModelTag(header.id, tag);
      if (previous === tag.value) return header.revision;
      return recordChange(tx, header, ctx, {
        kind: 'registered_model.tag_set',
        before: previous === undefined ? null : { key: tag.key, value: previous },
        after: { key: tag.key, value: tag.value },
        time,
      });
    });
  }

  /** As MLflow, deleting a tag the model does not have succeeds and changes nothing. */
  async deleteTag(name: string, key: string, ctx: WriteContext): Promise<number> {
    validateModelName(name);
    validateRegistryTagKey(key);
    const time = this.deps.clock.now();
    return this.deps.store.writeModel(name, async (tx) => {
      const header = await lockForChange(tx, name, ctx);
      const previous = await tx.deleteRegisteredModelTag(header.id, key);
      if (previous === undefined) return header.revision;
      return recordChange(tx, header, ctx, {
        kind: 'registered_model.tag_deleted',
        before: { key, value: previous },
        after: null,
        time,
      });
    });
  }
}

/** Names equal once percent-decoded would reach the same URL: only one of them may exist. */
async function refuseNameClash(tx: RegistryWrites, name: string, nameKey: string, exceptId?: number): Promise<void> {
  const clash = await tx.findNameClash(nameKey, exceptId);
  if (clash === undefined) return;
  throw MlflowError.alreadyExists(
    clash === name
      ? `Registered Model (name=${name}) already exists.`
      : `Registered Model (name=${name}) already exists: it names the same model as '${clash}' once percent-decoded.`,
  );
}

async function allVersions(tx: RegistryWrites, name: string): Promise<readonly ModelVersion[]> {
  const page = await tx.searchModelVersions({
    filter: [
      { identifier: { type: 'attribute', key: 'name' }, comparator: '=', value: { kind: 'string', value: name } },
    ],
    orderBy: [{ identifier: { type: 'attribute', key: 'version_number' }, ascending: true }],
    excludePrompts: false,
    maxResults: Number.MAX_SAFE_INTEGER - 1,
    offset: 0,
  });
  return page.items;
}
