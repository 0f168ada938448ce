import { randomUUID } from 'node:crypto';
import type { Generated, Kysely, Selectable } from 'kysely';
import { MlflowError } from '../../core/errors.ts';
import type { JsonObject } from '../../core/registry.ts';
import type {
  DeliveryAttempt,
  DeliveryState,
  DeliveryWithAttempts,
  Webhook,
  WebhookAction,
  WebhookEntity,
  WebhookEvent,
  WebhookStatus,
} from '../../core/webhooks.ts';
import type { SearchPage } from '../store.ts';
import type { ClaimedDelivery, WebhookPatch } from '../webhook-store.ts';
import type { SqlDialect } from './dialect.ts';
import type { Database } from './schema.ts';
import { currentWatermark } from './watermark.ts';

/** Row types of migration 0004, kept here so the shared schema file stays small. */
export type WebhookTables = {
  webhooks: {
    seq: Generated<number>;
    id: string;
    name: string;
    description: string | null;
    url: string;
    status: string;
    secret_ciphertext: string | null;
    creation_time: number;
    last_updated_time: number;
  };
  webhook_subscriptions: { webhook_id: string; entity: string; action: string };
  webhook_deliveries: {
    seq: Generated<number>;
    delivery_id: string;
    webhook_id: string;
    entity: string;
    action: string;
    payload_json: string;
    event_time: number;
    state: string;
    attempts: number;
    next_attempt_at: number;
    claim_token: string | null;
    lease_until: number | null;
  };
  webhook_delivery_attempts: {
    seq: Generated<number>;
    delivery_id: string;
    attempt: number;
    attempt_time: number;
    response_status: number | null;
    error: string | null;
    duration_ms: number;
  };
};

export type WebhookDb = Kysely<Database & WebhookTables>;
export const webhookDb = (db: Kysely<Database>): WebhookDb => db.withTables<WebhookTables>();

type WebhookRow = Selectable<WebhookTables['webhooks']>;

async function eventsOf(db: WebhookDb, ids: readonly string[]): Promise<Map<string, WebhookEvent[]>> {
  const byId = new Map<string, WebhookEvent[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return byId;
  const rows = await db
    .selectFrom('webhook_subscriptions')
    .selectAll()
    .where('webhook_id', 'in', ids)
    .orderBy('webhook_id')
    .orderBy('entity')
    .orderBy('action')
    .execute();
  for (const row of rows) {
    byId.get(row.webhook_id)?.push({ entity: row.entity as WebhookEntity, action: row.action as WebhookAction });
  }
  return byId;
}

function toWebhook(row: WebhookRow, events: readonly WebhookEvent[]): Webhook {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    url: row.url,
    events,
    status: row.status as WebhookStatus,
    encryptedSecret: row.secret_ciphertext,
    creationTime: Number(row.creation_time),
    lastUpdatedTime: Number(row.last_updated_time),
  };
}

async function insertSubscriptions(db: WebhookDb, id: string, events: readonly WebhookEvent[]): Promise<void> {
  const unique = new Map(events.map((e) => [`${e.entity}.${e.action}`, e]));
  if (unique.size === 0) return;
  await db
    .insertInto('webhook_subscriptions')
    .values([...unique.values()].map((e) => ({ webhook_id: id, entity: e.entity, action: e.action })))
    .execute();
}

export async function createWebhook(db: WebhookDb, webhook: Webhook): Promise<void> {
  await db
    .insertInto('webhooks')
    .values({
      id: webhook.id,
      name: webhook.name,
      description: webhook.description,
      url: webhook.url,
      status: webhook.status,
      secret_ciphertext: webhook.encryptedSecret,
      creation_time: webhook.creationTime,
      last_updated_time: webhook.lastUpdatedTime,
    })
    .execute();
  await insertSubscriptions(db, webhook.id, webhook.events);
}

export async function getWebhook(db: WebhookDb, id: string): Promise<Webhook | undefined> {
  const row = await db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toWebhook(row, (await eventsOf(db, [id])).get(id) ?? []) : undefined;
}

export async function listWebhooks(
  db: WebhookDb,
  page: { maxResults: number; offset: number; watermark?: number | undefined },
): Promise<SearchPage<Webhook>> {
  const watermark = page.watermark ?? (await currentWatermark(db, 'webhooks', 'seq'));
  const rows = await db
    .selectFrom('webhooks')
    .selectAll()
    .where('seq', '<=', watermark)
    .orderBy('seq')
    .limit(page.maxResults + 1)
    .offset(page.offset)
    .execute();
  const items = rows.slice(0, page.maxResults);
  const events = await eventsOf(
    db,
    items.map((r) => r.id),
  );
  return {
    items: items.map((r) => toWebhook(r, events.get(r.id) ?? [])),
    hasMore: rows.length > page.maxResults,
    watermark,
  };
}

export async function updateWebhook(db: WebhookDb, id: string, patch: WebhookPatch): Promise<boolean> {
  const result = await db
    .updateTable('webhooks')
    .set({
      last_updated_time: patch.lastUpdatedTime,
      ...(patch.name === undefined ? {} : { name: patch.name }),
      ...(patch.description === undefined ? {} : { description: patch.description }),
      ...(patch.url === undefined ? {} : { url: patch.url }),
      ...(patch.status === undefined ? {} : { status: patch.status }),
      ...(patch.encryptedSecret === undefined ? {} : { secret_ciphertext: patch.encryptedSecret }),
    })
    .where('id', '=', id)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) return false;
  if (patch.events !== undefined) {
    await db.deleteFrom('webhook_subscriptions').where('webhook_id', '=', id).execute();
    await insertSubscriptions(db, id, patch.events);
  }
  return true;
}

export async function deleteWebhook(db: WebhookDb, id: string): Promise<boolean> {
  const deliveries = db.selectFrom('webhook_deliveries').select('delivery_id').where('webhook_id', '=', id);
  await db.deleteFrom('webhook_delivery_attempts').where('delivery_id', 'in', deliveries).execute();
  await db.deleteFrom('webhook_deliveries').where('webhook_id', '=', id).execute();
  await db.deleteFrom('webhook_subscriptions').where('webhook_id', '=', id).execute();
  const result = await db.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function enqueueDeliveries(
  db: WebhookDb,
  dialect: SqlDialect,
  event: WebhookEvent,
  data: JsonObject,
  time: number,
): Promise<number> {
  const targets = await db
    .selectFrom('webhook_subscriptions as s')
    .innerJoin('webhooks as w', 'w.id', 's.webhook_id')
    .select('w.id')
    .where('s.entity', '=', event.entity)
    .where('s.action', '=', event.action)
    .where('w.status', '=', 'ACTIVE')
    .orderBy('w.seq')
    .execute();
  if (targets.length === 0) return 0;
  const payload = JSON.stringify(data);
  await db
    .insertInto('webhook_deliveries')
    .values(
      targets.map((t) => ({
        delivery_id: randomUUID(),
        webhook_id: t.id,
        entity: event.entity,
        action: event.action,
        payload_json: payload,
        event_time: time,
        state: 'PENDING',
        attempts: 0,
        next_attempt_at: dialect.currentTimeMillis(),
        claim_token: null,
        lease_until: null,
      })),
    )
    .execute();
  return targets.length;
}

function parsePayload(text: string, id: string): JsonObject {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as JsonObject;
  } catch {
    // reported below
  }
  throw new MlflowError('DATA_LOSS', `Webhook delivery ${id} holds a malformed payload`);
}

/** Claims in the caller's transaction; see WebhookStore.claimDueDeliveries for the contract. */
export async function claimDueDeliveries(
  db: WebhookDb,
  dialect: SqlDialect,
  claimToken: string,
  limit: number,
  leaseMs: number,
): Promise<ClaimedDelivery[]> {
  const now = dialect.currentTimeMillis();
  const claimable = (qb: WebhookDb) =>
    qb
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
      .select('d.seq')
      .where('d.state', '=', 'PENDING')
      .where('w.status', '=', 'ACTIVE')
      .where('d.next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('d.lease_until', 'is', null), eb('d.lease_until', '<', now)]))
      .orderBy('d.seq')
      .limit(limit);
  const seqs = (await claimable(db).execute()).map((r) => r.seq);
  if (seqs.length === 0) return [];
  // The WHERE is evaluated again by the UPDATE itself: a row another worker claimed meanwhile
  // no longer matches, so each delivery goes to exactly one claimant.
  await db
    .updateTable('webhook_deliveries')
    .set((eb) => ({ claim_token: claimToken, lease_until: eb(now, '+', leaseMs) }))
    .where('seq', 'in', seqs)
    .where('state', '=', 'PENDING')
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
    .execute();
  const rows = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
    .select([
      'd.delivery_id',
      'd.webhook_id',
      'd.entity',
      'd.action',
      'd.payload_json',
      'd.event_time',
      'd.state',
      'd.attempts',
      'w.url',
      'w.secret_ciphertext',
    ])
    .where('d.claim_token', '=', claimToken)
    .where('d.seq', 'in', seqs)
    .orderBy('d.seq')
    .execute();
  return rows.map((r) => ({
    deliveryId: r.delivery_id,
    webhookId: r.webhook_id,
    event: { entity: r.entity as WebhookEntity, action: r.action as WebhookAction },
    data: parsePayload(r.payload_json, r.delivery_id),
    eventTime: Number(r.event_time),
    state: r.state as DeliveryState,
    attempts: Number(r.attempts),
    url: r.url,
    encryptedSecret: r.secret_ciphertext,
  }));
}

export async function recordAttempt(
  db: WebhookDb,
  dialect: SqlDialect,
  claimToken: string,
  deliveryId: string,
  attempt: DeliveryAttempt,
  outcome: { state: 'DELIVERED' | 'FAILED' } | { state: 'PENDING'; retryAfterMs: number },
): Promise<boolean> {
  const now = dialect.currentTimeMillis();
  const result = await db
    .updateTable('webhook_deliveries')
    .set((eb) => ({
      state: outcome.state,
      attempts: attempt.attempt,
      claim_token: null,
      lease_until: null,
      ...(outcome.state === 'PENDING' ? { next_attempt_at: eb(now, '+', outcome.retryAfterMs) } : {}),
    }))
    .where('delivery_id', '=', deliveryId)
    .where('claim_token', '=', claimToken)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) return false;
  await db
    .insertInto('webhook_delivery_attempts')
    .values({
      delivery_id: deliveryId,
      attempt: attempt.attempt,
      attempt_time: attempt.time,
      response_status: attempt.responseStatus,
      error: attempt.error,
      duration_ms: attempt.durationMs,
    })
    .execute();
  return true;
}

export async function listDeliveries(
  db: WebhookDb,
  webhookId: string,
  page: { maxResults: number; offset: number; watermark?: number | undefined },
): Promise<SearchPage<DeliveryWithAttempts>> {
  const watermark =
    page.watermark ??
    (await currentWatermark(db, 'webhook_deliveries', 'seq', { column: 'webhook_id', value: webhookId }));
  const rows = await db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('webhook_id', '=', webhookId)
    .where('seq', '<=', watermark)
    .orderBy('seq', 'desc')
    .limit(page.maxResults + 1)
    .offset(page.offset)
    .execute();
  const items = rows.slice(0, page.maxResults);
  const attempts =
    items.length === 0
      ? []
      : await db
          .selectFrom('webhook_delivery_attempts')
          .selectAll()
          .where(
            'delivery_id',
            'in',
            items.map((r) => r.delivery_id),
          )
          .orderBy('delivery_id')
          .orderBy('attempt')
          .execute();
  return {
    items: items.map((r) => ({
      deliveryId: r.delivery_id,
      webhookId: r.webhook_id,
      event: { entity: r.entity as WebhookEntity, action: r.action as WebhookAction },
      data: parsePayload(r.payload_json, r.delivery_id),
      eventTime: Number(r.event_time),
      state: r.state as DeliveryState,
      attempts: Number(r.attempts),
      attemptLog: attempts
        .filter((a) => a.delivery_id === r.delivery_id)
        .map((a) => ({
          attempt: Number(a.attempt),
          time: Number(a.attempt_time),
          responseStatus: a.response_status === null ? null : Number(a.response_status),
          error: a.error,
          durationMs: Number(a.duration_ms),
        })),
    })),
    hasMore: rows.length > page.maxResults,
    watermark,
  };
}
