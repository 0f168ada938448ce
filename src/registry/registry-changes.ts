import { MlflowError } from '../core/errors.ts';
import type { JsonObject, RegistryEventKind } from '../core/registry.ts';
import type { ModelHeader, RegisteredModelPatch, RegistryWrites } from '../store/registry-store.ts';

/**
 * How every registry write runs (invariants 2 and 3): lock the model row, compare the caller's
 * expected revision with the database's, make the change, then bump the revision and append the
 * event, all in the caller's transaction. Conflicts are decided by the revision the database
 * holds, never by timestamps.
 */
export interface WriteContext {
  /** Who asked, as the API adapter identified them; recorded in the event log. */
  readonly actor?: string | undefined;
  /**
   * The revision the caller last saw (If-Match / expected_revision). When the model has moved on,
   * the write fails with RESOURCE_CONFLICT and changes nothing. Undefined: MLflow's behaviour, last
   * writer wins.
   */
  readonly expectedRevision?: number | undefined;
}

/** A value and the model revision it was read at or written as (the ETag). */
export interface Revisioned<T> {
  readonly value: T;
  readonly revision: number;
}

export const registeredModelNotFound = (name: string) =>
  MlflowError.notFound(`Registered Model with name=${name} not found`);

export const modelVersionNotFound = (name: string, version: number | string) =>
  MlflowError.notFound(`Model Version (name=${name}, version=${version}) not found`);

export function checkRevision(header: ModelHeader, expected: number | undefined): void {
  if (expected === undefined || expected === header.revision) return;
  throw new MlflowError(
    'RESOURCE_CONFLICT',
    `Registered model '${header.name}' is at revision ${header.revision}, not the expected revision ${expected}: it was changed since it was read. Read it again and retry.`,
  );
}

/** Locks the model (serialising its writers) and checks the expected revision under the lock. */
export async function lockForChange(
  tx: RegistryWrites,
  name: string,
  ctx: WriteContext,
  notFound: () => MlflowError = () => registeredModelNotFound(name),
): Promise<ModelHeader> {
  const header = await tx.lockModel(name);
  if (!header) throw notFound();
  checkRevision(header, ctx.expectedRevision);
  return header;
}

export interface Change {
  readonly kind: RegistryEventKind;
  readonly version?: number | undefined;
  readonly before: JsonObject | null;
  readonly after: JsonObject | null;
  readonly time: number;
  /** Further columns of the model row to set together with the new revision. */
  readonly patch?: Omit<RegisteredModelPatch, 'revision'> | undefined;
}

/** Bumps the locked model's revision and appends the event; returns the new revision. */
export async function recordChange(
  tx: RegistryWrites,
  header: ModelHeader,
  ctx: WriteContext,
  change: Change,
): Promise<number> {
  const revision = header.revision + 1;
  await tx.updateRegisteredModel(header.id, { ...change.patch, revision });
  await tx.appendRegistryEvent({
    modelId: header.id,
    modelName: change.patch?.name ?? header.name,
    version: change.version ?? null,
    kind: change.kind,
    before: change.before,
    after: change.after,
    actor: ctx.actor ?? null,
    revision,
    time: change.time,
  });
  return revision;
}
