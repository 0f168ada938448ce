import type { JsonObject } from '../core/registry.ts';
import type {
  DeliveryAttempt,
  DeliveryWithAttempts,
  Webhook,
  WebhookDelivery,
  WebhookEvent,
  WebhookStatus,
} from '../core/webhooks.ts';
import type { SearchPage } from './store.ts';

/**
 * The webhook part of the metadata port: subscriptions, and the durable outbox of deliveries.
 * Deliveries are enqueued inside the registry transaction that makes the change (see
 * WebhookOutbox), so a committed change always has its deliveries and a rolled-back one never does.
 */
export interface WebhookStore {
  /** Throws RESOURCE_ALREADY_EXISTS on a duplicate id. */
  createWebhook(webhook: Webhook): Promise<void>;
  getWebhook(id: string): Promise<Webhook | undefined>;
  /** Ordered by creation (insertion sequence); `watermark` as for other searches. */
  listWebhooks(page: {
    maxResults: number;
    offset: number;
    watermark?: number | undefined;
  }): Promise<SearchPage<Webhook>>;
  /** Replaces the fields the patch names (events as a whole). Returns false when there is no such webhook. */
  updateWebhook(id: string, patch: WebhookPatch): Promise<boolean>;
  /** Removes the webhook with its subscriptions, deliveries and attempts. Returns false when absent. */
  deleteWebhook(id: string): Promise<boolean>;

  /**
   * Claims up to `limit` due deliveries of ACTIVE webhooks for `leaseMs`, oldest first. "Due" and
   * the lease are measured on the DATABASE's clock, and the claim is a conditional update, so of
   * any number of workers (replicas) exactly one gets each delivery. A delivery whose lease ran
   * out (its worker died) becomes claimable again.
   */
  claimDueDeliveries(claimToken: string, limit: number, leaseMs: number): Promise<ClaimedDelivery[]>;
  /**
   * Records one attempt and settles the delivery: DELIVERED, FAILED, or PENDING again after
   * `retryAfterMs` (database clock). Fenced by the claim token: returns false, recording nothing,
   * when the lease was lost to another worker.
   */
  recordAttempt(
    claimToken: string,
    deliveryId: string,
    attempt: DeliveryAttempt,
    outcome: { state: 'DELIVERED' | 'FAILED' } | { state: 'PENDING'; retryAfterMs: number },
  ): Promise<boolean>;
  /** A webhook's deliveries, newest first, each with its attempts in order. */
  listDeliveries(
    webhookId: string,
    page: { maxResults: number; offset: number; watermark?: number | undefined },
  ): Promise<SearchPage<DeliveryWithAttempts>>;
}

export interface WebhookPatch {
  readonly name?: string | undefined;
  readonly description?: string | null | undefined;
  readonly url?: string | undefined;
  readonly events?: readonly WebhookEvent[] | undefined;
  readonly status?: WebhookStatus | undefined;
  /** null removes the secret. */
  readonly encryptedSecret?: string | null | undefined;
  readonly lastUpdatedTime: number;
}

/** A delivery with what sending it needs. */
export interface ClaimedDelivery extends WebhookDelivery {
  readonly url: string;
  readonly encryptedSecret: string | null;
}

/** Enqueuing, as a write inside a registry transaction. */
export interface WebhookOutbox {
  /**
   * Adds one PENDING delivery for every ACTIVE webhook subscribed to `event`; returns how many.
   * Runs in the caller's transaction.
   */
  enqueueWebhookDeliveries(event: WebhookEvent, data: JsonObject, time: number): Promise<number>;
}
