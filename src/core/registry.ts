import type { Tag } from './entities.ts';

/** Domain entities of the model registry, camelCase; the wire shapes live in api/. */

/** MLflow's stages, in the order its messages list them. Input is matched case-insensitively. */
export const MODEL_VERSION_STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type ModelVersionStage = (typeof MODEL_VERSION_STAGES)[number];

/** Stages `archive_existing_versions` may clear, and the default of get-latest-versions in old clients. */
export const ACTIVE_STAGES: readonly ModelVersionStage[] = ['Staging', 'Production'];

/** Registration is synchronous here, so every version is READY from its creation. */
export const MODEL_VERSION_STATUSES = ['PENDING_REGISTRATION', 'FAILED_REGISTRATION', 'READY'] as const;
export type ModelVersionStatus = (typeof MODEL_VERSION_STATUSES)[number];

/** Registered models (and their versions) carrying this tag = 'true' are prompts, hidden from searches. */
export const IS_PROMPT_TAG = 'mlflow.prompt.is_prompt';

export interface ModelVersion {
  readonly name: string;
  readonly version: number;
  readonly creationTimestamp: number;
  readonly lastUpdatedTimestamp: number;
  /** null when never set; MLflow tells "" (shown) from null (omitted). */
  readonly description: string | null;
  readonly userId: string | null;
  readonly currentStage: ModelVersionStage;
  readonly source: string | null;
  /** Where the artifacts are: `source`, or what a `models:/` source pointed to at creation. */
  readonly storageLocation: string | null;
  readonly runId: string | null;
  readonly runLink: string | null;
  readonly status: ModelVersionStatus;
  readonly statusMessage: string | null;
  readonly tags: readonly Tag[];
  /** Aliases pointing at this version, ordered by name. */
  readonly aliases: readonly string[];
  /** The logged model (MLflow 3) this version was registered from, if any. */
  readonly modelId: string | null;
}

export interface RegisteredModelAlias {
  readonly alias: string;
  readonly version: number;
}

export interface RegisteredModel {
  readonly name: string;
  readonly creationTimestamp: number;
  readonly lastUpdatedTimestamp: number;
  readonly description: string | null;
  /** The highest version in each stage, stages in the order of their lowest version (as MLflow lists them). */
  readonly latestVersions: readonly ModelVersion[];
  readonly tags: readonly Tag[];
  readonly aliases: readonly RegisteredModelAlias[];
  /** Incremented by every change to the model or its versions: the ETag and If-Match value. */
  readonly revision: number;
}

export const REGISTRY_EVENT_KINDS = [
  'registered_model.created',
  'registered_model.renamed',
  'registered_model.updated',
  'registered_model.deleted',
  'registered_model.tag_set',
  'registered_model.tag_deleted',
  'model_version.created',
  'model_version.updated',
  'model_version.stage_transitioned',
  'model_version.deleted',
  'model_version.tag_set',
  'model_version.tag_deleted',
  'alias.set',
  'alias.deleted',
] as const;
export type RegistryEventKind = (typeof REGISTRY_EVENT_KINDS)[number];

export type JsonObject = { readonly [key: string]: unknown };

/** One entry of a model's history: the change one API call made, as the database ordered it. */
export interface RegistryEvent {
  /** Database-assigned, increasing in commit order for one model. */
  readonly id: number;
  readonly modelName: string;
  readonly version: number | null;
  readonly kind: RegistryEventKind;
  readonly before: JsonObject | null;
  readonly after: JsonObject | null;
  readonly actor: string | null;
  /** The model's revision after this change: 1 for the creation, then +1 per event. */
  readonly revision: number;
  /** Wall-clock time, for people to read; nothing is decided by it. */
  readonly time: number;
}
