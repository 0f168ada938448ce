import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { DeliveryWithAttempts, Webhook } from '../../core/webhooks.ts';
import type { WebhookService } from '../../registry/webhooks/webhook.service.ts';
import type { Router } from '../http-server.ts';
import { listResponse } from '../mappers.ts';
import { parseMessage, wire } from '../wire.ts';

export type WebhookRouteService = Pick<
  WebhookService,
  'create' | 'get' | 'list' | 'update' | 'delete' | 'test' | 'deliveries'
>;

const WireEvent = z.object({ entity: wire.string().optional(), action: wire.string().optional() });
const WebhookBody = z.object({
  name: wire.string().optional(),
  description: wire.string().optional(),
  url: wire.string().optional(),
  events: wire.list(WireEvent).optional(),
  secret: wire.string().optional(),
  status: wire.string().optional(),
});
const Paging = z.object({ max_results: wire.int64().optional(), page_token: wire.string().optional() });
const TestBody = z.object({ event: WireEvent.optional() });

/** MLflow's Webhook message. The secret is write-only: it is never part of any answer. */
export function toWireWebhook(webhook: Webhook): Record<string, unknown> {
  return {
    webhook_id: webhook.id,
    name: webhook.name,
    ...(webhook.description ? { description: webhook.description } : {}),
    url: webhook.url,
    events: webhook.events.map((e) => ({ entity: e.entity, action: e.action })),
    status: webhook.status,
    creation_timestamp: webhook.creationTime,
    last_updated_timestamp: webhook.lastUpdatedTime,
  };
}

function toWireDelivery(delivery: DeliveryWithAttempts): Record<string, unknown> {
  return {
    delivery_id: delivery.deliveryId,
    entity: delivery.event.entity,
    action: delivery.event.action,
    event_timestamp: delivery.eventTime,
    state: delivery.state,
    attempts: delivery.attemptLog.map((a) => ({
      attempt: a.attempt,
      timestamp: a.time,
      ...(a.responseStatus === null ? {} : { response_status: a.responseStatus }),
      ...(a.error === null ? {} : { error_message: a.error }),
      duration_ms: a.durationMs,
    })),
  };
}

const webhookId = (request: FastifyRequest): string => (request.params as { webhook_id: string }).webhook_id;

/**
 * MLflow 3.3+ webhook RPCs under /api/2.0/mlflow/webhooks, and Plumb's delivery log at
 * GET /api/2.0/plumb/webhooks/{webhook_id}/deliveries (docs/webhooks.md).
 */
export function registerWebhookRoutes(router: Router, webhooks: WebhookRouteService): void {
  router.endpoint({
    methods: ['POST'],
    path: '/webhooks',
    schema: WebhookBody,
    handler: async (m) => ({ webhook: toWireWebhook(await webhooks.create(m)) }),
  });
  router.endpoint({
    methods: ['GET'],
    path: '/webhooks',
    schema: Paging,
    async handler(m) {
      const page = await webhooks.list({ maxResults: m.max_results, pageToken: m.page_token });
      return listResponse('webhooks', page.items.map(toWireWebhook), page.nextPageToken);
    },
  });
  router.endpoint({
    methods: ['GET'],
    path: '/webhooks/:webhook_id',
    schema: z.object({}),
    handler: async (_m, request) => ({ webhook: toWireWebhook(await webhooks.get(webhookId(request))) }),
  });
  router.endpoint({
    methods: ['PATCH'],
    path: '/webhooks/:webhook_id',
    schema: WebhookBody,
    handler: async (m, request) => ({ webhook: toWireWebhook(await webhooks.update(webhookId(request), m)) }),
  });
  router.endpoint({
    methods: ['DELETE'],
    path: '/webhooks/:webhook_id',
    schema: z.object({}),
    async handler(_m, request) {
      await webhooks.delete(webhookId(request));
      return {};
    },
  });
  router.endpoint({
    methods: ['POST'],
    path: '/webhooks/:webhook_id/test',
    schema: TestBody,
    async handler(m, request) {
      const result = await webhooks.test(webhookId(request), m.event);
      // MLflow also returns the target's response_body; Plumb never does (docs/webhooks.md: SSRF read-back).
      return {
        result: {
          success: result.success,
          ...(result.responseStatus === undefined ? {} : { response_status: result.responseStatus }),
          ...(result.errorMessage === undefined ? {} : { error_message: result.errorMessage }),
        },
      };
    },
  });
  for (const prefix of ['/api/', '/ajax-api/']) {
    router.app.get(`${prefix}2.0/plumb/webhooks/:webhook_id/deliveries`, async (request) => {
      const m = parseMessage(Paging, request.query);
      const page = await webhooks.deliveries(webhookId(request), {
        maxResults: m.max_results,
        pageToken: m.page_token,
      });
      return listResponse('deliveries', page.items.map(toWireDelivery), page.nextPageToken);
    });
  }
}
