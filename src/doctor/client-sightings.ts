import type { ClientSighting } from '../store/node-registry-store.ts';

/** Distinct client versions one server counts between two reports; the rest are counted together. */
export const MAX_DISTINCT_CLIENTS = 64;
/** Where requests beyond MAX_DISTINCT_CLIENTS, or without a usable User-Agent, are counted. */
export const OTHER_CLIENT = { client: '(other)', version: '-' } as const;
export const NO_USER_AGENT = { client: '(none)', version: '-' } as const;

const PRODUCT = /^([A-Za-z0-9!#$%&'*+.^_`|~-]{1,64})(?:\/([A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}))?/;

/**
 * The client release a User-Agent names: its first product token (RFC 9110 §10.1.5), as every
 * MLflow client sends it (`mlflow-python-client/3.11.2`, `mlflow-java-client/2.16.0`). Browsers
 * all start with `Mozilla/5.0`, which says nothing about the browser, so they count as one.
 */
export function clientOfUserAgent(userAgent: string | undefined): { client: string; version: string } {
  const text = userAgent?.trim() ?? '';
  if (text === '') return NO_USER_AGENT;
  const match = PRODUCT.exec(text);
  if (!match) return OTHER_CLIENT;
  if (match[1] === 'Mozilla') return { client: 'browser', version: '-' };
  return { client: match[1]!, version: match[2] ?? '-' };
}

/**
 * Counts requests per client release in memory; the node registry's heartbeat drains the counts
 * into the database, so recording costs a map update per request, not a write.
 */
export class ClientSightings {
  private counts = new Map<string, ClientSighting>();

  note(userAgent: string | undefined): void {
    let { client, version } = clientOfUserAgent(userAgent);
    let key = `${client}/${version}`;
    if (!this.counts.has(key) && this.counts.size >= MAX_DISTINCT_CLIENTS) {
      ({ client, version } = OTHER_CLIENT);
      key = `${client}/${version}`;
    }
    const seen = this.counts.get(key);
    this.counts.set(key, { client, version, requests: (seen?.requests ?? 0) + 1 });
  }

  /** The counts since the last drain; the caller gives them back with `restore` if it cannot store them. */
  drain(): ClientSighting[] {
    const drained = [...this.counts.values()];
    this.counts = new Map();
    return drained;
  }

  restore(sightings: readonly ClientSighting[]): void {
    for (const sighting of sightings) {
      const key = `${sighting.client}/${sighting.version}`;
      const seen = this.counts.get(key);
      this.counts.set(key, { ...sighting, requests: sighting.requests + (seen?.requests ?? 0) });
    }
  }
}
