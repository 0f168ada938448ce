import type { ModelVersion, RegisteredModel, RegistryEvent } from '../core/registry.ts';
import { compact, type Json, toWireTags } from './mappers.ts';

/**
 * Registry entities → MLflow's wire JSON. The presence rules follow MLflow's entity `to_proto`:
 * a model's description and last update time only when truthy; a version's description, run_id and
 * run_link whenever they are not null (so "" is sent); versions as strings; `model_id` when the
 * version was registered from a logged model (MLflow 3); the storage location never.
 */

export function toWireModelVersion(mv: ModelVersion, options: { withAliases: boolean }): Json {
  return compact({
    name: mv.name,
    version: String(mv.version),
    creation_timestamp: mv.creationTimestamp,
    last_updated_timestamp: mv.lastUpdatedTimestamp,
    user_id: mv.userId,
    current_stage: mv.currentStage,
    description: mv.description,
    source: mv.source,
    run_id: mv.runId,
    status: mv.status,
    status_message: mv.statusMessage || undefined,
    tags: toWireTags(mv.tags),
    run_link: mv.runLink,
    aliases: options.withAliases ? [...mv.aliases] : [],
    model_id: mv.modelId || undefined,
  });
}

/** As MLflow: the latest versions inside a model carry no aliases (the model lists them). */
export function toWireRegisteredModel(model: RegisteredModel): Json {
  return compact({
    name: model.name,
    creation_timestamp: model.creationTimestamp,
    last_updated_timestamp: model.lastUpdatedTimestamp || undefined,
    description: model.description || undefined,
    latest_versions: model.latestVersions.map((mv) => toWireModelVersion(mv, { withAliases: false })),
    tags: toWireTags(model.tags),
    aliases: model.aliases.map((a) => ({ alias: a.alias, version: String(a.version) })),
  });
}

/** Plumb's event log entry: ids and versions as strings, like MLflow's other identifiers. */
export function toWireRegistryEvent(event: RegistryEvent): Json {
  return compact({
    id: String(event.id),
    name: event.modelName,
    version: event.version === null ? undefined : String(event.version),
    kind: event.kind,
    revision: event.revision,
    actor: event.actor,
    time: event.time,
    before: event.before,
    after: event.after,
  });
}
