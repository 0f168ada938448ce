import type { Tag } from '../core/entities.ts';
import type {
  JsonObject,
  ModelVersion,
  ModelVersionStage,
  RegisteredModel,
  RegistryEvent,
  RegistryEventKind,
} from '../core/registry.ts';
import type { Filter, OrderBy } from '../search/ast.ts';
import type { SearchPage } from './store.ts';
import type { WebhookOutbox } from './webhook-store.ts';

/**
 * The model-registry part of the metadata port. As with TrackingStore, the rules live in the
 * services (src/registry), which compose these operations inside `write()`: one transaction per
 * API call. Models are addressed by name from the outside and by their `id` (a surrogate key that
 * survives renames) once `lockModel` has returned their header.
 */
export interface RegistryStore extends RegistryReads {
  /**
   * Runs `work` in one database transaction: committed together, or not at all when it throws
   * (the error is rethrown). Writers are serialised per database on SQLite; on PostgreSQL and
   * MySQL `lockModel` takes a row lock that serialises the writers of one model.
   */
  write<T>(work: (tx: RegistryWrites) => Promise<T>): Promise<T>;
  /**
   * `write` for a change to one existing model (its versions, aliases, stages, tags): the
   * transaction first locks the model's row, so writers of one model take turns and each sees
   * what the previous one committed (READ COMMITTED suffices on PostgreSQL and MySQL, and a waiter
   * does not fail on a stale snapshot). `work` still calls `lockModel` to read the header.
   */
  writeModel<T>(name: string, work: (tx: RegistryWrites) => Promise<T>): Promise<T>;
}

/** What a write needs to know about the model it changes. */
export interface ModelHeader {
  readonly id: number;
  readonly name: string;
  readonly revision: number;
  /** The number the next created version gets: versions are never renumbered or reused. */
  readonly nextVersion: number;
  readonly description: string | null;
}

export interface RegisteredModelQuery {
  /** Attributes: `name`. Tags: any key. */
  readonly filter: Filter;
  /** Keys `name`, `last_updated_timestamp`; the store breaks ties by name ASC. */
  readonly orderBy: readonly OrderBy[];
  /** Leave out models tagged `mlflow.prompt.is_prompt` = 'true'. */
  readonly excludePrompts: boolean;
  readonly maxResults: number;
  readonly offset: number;
  /** Only models inserted at or before this sequence number are seen (see PagePosition). */
  readonly watermark?: number | undefined;
}

export interface ModelVersionQuery {
  /** Attributes: `name`, `run_id`, `source_path`, `version_number`. Tags: any key. */
  readonly filter: Filter;
  /** Keys `name`, `version_number`, `creation_timestamp`, `last_updated_timestamp`; ties by name ASC, version DESC. */
  readonly orderBy: readonly OrderBy[];
  /** Leave out every version of a model whose versions carry `mlflow.prompt.is_prompt` = 'true'. */
  readonly excludePrompts: boolean;
  readonly maxResults: number;
  readonly offset: number;
  readonly watermark?: number | undefined;
}

export interface RegistryEventQuery {
  /** The model's `id`; events outlive the model row. */
  readonly modelId: number;
  readonly maxResults: number;
  readonly offset: number;
  readonly watermark?: number | undefined;
}

export interface RegistryReads {
  /** With tags, aliases and the latest version of each stage (with their tags). */
  getRegisteredModel(name: string): Promise<RegisteredModel | undefined>;
  /** Unlocked; for reads that need only the id and revision. */
  getModelHeader(name: string): Promise<ModelHeader | undefined>;
  /** With tags and the aliases pointing at it. */
  getModelVersion(name: string, version: number): Promise<ModelVersion | undefined>;
  /** The version an alias points to, or undefined when the model or the alias does not exist. */
  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion | undefined>;
  /** One page in the query's order; `watermark` is the highest model id the first page saw. */
  searchRegisteredModels(query: RegisteredModelQuery): Promise<SearchPage<RegisteredModel>>;
  /** One page of versions with their tags and aliases; `watermark` is the highest insertion sequence seen. */
  searchModelVersions(query: ModelVersionQuery): Promise<SearchPage<ModelVersion>>;
  /** A model's events in the order they were committed (ascending id). */
  listRegistryEvents(query: RegistryEventQuery): Promise<SearchPage<RegistryEvent>>;
  /** The id of the most recently deleted model of this name, whose history is still kept. */
  findDeletedModelId(name: string): Promise<number | undefined>;
}

export interface NewRegisteredModel {
  readonly name: string;
  /** modelNameKey(name): unique, so names that decode to the same text cannot both exist. */
  readonly nameKey: string;
  readonly description: string | null;
  readonly tags: readonly Tag[];
  readonly time: number;
}

export interface NewModelVersion {
  readonly version: number;
  readonly source: string;
  readonly storageLocation: string;
  readonly runId: string | null;
  readonly runLink: string | null;
  readonly description: string | null;
  readonly modelId: string | null;
  readonly tags: readonly Tag[];
  readonly time: number;
}

export interface RegisteredModelPatch {
  readonly revision: number;
  readonly name?: string | undefined;
  readonly nameKey?: string | undefined;
  readonly description?: string | null | undefined;
  readonly lastUpdatedTime?: number | undefined;
  readonly nextVersion?: number | undefined;
}

export interface NewRegistryEvent {
  readonly modelId: number;
  readonly modelName: string;
  readonly version: number | null;
  readonly kind: RegistryEventKind;
  readonly before: JsonObject | null;
  readonly after: JsonObject | null;
  readonly actor: string | null;
  readonly revision: number;
  readonly time: number;
}

export interface RegistryWrites extends RegistryReads, WebhookOutbox {
  /**
   * Reads the model's header and holds a lock on its row until the transaction ends, so that
   * version allocation, promotions, renames and deletes of one model run one after the other.
   */
  lockModel(name: string): Promise<ModelHeader | undefined>;
  /** The name of a model whose name or name key equals `nameKey`, other than model `exceptId`. */
  findNameClash(nameKey: string, exceptId?: number): Promise<string | undefined>;
  /** Throws RESOURCE_ALREADY_EXISTS when the name or its key is taken. Revision 1, next version 1. */
  insertRegisteredModel(model: NewRegisteredModel): Promise<ModelHeader>;
  /** Sets the revision and whatever else the patch names. */
  updateRegisteredModel(id: number, patch: RegisteredModelPatch): Promise<void>;
  /** Removes the model with its tags, versions, version tags and aliases; events stay. */
  deleteRegisteredModel(id: number): Promise<void>;
  /** Returns the previous value, or undefined when the tag is new. */
  setRegisteredModelTag(id: number, tag: Tag): Promise<string | undefined>;
  /** Returns the deleted value, or undefined when there was no such tag. */
  deleteRegisteredModelTag(id: number, key: string): Promise<string | undefined>;

  /**
   * Inserts version `version.version` (stage None, status READY) with its tags. The caller takes the
   * number from the locked header's `nextVersion` and advances the counter in the same transaction.
   */
  insertModelVersion(id: number, version: NewModelVersion): Promise<void>;
  /** Sets the last update time and whatever else the patch names. */
  updateModelVersion(
    id: number,
    version: number,
    patch: {
      readonly description?: string | null | undefined;
      readonly stage?: ModelVersionStage | undefined;
      readonly lastUpdatedTime: number;
    },
  ): Promise<void>;
  /** Sets the last update time of every version of the model (a rename touches them all). */
  touchModelVersions(id: number, time: number): Promise<void>;
  /** The versions currently in `stage`, ascending. */
  versionsInStage(id: number, stage: ModelVersionStage): Promise<number[]>;
  /** Removes the version, its tags and the aliases pointing at it; returns those aliases. */
  deleteModelVersion(id: number, version: number): Promise<string[]>;
  /** Returns the previous value, or undefined when the tag is new. */
  setModelVersionTag(id: number, version: number, tag: Tag): Promise<string | undefined>;
  /** Returns the deleted value, or undefined when there was no such tag. */
  deleteModelVersionTag(id: number, version: number, key: string): Promise<string | undefined>;
  /** Points the alias at `version`; returns the version it pointed to before, if any. */
  setAlias(id: number, alias: string, version: number): Promise<number | undefined>;
  /** Returns the version the alias pointed to, or undefined when there was no such alias. */
  deleteAlias(id: number, alias: string): Promise<number | undefined>;
  /** Appends to the log; the database assigns the event's id, which orders a model's events. */
  appendRegistryEvent(event: NewRegistryEvent): Promise<void>;
}
