import type { Page, RunInfo, Tag } from '../core/entities.ts';
import type { LoggedModel } from '../core/logged-model.ts';
import { MlflowError } from '../core/errors.ts';
import { ACTIVE_STAGES, IS_PROMPT_TAG, type ModelVersion } from '../core/registry.ts';
import {
  canonicalStage,
  parseModelVersion,
  REGISTRY_LIMITS,
  validateModelName,
  validateRegistryTag,
  validateRegistryTagKey,
} from '../core/registry-validation.ts';
import { parseModelVersionFilter, parseModelVersionOrderBy } from '../search/registry-filter-parser.ts';
import type { RegistryWrites } from '../store/registry-store.ts';
import { searchPage } from '../tracking/paging.ts';
import { parseModelsUri, validateModelVersionSource } from './model-source.ts';
import {
  checkMaxResults,
  promptScope,
  type RegistryServiceDeps,
  type RegistrySearch,
} from './registered-model.service.ts';
import { versionSnapshot } from './registry-events.ts';
import {
  lockForChange,
  modelVersionNotFound,
  recordChange,
  registeredModelNotFound,
  type Revisioned,
  type WriteContext,
} from './registry-changes.ts';

export interface ModelVersionServiceDeps extends RegistryServiceDeps {
  /** The tracking store's run lookup: a local source must lie inside its run's artifact directory. */
  readonly getRunInfo: (runId: string) => Promise<RunInfo | undefined>;
  /** The tracking store's logged-model lookup: versions registered from a logged model take its location. */
  readonly getLoggedModel: (modelId: string) => Promise<LoggedModel | undefined>;
}

export interface CreateModelVersionInput {
  readonly name: string;
  readonly source: string;
  /** "" when absent, as MLflow stores (and returns) it. */
  readonly runId: string;
  readonly runLink: string;
  readonly description: string;
  readonly modelId: string;
  readonly tags: readonly Tag[];
}

/**
 * Model versions and aliases. Every write locks the model row first: version numbers are taken from
 * the model's counter under that lock (dense, never reused, no retries), and an alias move or a
 * promotion with `archive_existing_versions` sees and leaves one consistent state.
 */
export class ModelVersionService {
  constructor(private readonly deps: ModelVersionServiceDeps) {}

  async create(input: CreateModelVersionInput, ctx: WriteContext): Promise<Revisioned<ModelVersion>> {
    validateModelName(input.name);
    input.tags.forEach(validateRegistryTag);
    if (input.runId.length > REGISTRY_LIMITS.maxRunIdLength) {
      throw MlflowError.invalidParameter(`Invalid run ID: '${input.runId.slice(0, 250)}'`);
    }
    await validateModelVersionSource(
      {
        source: input.source,
        runId: input.runId,
        modelId: input.modelId,
        isPrompt: input.tags.some((t) => t.key === IS_PROMPT_TAG),
      },
      this.deps,
    );
    // A logged model's location never changes, so it may be read before the registry transaction.
    const loggedModel = await this.loggedModelOfSource(input.source);
    const runId = input.runId || loggedModel?.sourceRunId || '';
    const time = this.deps.clock.now();
    return this.deps.store.writeModel(input.name, async (tx) => {
      const storageLocation = loggedModel?.artifactLocation ?? (await resolveStorageLocation(tx, input.source));
      const header = await lockForChange(tx, input.name, ctx);
      const version = header.nextVersion;
      await tx.insertModelVersion(header.id, {
        version,
        source: input.source,
        storageLocation,
        runId,
        runLink: input.runLink,
        description: input.description,
        modelId: input.modelId || null,
        tags: input.tags,
        time,
      });
      const created = (await tx.getModelVersion(input.name, version))!;
      const revision = await recordChange(tx, header, ctx, {
        kind: 'model_version.created',
        version,
        before: null,
        after: versionSnapshot(created),
        time,
        patch: { nextVersion: version + 1, lastUpdatedTime: time },
      });
      return { value: created, revision };
    });
  }

  /** The logged model a `models:/<model id>` source names; undefined for other sources. */
  private async loggedModelOfSource(source: string): Promise<LoggedModel | undefined> {
    const uri = parseModelsUri(source);
    if (uri?.kind !== 'logged-model') return undefined;
    const model = await this.deps.getLoggedModel(uri.modelId);
    if (!model) {
      throw MlflowError.invalidParameter(
        `Unable to fetch model from model URI source artifact location '${source}'. No logged model with id '${uri.modelId}' exists.`,
      );
    }
    return model;
  }

  async get(name: string, version: string): Promise<Revisioned<ModelVersion>> {
    validateModelName(name);
    const number = parseModelVersion(version);
    const header = await this.deps.store.getModelHeader(name);
    const mv = await this.deps.store.getModelVersion(name, number);
    if (!header || !mv) throw modelVersionNotFound(name, version);
    return { value: mv, revision: header.revision };
  }

  /** MLflow sets the description even when the field is absent: it becomes null (and is omitted). */
  async update(name: string, version: string, description: string | undefined, ctx: WriteContext) {
    return this.change(name, version, ctx, async (tx, header, number, current, time) => {
      const next = description ?? null;
      await tx.updateModelVersion(header.id, number, { description: next, lastUpdatedTime: time });
      return recordChange(tx, header, ctx, {
        kind: 'model_version.updated',
        version: number,
        before: { description: current.description },
        after: { description: next },
        time,
      });
    });
  }

  async transitionStage(
    name: string,
    version: string,
    stage: string,
    archiveExistingVersions: boolean,
    ctx: WriteContext,
  ): Promise<Revisioned<ModelVersion>> {
    const target = canonicalStage(stage);
    if (archiveExistingVersions && !ACTIVE_STAGES.includes(target)) {
      throw MlflowError.invalidParameter(
        `Model version transition cannot archive existing model versions because '${stage}' is not an Active stage. Valid stages are ${ACTIVE_STAGES.join(', ')}`,
      );
    }
    return this.change(name, version, ctx, async (tx, header, number, current, time) => {
      const archived = archiveExistingVersions
        ? (await tx.versionsInStage(header.id, target)).filter((v) => v !== number)
        : [];
      for (const other of archived) {
        await tx.updateModelVersion(header.id, other, { stage: 'Archived', lastUpdatedTime: time });
      }
      await tx.updateModelVersion(header.id, number, { stage: target, lastUpdatedTime: time });
      return recordChange(tx, header, ctx, {
        kind: 'model_version.stage_transitioned',
        version: number,
        before: { current_stage: current.currentStage },
        after: { current_stage: target, archived_versions: archived.map(String) },
        time,
        patch: { lastUpdatedTime: time },
      });
    });
  }

  async delete(name: string, version: string, ctx: WriteContext): Promise<number> {
    const result = await this.change(name, version, ctx, async (tx, header, number, current, time) => {
      const aliases = await tx.deleteModelVersion(header.id, number);
      return recordChange(tx, header, ctx, {
        kind: 'model_version.deleted',
        version: number,
        before: { ...versionSnapshot(current), aliases },
        after: null,
        time,
        patch: { lastUpdatedTime: time },
      });
    });
    return result.revision;
  }

  /** MLflow returns the stored location: the source, or what a `models:/` source pointed to. */
  async getDownloadUri(name: string, version: string): Promise<Revisioned<string>> {
    const { value, revision } = await this.get(name, version);
    return { value: value.storageLocation ?? value.source ?? '', revision };
  }

  async search(input: RegistrySearch): Promise<Page<ModelVersion>> {
    const maxResults = input.maxResults ?? REGISTRY_LIMITS.defaultModelVersionsPerPage;
    checkMaxResults(maxResults, REGISTRY_LIMITS.maxModelVersionsPerPage);
    const { filter, excludePrompts } = promptScope(parseModelVersionFilter(input.filter));
    const orderBy = parseModelVersionOrderBy(input.orderBy);
    return searchPage(input.pageToken, (position) =>
      this.deps.store.searchModelVersions({
        filter,
        orderBy,
        excludePrompts,
        maxResults,
        offset: position.offset,
        watermark: position.watermark,
      }),
    );
  }

  /** Setting a tag to the value it has is no change: no new revision, no event. */
  async setTag(name: string, version: string, tag: Tag, ctx: WriteContext): Promise<number> {
    validateRegistryTag(tag);
    const result = await this.change(name, version, ctx, async (tx, header, number, _current, time) => {
      const previous = await tx.setModelVersionTag(header.id, number, tag);
      if (previous === tag.value) return header.revision;
      return recordChange(tx, header, ctx, {
        kind: 'model_version.tag_set',
        version: number,
        before: previous === undefined ? null : { key: tag.key, value: previous },
        after: { key: tag.key, value: tag.value },
        time,
      });
    });
    return result.revision;
  }

  /** As MLflow, deleting a tag the version does not have succeeds and changes nothing. */
  async deleteTag(name: string, version: string, key: string, ctx: WriteContext): Promise<number> {
    validateRegistryTagKey(key);
    const result = await this.change(name, version, ctx, async (tx, header, number, _current, time) => {
      const previous = await tx.deleteModelVersionTag(header.id, number, key);
      if (previous === undefined) return header.revision;
      return recordChange(tx, header, ctx, {
        kind: 'model_version.tag_deleted',
        version: number,
        before: { key, value: previous },
        after: null,
        time,
      });
    });
    return result.revision;
  }

  /**
   * The common frame of version writes: validate, lock the model, find the version (MLflow's
   * "Model Version … not found" also when the model is missing), run `work`, return the version as
   * it is afterwards (undefined once deleted) with the model's new revision.
   */
  private async change(
    name: string,
    version: string,
    ctx: WriteContext,
    work: (
      tx: RegistryWrites,
      header: Awaited<ReturnType<typeof lockForChange>>,
      number: number,
      current: ModelVersion,
      time: number,
    ) => Promise<number>,
  ): Promise<Revisioned<ModelVersion>> {
    validateModelName(name);
    const number = parseModelVersion(version);
    const time = this.deps.clock.now();
    return this.deps.store.writeModel(name, async (tx) => {
      const notFound = () => modelVersionNotFound(name, version);
      const header = await lockForChange(tx, name, ctx, notFound);
      const current = await tx.getModelVersion(name, number);
      if (!current) throw notFound();
      const revision = await work(tx, header, number, current, time);
      const after = await tx.getModelVersion(name, number);
      return { value: after ?? current, revision };
    });
  }
}

/**
 * A `models:/` source names another version: its location is copied once, at creation, so the new
 * version keeps pointing at the same artifacts whatever later happens to the alias or stage.
 */
async function resolveStorageLocation(tx: RegistryWrites, source: string): Promise<string> {
  const uri = parseModelsUri(source);
  if (uri === undefined) return source;
  const unable = (why: string) =>
    MlflowError.invalidParameter(`Unable to fetch model from model URI source artifact location '${source}'. ${why}`);
  if (uri.kind === 'logged-model') throw unable(`No logged model with id '${uri.modelId}' exists.`);
  let target: ModelVersion | undefined;
  if (uri.kind === 'version') target = await tx.getModelVersion(uri.name, uri.version);
  else if (uri.kind === 'alias') target = await tx.getModelVersionByAlias(uri.name, uri.alias);
  else {
    const model = await tx.getRegisteredModel(uri.name);
    if (!model) throw unable(registeredModelNotFound(uri.name).message);
    const candidates =
      uri.kind === 'latest'
        ? model.latestVersions
        : model.latestVersions.filter((mv) => mv.currentStage === canonicalStage(uri.stage));
    target = candidates.reduce<ModelVersion | undefined>((a, b) => (a && a.version > b.version ? a : b), undefined);
  }
  if (!target) throw unable('It names no existing model version.');
  return target.storageLocation ?? target.source ?? source;
}
