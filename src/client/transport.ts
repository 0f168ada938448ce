import { setTimeout as sleep } from 'node:timers/promises';
import type { ResolvedClientOptions } from './client-options.ts';
import { MlflowApiError, PlumbClientError, PlumbNetworkError } from './errors.ts';
import { backoffMs, isRetryableNetworkError, isRetryableStatus, parseRetryAfter } from './retry.ts';

/** What a request may carry: anything fetch takes, or a Node stream (sent chunked). */
export type RequestBody = NonNullable<RequestInit['body']> | NodeJS.ReadableStream;

export type QueryValue = string | number | boolean | readonly string[] | undefined;
export type Query = Readonly<Record<string, QueryValue>>;

export interface SendOptions<T> {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** A path on the server (`/api/2.0/mlflow/runs/get`) or an absolute URL (a multipart part's). */
  readonly path: string;
  readonly query?: Query;
  readonly headers?: Readonly<Record<string, string>>;
  /** Builds the body of each attempt: a stream can be sent once, so retries need a fresh one. */
  readonly body?: () => RequestBody;
  /** Acting on the request twice leaves the same state as once: 500/502/504 and resets may retry. */
  readonly idempotent: boolean;
  /** False when the body cannot be rebuilt (a caller's stream): the request is sent once. */
  readonly replayable?: boolean;
  readonly timeoutMs?: number;
  /** Reads a 2xx answer inside the attempt, so a connection lost mid-body is retried like any other. */
  read(response: Response): Promise<T>;
}

/**
 * Sends requests with the client's headers and retries what is safe to retry (see retry.ts): full
 * jitter backoff, a server's Retry-After honoured as given, and both the attempts and the total time
 * bounded. A non-2xx final answer becomes MlflowApiError, a lost connection PlumbNetworkError.
 */
export class HttpTransport {
  constructor(private readonly options: ResolvedClientOptions) {}

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  async send<T>(request: SendOptions<T>): Promise<T> {
    const { retry } = this.options;
    const url = this.url(request.path, request.query);
    const maxAttempts = request.replayable === false ? 1 : retry.maxAttempts;
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      const give = (delayMs: number) =>
        attempt < maxAttempts && Date.now() - started + delayMs <= retry.maxRetryTimeMs ? delayMs : undefined;
      let response: Response;
      try {
        response = await fetch(url, this.init(request, url));
        if (response.ok) return await request.read(response);
      } catch (error) {
        if (error instanceof SyntaxError) {
          throw new PlumbClientError(`${request.method} ${url.pathname} answered with a body that is not JSON`, {
            cause: error,
          });
        }
        const delay = isRetryableNetworkError(error, request.idempotent) ? give(backoffMs(attempt, retry)) : undefined;
        if (delay === undefined) {
          throw new PlumbNetworkError(
            `${request.method} ${url.pathname} failed after ${attempt} attempt(s): ${describe(error)}`,
            attempt,
            { cause: error },
          );
        }
        await sleep(delay);
        continue;
      }
      const text = await response.text().catch(() => '');
      const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
      const delay = isRetryableStatus(response.status, request.idempotent)
        ? give(retryAfter ?? backoffMs(attempt, retry))
        : undefined;
      if (delay === undefined) throw MlflowApiError.fromResponse(response.status, text, attempt);
      await sleep(delay);
    }
  }

  /** A JSON call: the body (if any) as JSON, the answer parsed; `{}` for an empty answer. */
  json<T>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    options: { query?: Query; body?: unknown; idempotent: boolean },
  ): Promise<T> {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    return this.send({
      method,
      path,
      query: options.query,
      idempotent: options.idempotent,
      timeoutMs: this.options.requestTimeoutMs,
      ...(payload === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: () => payload }),
      read: async (response) => {
        const text = await response.text();
        return (text === '' ? {} : JSON.parse(text)) as T;
      },
    });
  }

  /** Whether a URL is on this client's server: only then does it get the credentials. */
  isSameOrigin(url: URL): boolean {
    return url.origin === new URL(this.options.baseUrl).origin;
  }

  private url(path: string, query: Query | undefined): URL {
    const url = /^https?:\/\//i.test(path) ? new URL(path) : new URL(`${this.options.baseUrl}${path}`);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined) continue;
      if (typeof value === 'object') for (const item of value) url.searchParams.append(key, item);
      else url.searchParams.append(key, String(value));
    }
    return url;
  }

  private init(request: SendOptions<unknown>, url: URL): RequestInit {
    const own = this.isSameOrigin(url) ? this.options.headers : { 'user-agent': this.options.headers['user-agent']! };
    const body = request.body?.();
    const init: RequestInit & { duplex?: 'half' } = {
      method: request.method,
      headers: { ...own, ...request.headers },
      ...(request.timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(request.timeoutMs) }),
    };
    if (body !== undefined) {
      init.body = body as RequestInit['body'];
      // A streamed body needs half duplex in undici's fetch.
      if (typeof body === 'object' && Symbol.asyncIterator in body) init.duplex = 'half';
    }
    return init;
  }
}

function describe(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 4; depth++) {
    if (e instanceof Error) {
      const code = (e as { code?: unknown }).code;
      parts.push(typeof code === 'string' ? `${e.message} (${code})` : e.message);
      e = e.cause;
    } else {
      parts.push(String(e));
      break;
    }
  }
  return parts.join(': ');
}
