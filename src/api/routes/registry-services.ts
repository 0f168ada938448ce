import type { ModelAliasService } from '../../registry/model-alias.service.ts';
import type { ModelVersionService } from '../../registry/model-version.service.ts';
import type { RegisteredModelService } from '../../registry/registered-model.service.ts';
import type { RegistryEventService } from '../../registry/registry-events.ts';

export interface RegistryServices {
  readonly models: RegisteredModelService;
  readonly versions: ModelVersionService;
  readonly aliases: ModelAliasService;
  readonly events: RegistryEventService;
}
