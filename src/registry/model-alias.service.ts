import type { ModelVersion } from '../core/registry.ts';
import { MlflowError } from '../core/errors.ts';
import { parseModelVersion, validateAlias, validateModelName } from '../core/registry-validation.ts';
import type { RegistryServiceDeps } from './registered-model.service.ts';
import {
  lockForChange,
  modelVersionNotFound,
  recordChange,
  type Revisioned,
  type WriteContext,
} from './registry-changes.ts';

/**
 * Aliases: a name pointing at exactly one version of a model. Moving one happens under the lock of
 * the model row, so of two concurrent moves the later one wins whole and the log shows both.
 */
export class ModelAliasService {
  constructor(private readonly deps: RegistryServiceDeps) {}

  /** Pointing an alias where it already points is no change: no new revision, no event. */
  async set(name: string, alias: string, version: string, ctx: WriteContext): Promise<number> {
    validateModelName(name);
    validateAlias(alias);
    const number = parseModelVersion(version);
    const time = this.deps.clock.now();
    return this.deps.store.writeModel(name, async (tx) => {
      const notFound = () => modelVersionNotFound(name, version);
      const header = await lockForChange(tx, name, ctx, notFound);
      if (!(await tx.getModelVersion(name, number))) throw notFound();
      const previous = await tx.setAlias(header.id, alias, number);
      if (previous === number) return header.revision;
      return recordChange(tx, header, ctx, {
        kind: 'alias.set',
        version: number,
        before: previous === undefined ? null : { alias, version: String(previous) },
        after: { alias, version: String(number) },
        time,
      });
    });
  }

  /** As MLflow, deleting an alias the model does not have succeeds and changes nothing. */
  async delete(name: string, alias: string, ctx: WriteContext): Promise<number> {
    validateModelName(name);
    validateAlias(alias);
    const time = this.deps.clock.now();
    return this.deps.store.writeModel(name, async (tx) => {
      const header = await lockForChange(tx, name, ctx);
      const previous = await tx.deleteAlias(header.id, alias);
      if (previous === undefined) return header.revision;
      return recordChange(tx, header, ctx, {
        kind: 'alias.deleted',
        version: previous,
        before: { alias, version: String(previous) },
        after: null,
        time,
      });
    });
  }

  /** MLflow answers an unknown alias (or model) with 400 INVALID_PARAMETER_VALUE, not 404. */
  async get(name: string, alias: string): Promise<Revisioned<ModelVersion>> {
    validateModelName(name);
    validateAlias(alias);
    const header = await this.deps.store.getModelHeader(name);
    const mv = header ? await this.deps.store.getModelVersionByAlias(name, alias) : undefined;
    if (!header || !mv) throw MlflowError.invalidParameter(`Registered model alias ${alias} not found.`);
    return { value: mv, revision: header.revision };
  }
}
