import type { JsonObject } from './registry.ts';

/**
 * Webhooks (MLflow 3.3+): subscriptions of an HTTP endpoint to registry events. Entities and
 * actions are MLflow's; on the wire they are the proto enum names (`MODEL_VERSION`, `CREATED`),
 * in a delivered payload their lowercase values (`model_version`, `created`), as MLflow sends them.
 */
export const WEBHOOK_ENTITIES = [
  'REGISTERED_MODEL',
  'MODEL_VERSION',
  'MODEL_VERSION_TAG',
  'MODEL_VERSION_ALIAS',
  'PROMPT',
  'PROMPT_VERSION',
  'PROMPT_TAG',
  'PROMPT_VERSION_TAG',
  'PROMPT_ALIAS',
] as const;
export type WebhookEntity = (typeof WEBHOOK_ENTITIES)[number];

export const WEBHOOK_ACTIONS = ['CREATED', 'UPDATED', 'DELETED', 'SET'] as const;
export type WebhookAction = (typeof WEBHOOK_ACTIONS)[number];

export const WEBHOOK_STATUSES = ['ACTIVE', 'DISABLED'] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

/** The subscriptions MLflow accepts (mlflow/entities/webhook.py, VALID_ENTITY_ACTIONS). */
export const VALID_ENTITY_ACTIONS: Readonly<Record<WebhookEntity, readonly WebhookAction[]>> = {
  REGISTERED_MODEL: ['CREATED'],
  MODEL_VERSION: ['CREATED'],
  MODEL_VERSION_TAG: ['SET', 'DELETED'],
  MODEL_VERSION_ALIAS: ['CREATED', 'DELETED'],
  PROMPT: ['CREATED'],
  PROMPT_VERSION: ['CREATED'],
  PROMPT_TAG: ['SET', 'DELETED'],
  PROMPT_VERSION_TAG: ['SET', 'DELETED'],
  PROMPT_ALIAS: ['CREATED', 'DELETED'],
};

export interface WebhookEvent {
  readonly entity: WebhookEntity;
  readonly action: WebhookAction;
}

export interface Webhook {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly url: string;
  readonly events: readonly WebhookEvent[];
  readonly status: WebhookStatus;
  /** The secret encrypted at rest (never the plain text); null when the webhook has none. */
  readonly encryptedSecret: string | null;
  readonly creationTime: number;
  readonly lastUpdatedTime: number;
}

export const DELIVERY_STATES = ['PENDING', 'DELIVERED', 'FAILED'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** One queued notification of one webhook about one registry change. */
export interface WebhookDelivery {
  /** Stable across retries: sent as X-MLflow-Delivery-Id so receivers can drop duplicates. */
  readonly deliveryId: string;
  readonly webhookId: string;
  readonly event: WebhookEvent;
  /** MLflow's `data` object for the event. */
  readonly data: JsonObject;
  readonly eventTime: number;
  readonly state: DeliveryState;
  readonly attempts: number;
}

export interface DeliveryAttempt {
  readonly attempt: number;
  readonly time: number;
  /** HTTP status of the answer; null when none came (refused, timed out, connection failed). */
  readonly responseStatus: number | null;
  readonly error: string | null;
  readonly durationMs: number;
}

export interface DeliveryWithAttempts extends WebhookDelivery {
  readonly attemptLog: readonly DeliveryAttempt[];
}
