import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import type { Page } from '../../core/entities.ts';
import { MlflowError } from '../../core/errors.ts';
import {
  type DeliveryWithAttempts,
  VALID_ENTITY_ACTIONS,
  WEBHOOK_ACTIONS,
  WEBHOOK_ENTITIES,
  type Webhook,
  type WebhookEvent,
  type WebhookStatus,
} from '../../core/webhooks.ts';
import type { WebhookStore } from '../../store/webhook-store.ts';
import { searchPage, validateMaxResults } from '../../tracking/paging.ts';
import type { SecretCipher } from './secret-cipher.ts';
import { examplePayload } from './webhook-events.ts';
import { buildWebhookRequest, type WebhookTransport, WebhookTransportError } from './webhook-transport.ts';

export interface WebhookInput {
  readonly name?: string | undefined;
  readonly description?: string | undefined;
  readonly url?: string | undefined;
  readonly events?: readonly { entity?: string | undefined; action?: string | undefined }[] | undefined;
  readonly secret?: string | undefined;
  readonly status?: string | undefined;
}

/** What `test` reports. The target's answer body is never part of it (see docs/webhooks.md). */
export interface WebhookTestResult {
  readonly success: boolean;
  readonly responseStatus?: number | undefined;
  readonly errorMessage?: string | undefined;
}

export interface WebhookServiceDeps {
  readonly store: WebhookStore;
  readonly transport: WebhookTransport;
  /** Undefined when the server has no encryption key: webhooks without a secret only. */
  readonly cipher: SecretCipher | undefined;
  readonly clock: Clock;
}

const MAX_NAME_LENGTH = 256;
const MAX_SECRET_LENGTH = 1024;
export const NO_KEY_MESSAGE =
  'Webhook secrets are encrypted at rest and this server has no encryption key: set PLUMB_WEBHOOK_SECRET_KEY (or MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY), or create the webhook without a secret.';

export const webhookNotFound = (id: string) => MlflowError.notFound(`Webhook with ID ${id} not found.`);

/** MLflow's WebhookEvent check: a known entity, a known action, and a pair MLflow accepts. */
export function parseWebhookEvent(raw: { entity?: string | undefined; action?: string | undefined }): WebhookEvent {
  const entity = WEBHOOK_ENTITIES.find((e) => e === raw.entity?.toUpperCase());
  const action = WEBHOOK_ACTIONS.find((a) => a === raw.action?.toUpperCase());
  if (!entity) throw MlflowError.invalidParameter(`Invalid webhook event entity '${raw.entity ?? ''}'.`);
  if (!action) throw MlflowError.invalidParameter(`Invalid webhook event action '${raw.action ?? ''}'.`);
  const valid = VALID_ENTITY_ACTIONS[entity];
  if (!valid.includes(action)) {
    const names = valid.map((a) => `'${a.toLowerCase()}'`).sort();
    throw MlflowError.invalidParameter(
      `Invalid action '${action.toLowerCase()}' for entity '${entity.toLowerCase()}'. Valid actions are: [${names.join(', ')}]`,
    );
  }
  return { entity, action };
}

function parseStatus(status: string | undefined): WebhookStatus | undefined {
  if (status === undefined) return undefined;
  if (status === 'ACTIVE' || status === 'DISABLED') return status;
  throw MlflowError.invalidParameter(`Invalid webhook status '${status}': expected ACTIVE or DISABLED.`);
}

/** Webhook CRUD and `test` (MLflow 3.3+). Deliveries are sent by WebhookDispatcher. */
export class WebhookService {
  constructor(private readonly deps: WebhookServiceDeps) {}

  private validName(name: string | undefined): string {
    if (name === undefined || name.trim() === '') throw MlflowError.missingParameter('name');
    if (name.length > MAX_NAME_LENGTH) {
      throw MlflowError.invalidParameter(`Webhook name must be at most ${MAX_NAME_LENGTH} characters.`);
    }
    return name;
  }

  private validUrl(url: string | undefined): string {
    if (url === undefined || url === '') throw MlflowError.missingParameter('url');
    const problem = this.deps.transport.checkUrl(url);
    if (problem) throw MlflowError.invalidParameter(`Invalid webhook URL: ${problem}`);
    return url;
  }

  private validEvents(events: WebhookInput['events']): WebhookEvent[] {
    if (!events || events.length === 0) {
      throw MlflowError.invalidParameter('Webhook events must be a non-empty list of WebhookEvent objects: [].');
    }
    return events.map(parseWebhookEvent);
  }

  private encrypt(secret: string, id: string): string {
    if (!this.deps.cipher) throw MlflowError.invalidParameter(NO_KEY_MESSAGE);
    if (secret.length > MAX_SECRET_LENGTH) {
      throw MlflowError.invalidParameter(`Webhook secret must be at most ${MAX_SECRET_LENGTH} characters.`);
    }
    return this.deps.cipher.encrypt(secret, id);
  }

  async create(input: WebhookInput): Promise<Webhook> {
    const id = randomUUID().replace(/-/g, '');
    const time = this.deps.clock.now();
    const webhook: Webhook = {
      id,
      name: this.validName(input.name),
      description: input.description || null,
      url: this.validUrl(input.url),
      events: this.validEvents(input.events),
      status: parseStatus(input.status) ?? 'ACTIVE',
      encryptedSecret: input.secret ? this.encrypt(input.secret, id) : null,
      creationTime: time,
      lastUpdatedTime: time,
    };
    await this.deps.store.createWebhook(webhook);
    return webhook;
  }

  async get(id: string): Promise<Webhook> {
    const webhook = await this.deps.store.getWebhook(id);
    if (!webhook) throw webhookNotFound(id);
    return webhook;
  }

  async list(page: { maxResults?: number | undefined; pageToken?: string | undefined }): Promise<Page<Webhook>> {
    const maxResults = validateMaxResults(page.maxResults, 100);
    if (maxResults > 1000) {
      throw MlflowError.invalidParameter(`Invalid value ${maxResults} for parameter 'max_results': at most 1000.`);
    }
    return searchPage(page.pageToken, (p) => this.deps.store.listWebhooks({ maxResults, ...p }));
  }

  /** Fields left out stay; an empty `secret` removes the secret. */
  async update(id: string, input: WebhookInput): Promise<Webhook> {
    await this.get(id);
    const updated = await this.deps.store.updateWebhook(id, {
      name: input.name === undefined ? undefined : this.validName(input.name),
      description: input.description,
      url: input.url === undefined ? undefined : this.validUrl(input.url),
      events: input.events === undefined || input.events.length === 0 ? undefined : this.validEvents(input.events),
      status: parseStatus(input.status),
      encryptedSecret:
        input.secret === undefined ? undefined : input.secret === '' ? null : this.encrypt(input.secret, id),
      lastUpdatedTime: this.deps.clock.now(),
    });
    if (!updated) throw webhookNotFound(id);
    return this.get(id);
  }

  async delete(id: string): Promise<void> {
    if (!(await this.deps.store.deleteWebhook(id))) throw webhookNotFound(id);
  }

  /** Sends MLflow's example payload for `event` (default: the webhook's first event), signed like a delivery. */
  async test(
    id: string,
    event?: { entity?: string | undefined; action?: string | undefined },
  ): Promise<WebhookTestResult> {
    const webhook = await this.get(id);
    const testEvent = event && (event.entity || event.action) ? parseWebhookEvent(event) : webhook.events[0];
    if (!testEvent) throw MlflowError.invalidParameter(`Webhook ${id} has no events to test.`);
    let secret: string | null = null;
    if (webhook.encryptedSecret !== null) {
      if (!this.deps.cipher) throw new MlflowError('INVALID_STATE', NO_KEY_MESSAGE);
      secret = this.deps.cipher.decrypt(webhook.encryptedSecret, id);
    }
    const now = this.deps.clock.now();
    const request = buildWebhookRequest({
      deliveryId: randomUUID(),
      entity: testEvent.entity,
      action: testEvent.action,
      data: examplePayload(testEvent),
      eventTime: now,
      sendTime: now,
      secret,
    });
    try {
      const { status } = await this.deps.transport.post({ url: webhook.url, ...request });
      if (status >= 200 && status < 300) return { success: true, responseStatus: status };
      const why = status >= 300 && status < 400 ? 'redirects are not followed' : 'the target did not accept it';
      return { success: false, responseStatus: status, errorMessage: `HTTP ${status}: ${why}` };
    } catch (error) {
      const message = error instanceof WebhookTransportError ? error.message : 'the request failed';
      return { success: false, errorMessage: `Failed to test webhook: ${message}` };
    }
  }

  async deliveries(
    id: string,
    page: { maxResults?: number | undefined; pageToken?: string | undefined },
  ): Promise<Page<DeliveryWithAttempts>> {
    await this.get(id);
    const maxResults = validateMaxResults(page.maxResults, 100);
    return searchPage(page.pageToken, (p) =>
      this.deps.store.listDeliveries(id, { maxResults: Math.min(maxResults, 1000), ...p }),
    );
  }
}
