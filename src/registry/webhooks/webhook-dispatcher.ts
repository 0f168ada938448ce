import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import type { DeliveryAttempt } from '../../core/webhooks.ts';
import type { ClaimedDelivery, WebhookStore } from '../../store/webhook-store.ts';
import type { SecretCipher } from './secret-cipher.ts';
import { buildWebhookRequest, type WebhookTransport, WebhookTransportError } from './webhook-transport.ts';

export interface DispatcherSettings {
  /** First attempt included. */
  readonly maxAttempts: number;
  /** Wait before retry n is base · 2^(n-1), capped at retryMaxMs. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** Deliveries claimed (and sent concurrently) per round. */
  readonly batchSize: number;
  /** How long a claim holds; longer than a request can take, so a live worker never loses one. */
  readonly leaseMs: number;
  readonly pollIntervalMs: number;
}

export interface DispatcherLogger {
  warn(object: Record<string, unknown>, message: string): void;
}

// MLflow retries these (urllib3 status_forcelist); other answers are final.
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/**
 * Sends the outbox: claims due deliveries (each by exactly one worker, on any replica), posts
 * them, records every attempt, and reschedules retries with exponential backoff. Runs in the
 * server process; nothing is held in memory between rounds, so a restart loses nothing.
 */
export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    private readonly deps: {
      readonly store: WebhookStore;
      readonly transport: WebhookTransport;
      readonly cipher: SecretCipher | undefined;
      readonly clock: Clock;
      readonly logger: DispatcherLogger;
      readonly settings: DispatcherSettings;
    },
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops polling and waits for the round in flight; unsent deliveries stay in the outbox. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .catch((error: unknown) => {
          this.deps.logger.warn({ err: error }, 'webhook delivery round failed');
          return 0;
        })
        .then((sent) => this.schedule(sent > 0 ? 0 : this.deps.settings.pollIntervalMs));
    }, delayMs);
    this.timer.unref();
  }

  /** One round: claim, send, record. Returns how many deliveries it handled. */
  async runOnce(): Promise<number> {
    const { settings } = this.deps;
    // One token per round (it fits claim_token's 64 characters): a lease is this round's alone.
    const token = randomUUID();
    const claimed = await this.deps.store.claimDueDeliveries(token, settings.batchSize, settings.leaseMs);
    await Promise.all(claimed.map((delivery) => this.send(token, delivery)));
    return claimed.length;
  }

  private async send(token: string, delivery: ClaimedDelivery): Promise<void> {
    const { settings, clock } = this.deps;
    const attemptNumber = delivery.attempts + 1;
    const started = clock.now();
    let status: number | null = null;
    let error: string | null = null;
    let retryable = false;
    try {
      const request = buildWebhookRequest({
        deliveryId: delivery.deliveryId,
        entity: delivery.event.entity,
        action: delivery.event.action,
        data: delivery.data,
        eventTime: delivery.eventTime,
        sendTime: started,
        secret: this.secretOf(delivery),
      });
      status = (await this.deps.transport.post({ url: delivery.url, ...request })).status;
      if (status < 200 || status >= 300) {
        error = status >= 300 && status < 400 ? `HTTP ${status}: redirects are not followed` : `HTTP ${status}`;
        retryable = RETRYABLE_STATUS.has(status);
      }
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
      retryable = caught instanceof WebhookTransportError && !caught.refused;
    }
    const attempt: DeliveryAttempt = {
      attempt: attemptNumber,
      time: started,
      responseStatus: status,
      error,
      durationMs: Math.max(0, clock.now() - started),
    };
    const outcome =
      error === null
        ? ({ state: 'DELIVERED' } as const)
        : retryable && attemptNumber < settings.maxAttempts
          ? ({
              state: 'PENDING',
              retryAfterMs: Math.min(settings.retryMaxMs, settings.retryBaseMs * 2 ** (attemptNumber - 1)),
            } as const)
          : ({ state: 'FAILED' } as const);
    const recorded = await this.deps.store.recordAttempt(token, delivery.deliveryId, attempt, outcome);
    if (!recorded) {
      this.deps.logger.warn({ deliveryId: delivery.deliveryId }, 'webhook delivery lease lost; attempt not recorded');
    }
  }

  private secretOf(delivery: ClaimedDelivery): string | null {
    if (delivery.encryptedSecret === null) return null;
    if (!this.deps.cipher) {
      throw new WebhookTransportError('the webhook has a secret but the server has no encryption key', true);
    }
    try {
      return this.deps.cipher.decrypt(delivery.encryptedSecret, delivery.webhookId);
    } catch (error) {
      throw new WebhookTransportError(error instanceof Error ? error.message : 'secret does not decrypt', true);
    }
  }
}
