import { z } from 'zod';
import { wire } from '../wire.ts';

/**
 * Request messages of MLflow's model registry (model_registry.proto). Every field is optional
 * here: the routes apply MLflow's per-handler `required()` rules so errors name the field as MLflow
 * does. `expected_revision` is Plumb's: the model revision the caller last saw (like If-Match).
 */
const s = wire.string;
const tags = () => wire.list(wire.tag());
const revision = { expected_revision: wire.int64().optional() };

export const ModelName = z.object({ name: s().optional(), ...revision });
export const CreateRegisteredModel = z.object({
  name: s().optional(),
  tags: tags(),
  description: s().optional(),
  ...revision,
});
export const RenameRegisteredModel = z.object({ name: s().optional(), new_name: s().optional(), ...revision });
export const UpdateRegisteredModel = z.object({ name: s().optional(), description: s().optional(), ...revision });
export const SearchRegistry = z.object({
  filter: s().optional(),
  max_results: wire.int64().optional(),
  order_by: wire.list(s()),
  page_token: s().optional(),
});
export const GetLatestVersions = z.object({ name: s().optional(), stages: wire.list(s()) });
export const SetRegisteredModelTag = z.object({
  name: s().optional(),
  key: s().optional(),
  value: s().optional(),
  ...revision,
});
export const DeleteRegisteredModelTag = z.object({ name: s().optional(), key: s().optional(), ...revision });
export const SetAlias = z.object({ name: s().optional(), alias: s().optional(), version: s().optional(), ...revision });
export const AliasRef = z.object({ name: s().optional(), alias: s().optional(), ...revision });

export const CreateModelVersion = z.object({
  name: s().optional(),
  source: s().optional(),
  run_id: s().optional(),
  tags: tags(),
  run_link: s().optional(),
  description: s().optional(),
  model_id: s().optional(),
  ...revision,
});
export const VersionRef = z.object({ name: s().optional(), version: s().optional(), ...revision });
export const UpdateModelVersion = z.object({
  name: s().optional(),
  version: s().optional(),
  description: s().optional(),
  ...revision,
});
export const TransitionStage = z.object({
  name: s().optional(),
  version: s().optional(),
  stage: s().optional(),
  archive_existing_versions: wire.bool().optional(),
  ...revision,
});
export const SetModelVersionTag = z.object({
  name: s().optional(),
  version: s().optional(),
  key: s().optional(),
  value: s().optional(),
  ...revision,
});
export const DeleteModelVersionTag = z.object({
  name: s().optional(),
  version: s().optional(),
  key: s().optional(),
  ...revision,
});

export const ListRegistryEvents = z.object({
  name: s().optional(),
  page_token: s().optional(),
  max_results: wire.int64().optional(),
});
