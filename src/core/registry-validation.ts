import type { Tag } from './entities.ts';
import { MlflowError } from './errors.ts';
import { MODEL_VERSION_STAGES, type ModelVersionStage } from './registry.ts';
import { checkLength, validateKeyName } from './validation.ts';

/** MLflow's registry limits (mlflow/utils/validation.py) and the column sizes of its SQL schema. */
export const REGISTRY_LIMITS = {
  maxModelNameLength: 256,
  maxTagKeyLength: 250,
  maxTagValueLength: 5000,
  maxAliasLength: 255,
  maxRunIdLength: 256,
  maxRegisteredModelsPerPage: 1000,
  defaultRegisteredModelsPerPage: 100,
  maxModelVersionsPerPage: 200_000,
  defaultModelVersionsPerPage: 200_000,
} as const;

/**
 * Model names go unchecked in MLflow beyond being non-empty; the length limit is its column size,
 * which PostgreSQL and MySQL would otherwise enforce with a server error.
 */
export function validateModelName(name: string, field = 'name'): void {
  if (name === '') throw MlflowError.missingParameter(field);
  if (name.length > REGISTRY_LIMITS.maxModelNameLength) {
    throw MlflowError.invalidParameter(
      `Registered model name '${name.slice(0, 250)}' had length ${name.length}, which exceeded length limit of ${REGISTRY_LIMITS.maxModelNameLength}`,
    );
  }
}

const PERCENT_RUN = /(?:%[0-9A-Fa-f]{2})+/g;

/**
 * The name with every percent-escape decoded, repeatedly, until nothing changes (as MLflow decodes
 * sources). Two names with the same key would reach the same URL once a client or proxy decodes
 * it, so only one of them may exist: `my%20model` and `my model` cannot both be registered.
 * Malformed escapes stay as written; invalid UTF-8 decodes to U+FFFD, as Python's unquote does.
 */
export function modelNameKey(name: string): string {
  return decodeUntilStable(name, false);
}

/** One pass of Python's unquote (or unquote_plus, which also reads `+` as a space). */
export function percentDecode(text: string, plus: boolean): string {
  const spaced = plus ? text.replaceAll('+', ' ') : text;
  return spaced.replace(PERCENT_RUN, (run) => Buffer.from(run.replaceAll('%', ''), 'hex').toString('utf8'));
}

/** Decodes until a pass changes nothing; each pass that changes something shortens the text, so this ends. */
export function decodeUntilStable(text: string, plus: boolean): string {
  let current = text;
  for (;;) {
    const next = percentDecode(current, plus);
    if (next === current) return current;
    current = next;
  }
}

/**
 * MLflow's `_validate_model_version` parses with Python's int(): surrounding blanks, a sign and
 * digit-group underscores are allowed. Version numbers start at 1, so anything else cannot name one.
 */
export function parseModelVersion(version: string, field = 'version'): number {
  const text = version.trim();
  if (!/^[+-]?\d+(?:_\d+)*$/.test(text)) {
    throw MlflowError.invalidParameter(`Parameter '${field}' must be an integer, got '${version}'.`);
  }
  const parsed = Number(text.replaceAll('_', ''));
  if (!Number.isSafeInteger(parsed) || parsed < 1) {
    throw MlflowError.invalidParameter(`Parameter '${field}' must be a positive integer, got '${version}'.`);
  }
  return parsed;
}

/** Python's `\w` is Unicode-aware: letters and numbers of any script, and the underscore. */
const ALIAS = /^[\p{L}\p{N}_-]*$/u;
const VERSION_ALIAS = /^[vV]\p{Nd}+$/u;

/** MLflow's `_validate_model_alias_name`, in its order of checks. */
export function validateAlias(alias: string): void {
  if (alias === '') throw MlflowError.invalidParameter('Registered model alias name cannot be empty.');
  if (!ALIAS.test(alias)) {
    throw MlflowError.invalidParameter(
      `Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`,
    );
  }
  checkLength('Registered model alias name', REGISTRY_LIMITS.maxAliasLength, alias);
  if (alias.toLowerCase() === 'latest') {
    throw MlflowError.invalidParameter("'latest' alias name (case insensitive) is reserved.");
  }
  if (VERSION_ALIAS.test(alias)) throw MlflowError.invalidParameter(`Version alias name '${alias}' is reserved.`);
}

/** Tag rules shared by registered models and model versions (`_validate_*_tag`). */
export function validateRegistryTag(tag: Tag): void {
  validateKeyName('tag', tag.key);
  checkLength('Tag key', REGISTRY_LIMITS.maxTagKeyLength, tag.key);
  checkLength('Tag value', REGISTRY_LIMITS.maxTagValueLength, tag.value);
}

/** Tag keys named by a delete: MLflow checks only their form, not their length. */
export function validateRegistryTagKey(key: string): void {
  validateKeyName('tag', key);
}

/** MLflow's get_canonical_stage: any letter case in, the canonical spelling out. */
export function canonicalStage(stage: string): ModelVersionStage {
  const found = MODEL_VERSION_STAGES.find((s) => s.toLowerCase() === stage.toLowerCase());
  if (found === undefined) {
    throw MlflowError.invalidParameter(
      `Invalid Model Version stage: ${stage}. Value must be one of ${MODEL_VERSION_STAGES.join(', ')}.`,
    );
  }
  return found;
}
