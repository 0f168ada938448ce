/**
 * When and how long to wait before sending a request again. A request is retried only when the
 * server certainly did not act on it, or when acting on it twice changes nothing: Plumb's writes of
 * metrics, params and tags are idempotent (a metric point's primary key is the whole point, so an
 * identical retried log-batch inserts nothing new; a param re-logged with the same value and a tag
 * set to the same value are no-ops), while `runs/create` or `model-versions/create` are not.
 */
export interface RetryOptions {
  /** Attempts in all, the first included (default 6). 1 turns retries off. */
  readonly maxAttempts?: number;
  /** No retry starts later than this many ms after the first attempt (default 120 000). */
  readonly maxRetryTimeMs?: number;
  /** The first backoff; each later one doubles, with full jitter (default 250). */
  readonly baseDelayMs?: number;
  /** Cap on one backoff (default 30 000). A server's Retry-After is waited out as given, within maxRetryTimeMs. */
  readonly maxDelayMs?: number;
}

export type ResolvedRetryOptions = Required<RetryOptions>;

export function resolveRetryOptions(options: RetryOptions = {}): ResolvedRetryOptions {
  return {
    maxAttempts: Math.max(1, options.maxAttempts ?? 6),
    maxRetryTimeMs: options.maxRetryTimeMs ?? 120_000,
    baseDelayMs: options.baseDelayMs ?? 250,
    maxDelayMs: options.maxDelayMs ?? 30_000,
  };
}

/**
 * Statuses worth another try. 429 and 503 mean the server refused before acting (Plumb answers 503
 * with Retry-After while its write queue is full). 502, 504 and 500 may come after the server acted,
 * so only idempotent calls retry them.
 */
export function isRetryableStatus(status: number, idempotent: boolean): boolean {
  if (status === 429 || status === 503) return true;
  return idempotent && (status === 500 || status === 502 || status === 504);
}

const REFUSED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Whether a failed fetch may be sent again. A connection that was never made cannot have delivered
 * the request, so even a non-idempotent call retries; a reset or timeout after sending may come
 * after the server committed, so only idempotent calls retry those.
 */
export function isRetryableNetworkError(error: unknown, idempotent: boolean): boolean {
  if (idempotent) return true;
  const code = errorCode(error);
  return code !== undefined && REFUSED.has(code);
}

function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** Exponential backoff with full jitter (AWS's "Exponential Backoff and Jitter"): attempt 1 is the first retry. */
export function backoffMs(attempt: number, options: ResolvedRetryOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling * random());
}

/**
 * A Retry-After header as a delay in ms: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
 * Undefined when absent or unreadable; a date in the past is 0.
 */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
