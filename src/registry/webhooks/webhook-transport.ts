import { createHmac } from 'node:crypto';

/**
 * The outbound HTTP port. The adapter (src/webhook-http/) owns every network decision: allowed
 * schemes and hosts, resolving and vetting addresses (SSRF), pinning the vetted address, timeouts,
 * and never following redirects.
 */
export interface WebhookTransport {
  /**
   * The checks that need no network, for create/update: a parsable URL with a host and an allowed
   * scheme. Returns the problem, or undefined. The real check happens again at connection time.
   */
  checkUrl(url: string): string | undefined;
  /**
   * POSTs `body` to `url`. Resolves with the answer's status (3xx included: redirects are never
   * followed); the answer's body is read and discarded, never returned. Rejects with a
   * WebhookTransportError when the target is refused (`refused`: nothing was connected) or the
   * request failed.
   */
  post(request: {
    readonly url: string;
    readonly body: string;
    readonly headers: Readonly<Record<string, string>>;
  }): Promise<{ readonly status: number }>;
}

export class WebhookTransportError extends Error {
  override readonly name = 'WebhookTransportError';
  constructor(
    message: string,
    /** True when policy refused the target before any connection; retrying cannot help. */
    readonly refused: boolean,
  ) {
    super(message);
  }
}

/**
 * MLflow's signature (mlflow/webhooks/delivery.py): `v1,` + base64 HMAC-SHA256 over
 * `<delivery id>.<unix seconds>.<body>` with the webhook's secret.
 */
export function signWebhook(secret: string, deliveryId: string, timestamp: string, body: string): string {
  const mac = createHmac('sha256', secret).update(`${deliveryId}.${timestamp}.${body}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}

export const DELIVERY_ID_HEADER = 'X-MLflow-Delivery-Id';
export const TIMESTAMP_HEADER = 'X-MLflow-Timestamp';
export const SIGNATURE_HEADER = 'X-MLflow-Signature';

/** The request MLflow sends: body `{entity, action, timestamp, data}` and its headers. */
export function buildWebhookRequest(input: {
  readonly deliveryId: string;
  readonly entity: string;
  readonly action: string;
  readonly data: unknown;
  readonly eventTime: number;
  readonly sendTime: number;
  readonly secret: string | null;
}): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({
    entity: input.entity.toLowerCase(),
    action: input.action.toLowerCase(),
    timestamp: new Date(input.eventTime).toISOString(),
    data: input.data,
  });
  const timestamp = String(Math.floor(input.sendTime / 1000));
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    [DELIVERY_ID_HEADER]: input.deliveryId,
    [TIMESTAMP_HEADER]: timestamp,
  };
  if (input.secret) headers[SIGNATURE_HEADER] = signWebhook(input.secret, input.deliveryId, timestamp, body);
  return { body, headers };
}
