import { randomBytes } from 'node:crypto';
import type { LifecycleStage, Metric, Tag } from './entities.ts';
import { MlflowError } from './errors.ts';

/**
 * MLflow 3's logged models: a model logged to an experiment (and usually a run), with its own
 * artifact location, params, tags and metrics. Model versions of the registry may point at one.
 */
export const LOGGED_MODEL_STATUSES = ['PENDING', 'READY', 'UPLOAD_FAILED'] as const;
export type LoggedModelStatus = (typeof LOGGED_MODEL_STATUSES)[number];

/** A metric linked to a logged model: the run that logged it and the dataset it was computed on. */
export interface LoggedModelMetric extends Metric {
  readonly runId: string | null;
  readonly datasetName: string | null;
  readonly datasetDigest: string | null;
}

export interface LoggedModel {
  readonly modelId: string;
  readonly experimentId: string;
  readonly name: string;
  /** Fixed at creation: `<experiment artifact location>/models/<model id>/artifacts`. */
  readonly artifactLocation: string;
  readonly creationTime: number;
  readonly lastUpdatedTime: number;
  readonly status: LoggedModelStatus;
  readonly statusMessage: string | null;
  readonly modelType: string | null;
  readonly sourceRunId: string | null;
  readonly lifecycleStage: LifecycleStage;
  readonly tags: readonly Tag[];
  readonly params: readonly Tag[];
  readonly metrics: readonly LoggedModelMetric[];
}

/** `m-` and 32 lowercase hex characters, as MLflow's ids (uuid4 without dashes). */
export function newLoggedModelId(): string {
  const bytes = randomBytes(16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return `m-${bytes.toString('hex')}`;
}

/** The wire enum (`LOGGED_MODEL_READY`) or the bare name (`READY`) → our status. */
export function parseLoggedModelStatus(value: string): LoggedModelStatus {
  const bare = value.startsWith('LOGGED_MODEL_') ? value.slice('LOGGED_MODEL_'.length) : value;
  const found = LOGGED_MODEL_STATUSES.find((s) => s === bare);
  if (!found) {
    throw MlflowError.invalidParameter(
      `Invalid value '${value}' for parameter 'status'. Valid values are LOGGED_MODEL_PENDING, LOGGED_MODEL_READY, LOGGED_MODEL_UPLOAD_FAILED.`,
    );
  }
  return found;
}

const BAD_NAME_CHARACTERS = ['/', ':', '.', '%', '"', "'"] as const;

/** MLflow's `_validate_logged_model_name`: the name becomes part of URIs and paths. */
export function validateLoggedModelName(name: string): void {
  if (name === '' || BAD_NAME_CHARACTERS.some((c) => name.includes(c))) {
    throw MlflowError.invalidParameter(
      `Invalid model name (${JSON.stringify(name)}) provided. Model name must be a non-empty string and cannot contain the following characters: ('/', ':', '.', '%', '"', "'")`,
    );
  }
  if (name.length > 500) throw MlflowError.invalidParameter('Model name must be at most 500 characters long');
}

export const loggedModelNotFound = (modelId: string) =>
  MlflowError.notFound(`Logged model with ID '${modelId}' not found.`);
