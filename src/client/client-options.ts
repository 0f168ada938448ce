import { PLUMB_VERSION } from '../version.ts';
import { PlumbClientError } from './errors.ts';
import { type ResolvedRetryOptions, type RetryOptions, resolveRetryOptions } from './retry.ts';

export interface AsyncLoggingOptions {
  /** Values (metrics + params + tags) that may wait in the queue; a logging call awaits when it is full (default 100 000). */
  readonly maxQueuedValues?: number;
  /** log-batch requests in flight at once (default 4). */
  readonly maxInFlight?: number;
  /** How long a partial batch waits for more values before it is sent anyway (default 50 ms). */
  readonly lingerMs?: number;
}

export interface PlumbClientOptions {
  /** The server, e.g. `http://127.0.0.1:5000`. Default: `MLFLOW_TRACKING_URI`. */
  readonly trackingUri?: string;
  /** Basic auth; default `MLFLOW_TRACKING_USERNAME` / `MLFLOW_TRACKING_PASSWORD`. */
  readonly username?: string;
  readonly password?: string;
  /** Bearer auth; default `MLFLOW_TRACKING_TOKEN`. Wins over Basic when both are set, as in MLflow's clients. */
  readonly token?: string;
  readonly retry?: RetryOptions;
  /** Per-attempt timeout of JSON calls in ms (default 120 000). Artifact transfers have none. */
  readonly requestTimeoutMs?: number;
  /** Queue metrics, params and tags and send them in the background; `true` takes the defaults. */
  readonly asyncLogging?: boolean | AsyncLoggingOptions;
  /** Files at least this large go up through the multipart API (default 100 MiB). */
  readonly multipartThresholdBytes?: number;
  /** Size of one multipart part (default 16 MiB). */
  readonly multipartPartBytes?: number;
  /** Parts uploaded at once (default 4). */
  readonly multipartConcurrency?: number;
  /** Where the MLFLOW_* defaults come from: `process.env` unless given (tests pass their own). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface ResolvedClientOptions {
  readonly baseUrl: string;
  /** startRun's experiment when it names none: `MLFLOW_EXPERIMENT_ID`, else `MLFLOW_EXPERIMENT_NAME`. */
  readonly defaultExperiment: { readonly id?: string; readonly name?: string };
  readonly headers: Readonly<Record<string, string>>;
  readonly retry: ResolvedRetryOptions;
  readonly requestTimeoutMs: number;
  readonly asyncLogging: Required<AsyncLoggingOptions> | undefined;
  readonly multipartThresholdBytes: number;
  readonly multipartPartBytes: number;
  readonly multipartConcurrency: number;
}

export const USER_AGENT = `plumb-ts-client/${PLUMB_VERSION}`;

/**
 * Options merged with the MLFLOW_* variables MLflow's own clients read. The client is a library,
 * not part of the server, so it reads its environment here rather than through src/config.
 */
export function resolveClientOptions(options: PlumbClientOptions = {}): ResolvedClientOptions {
  const env = options.env ?? process.env;
  const uri = options.trackingUri ?? env.MLFLOW_TRACKING_URI;
  if (uri === undefined || uri === '') {
    throw new PlumbClientError('No server given: pass trackingUri or set MLFLOW_TRACKING_URI');
  }
  if (!/^https?:\/\//i.test(uri)) {
    throw new PlumbClientError(`trackingUri must be an http(s) URL, got '${uri}'`);
  }
  const headers: Record<string, string> = { 'user-agent': USER_AGENT };
  const token = options.token ?? env.MLFLOW_TRACKING_TOKEN;
  const username = options.username ?? env.MLFLOW_TRACKING_USERNAME;
  const password = options.password ?? env.MLFLOW_TRACKING_PASSWORD;
  if (token) headers.authorization = `Bearer ${token}`;
  else if (username !== undefined && password !== undefined) {
    headers.authorization = `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
  }
  const async = options.asyncLogging;
  return {
    baseUrl: uri.replace(/\/+$/, ''),
    defaultExperiment: {
      ...(env.MLFLOW_EXPERIMENT_ID ? { id: env.MLFLOW_EXPERIMENT_ID } : {}),
      ...(env.MLFLOW_EXPERIMENT_NAME ? { name: env.MLFLOW_EXPERIMENT_NAME } : {}),
    },
    headers,
    retry: resolveRetryOptions(options.retry),
    requestTimeoutMs: options.requestTimeoutMs ?? 120_000,
    asyncLogging:
      async === undefined || async === false
        ? undefined
        : {
            maxQueuedValues: Math.max(1, (async === true ? undefined : async.maxQueuedValues) ?? 100_000),
            maxInFlight: Math.max(1, (async === true ? undefined : async.maxInFlight) ?? 4),
            lingerMs: Math.max(0, (async === true ? undefined : async.lingerMs) ?? 50),
          },
    multipartThresholdBytes: options.multipartThresholdBytes ?? 100 * 1024 * 1024,
    multipartPartBytes: Math.max(1, options.multipartPartBytes ?? 16 * 1024 * 1024),
    multipartConcurrency: Math.max(1, options.multipartConcurrency ?? 4),
  };
}
