import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { type ArtifactStoreConfig, parseArtifactStoreUri } from './artifact-store-uri.ts';
import { MYSQL_URI, type MysqlStoreConfig, parseMysqlUri } from './mysql-store-uri.ts';
import { parseClientVersionRules } from '../telemetry/client-version-policy.ts';
import { type TracingConfig, tracingFromEnv } from '../telemetry/otel-env.ts';

export type { ArtifactStoreConfig } from './artifact-store-uri.ts';
export type { MysqlStoreConfig } from './mysql-store-uri.ts';

/**
 * The only reader of process.env. Flags (from the CLI) override environment variables; MLflow's
 * variable names are honoured where MLflow has one, PLUMB_* otherwise. Every bad setting is
 * reported at once.
 */
export interface Config {
  readonly store: StoreConfig;
  readonly artifacts: ArtifactsConfig;
  readonly server: ServerConfig;
  readonly tracking: {
    readonly truncateLongValues: boolean;
    /** PLUMB_WRITE_QUEUE_ROWS: rows waiting for group commit at most; beyond, writes get 503 + Retry-After. */
    readonly writeQueueRows: number;
  };
  readonly webhooks: WebhooksConfig;
  readonly nodes: NodesConfig;
  readonly telemetry: TelemetryConfig;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export type StoreConfig =
  | { readonly kind: 'sqlite'; readonly uri: string; readonly path: string }
  | PostgresStoreConfig
  | MysqlStoreConfig;

/**
 * `uri` is what the user gave (log it through redactUri); `connectionString` is the libpq form the
 * driver takes: no `+driver` suffix, and without our pool parameters.
 */
export interface PostgresStoreConfig {
  readonly kind: 'postgres';
  readonly uri: string;
  readonly connectionString: string;
  readonly poolSize?: number | undefined;
  readonly idleTimeoutMs?: number | undefined;
  readonly statementTimeoutMs?: number | undefined;
}

export interface ArtifactsConfig {
  /** Root that new experiments' artifact locations are derived from. */
  readonly defaultArtifactRoot: string;
  /** Where the proxied artifact service stores files. */
  readonly destination: ArtifactStoreConfig;
  readonly serveArtifacts: boolean;
  /** Off by default: artifacts of a finished run are immutable. */
  readonly allowOverwriteFinishedRuns: boolean;
  /** --artifacts-hot: a hot tier on local disk in front of the destination (docs/operations.md). */
  readonly hot?: HotTierConfig | undefined;
}

/** The hot artifact tier and the policy that moves objects to the destination (the cold tier). */
export interface HotTierConfig {
  /** Absolute path of the local (or shared-mount) directory. */
  readonly path: string;
  /** PLUMB_ARTIFACTS_HOT_SHARED: every replica mounts the same directory; otherwise it is per node. */
  readonly shared: boolean;
  /** PLUMB_ARTIFACTS_HOT_MAX_AGE_HOURS: finished runs' artifacts older than this move to cold. */
  readonly maxAgeMs: number;
  /** PLUMB_ARTIFACTS_HOT_BUDGET_BYTES: above this, the oldest unpinned objects move first. */
  readonly budgetBytes?: number | undefined;
  /** PLUMB_ARTIFACTS_TIER_INTERVAL_MS: how often `plumb server` runs a mover pass. */
  readonly intervalMs: number;
  /** PLUMB_ARTIFACTS_TIER_LEASE_MS: a move claimed longer ago is taken over as abandoned. */
  readonly leaseMs: number;
  /** PLUMB_ARTIFACTS_HOT_PIN_RUNS / _EXPERIMENTS / _MODELS (`name@alias`): they stay hot. */
  readonly pins: {
    readonly runIds: readonly string[];
    readonly experimentIds: readonly string[];
    readonly models: readonly { readonly name: string; readonly alias: string }[];
  };
  /** PLUMB_TEST_TIER_CRASH_AT: test hook, the mover kills its process after this step. */
  readonly testCrashAt?: 'after-copy' | 'after-verify' | 'after-manifest' | 'after-delete' | undefined;
}

export interface WebhooksConfig {
  /** AES-256-GCM key for webhook secrets at rest; without one, webhooks cannot have secrets. */
  readonly secretKey?: Buffer | undefined;
  /** MLFLOW_WEBHOOK_ALLOWED_SCHEMES: https only by default. */
  readonly allowedSchemes: readonly string[];
  /** Host names, addresses and CIDRs webhooks may reach although they are private (tests, internal hooks). */
  readonly allowedHosts: readonly string[];
  readonly requestTimeoutMs: number;
  /** Retries after the first attempt (MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES). */
  readonly maxRetries: number;
  readonly retryBaseMs: number;
  readonly pollIntervalMs: number;
  /** Deliveries sent at once by one server (MLFLOW_WEBHOOK_DELIVERY_MAX_WORKERS). */
  readonly maxWorkers: number;
}

/** The node registry (DESIGN invariant 7). */
export interface NodesConfig {
  /** PLUMB_NODE_HEARTBEAT_MS: how often this node refreshes its row; it counts as live for three intervals. */
  readonly heartbeatMs: number;
  /** --strict-config / PLUMB_STRICT_CONFIG: refuse to start when the configuration disagrees with the live nodes'. */
  readonly strictConfig: boolean;
}

/** Metrics, tracing, request logs and the client-version policy (docs/observability.md). */
export interface TelemetryConfig {
  /** `/metrics`: off by default; `port` serves it on a port of its own instead of the API's. */
  readonly metrics: { readonly enabled: boolean; readonly port?: number | undefined };
  /** MLflow's --expose-prometheus directory: accepted, unused (Plumb keeps metrics in process). */
  readonly exposePrometheusDir?: string | undefined;
  /** OTLP span export; undefined (off) unless the OTEL_* variables ask for it. */
  readonly tracing?: TracingConfig | undefined;
  /** PLUMB_SLOW_REQUEST_MS: requests slower than this are logged at warn level. */
  readonly slowRequestMs: number;
  readonly clientVersions: {
    /** --allowed-client-versions, as given (parsed by the telemetry module). */
    readonly allowed?: string | undefined;
    readonly policy: 'warn' | 'reject';
    /** Refuse requests from clients that are neither MLflow's nor Plumb's (browsers, curl). */
    readonly rejectUnrecognised: boolean;
    /** How often one client version outside the range is logged at most. */
    readonly warnIntervalMs: number;
  };
}

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  /** PLUMB_UI_DIR: the built web UI to serve at `/`; the package's dist/ui when unset. */
  readonly uiDir?: string | undefined;
}

export interface ConfigFlags {
  backendStoreUri?: string | undefined;
  defaultArtifactRoot?: string | undefined;
  artifactsDestination?: string | undefined;
  artifactsHot?: string | undefined;
  serveArtifacts?: boolean | undefined;
  host?: string | undefined;
  port?: string | number | undefined;
  strictConfig?: boolean | undefined;
  metrics?: boolean | undefined;
  metricsPort?: string | number | undefined;
  exposePrometheus?: string | undefined;
  allowedClientVersions?: string | undefined;
  clientVersionPolicy?: string | undefined;
  rejectUnrecognisedClients?: boolean | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

// The spellings MLflow's CLI (click) takes for a boolean variable, in any case.
const TRUE_WORDS = ['true', 't', 'yes', 'y', 'on', '1'];
const FALSE_WORDS = ['false', 'f', 'no', 'n', 'off', '0'];
const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => TRUE_WORDS.includes(v) || FALSE_WORDS.includes(v), 'must be true or false (or 1/0, yes/no, on/off)')
  .transform((v) => TRUE_WORDS.includes(v));

const Raw = z.object({
  backendStoreUri: z.string().min(1, 'must not be empty'),
  defaultArtifactRoot: z.string().min(1).optional(),
  artifactsDestination: z.string().min(1, 'must not be empty'),
  serveArtifacts: z.union([z.boolean(), bool]),
  artifactsHot: z.string().min(1, 'must not be empty').optional(),
  artifactsHotShared: z.union([z.boolean(), bool]),
  artifactsHotMaxAgeHours: z.coerce.number().min(0).max(1_000_000),
  artifactsHotBudgetBytes: z.coerce.number().int().min(0).optional(),
  artifactsTierIntervalMs: z.coerce.number().int().min(100).max(86_400_000),
  artifactsTierLeaseMs: z.coerce.number().int().min(0).max(86_400_000),
  artifactsHotPinRuns: z.string(),
  artifactsHotPinExperiments: z.string(),
  artifactsHotPinModels: z
    .string()
    .refine((v) => listCased(v).every((m) => /^[^@]+@[^@]+$/.test(m)), 'must list name@alias entries'),
  testTierCrashAt: z.enum(['after-copy', 'after-verify', 'after-manifest', 'after-delete']).optional(),
  host: z.string().min(1, 'must not be empty'),
  port: z.coerce.number().int('must be an integer').min(0).max(65535),
  truncateLongValues: z.union([z.boolean(), bool]),
  allowOverwriteFinishedRuns: z.union([z.boolean(), bool]),
  s3EndpointUrl: z.url('must be an http(s) URL').optional(),
  s3Region: z.string().min(1).optional(),
  s3ForcePathStyle: z.union([z.boolean(), bool]).optional(),
  azureConnectionString: z.string().min(1).optional(),
  azureAccountKey: z.string().min(1).optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  webhookSecretKey: z
    .string()
    .refine((v) => decodeSecretKey(v) !== undefined, 'must be 32 bytes as 64 hex digits or base64 (a Fernet key works)')
    .optional(),
  webhookAllowedSchemes: z
    .string()
    .refine((v) => list(v).every((s) => s === 'http' || s === 'https'), 'must list http and/or https'),
  webhookAllowedHosts: z.string().refine((v) => list(v).every(validHostEntry), 'must list host names, IPs or CIDRs'),
  webhookRequestTimeout: z.coerce.number().int().min(1).max(300),
  webhookMaxRetries: z.coerce.number().int().min(0).max(10),
  webhookRetryBaseMs: z.coerce.number().int().min(1).max(600_000),
  webhookPollIntervalMs: z.coerce.number().int().min(10).max(600_000),
  webhookMaxWorkers: z.coerce.number().int().min(1).max(100),
  nodeHeartbeatMs: z.coerce.number().int().min(50).max(600_000),
  writeQueueRows: z.coerce.number().int().min(1).max(100_000_000),
  strictConfig: z.union([z.boolean(), bool]),
  uiDir: z.string().min(1).optional(),
  metrics: z.union([z.boolean(), bool]),
  metricsPort: z.coerce.number().int('must be an integer').min(0).max(65535).optional(),
  exposePrometheus: z.string().optional(),
  slowRequestMs: z.coerce.number().int().min(0).max(86_400_000),
  allowedClientVersions: z
    .string()
    .superRefine((v, ctx) => {
      const rules = parseClientVersionRules(v);
      if (typeof rules === 'string') ctx.addIssue({ code: 'custom', message: rules });
    })
    .optional(),
  clientVersionPolicy: z.enum(['warn', 'reject']),
  rejectUnrecognisedClients: z.union([z.boolean(), bool]),
  clientWarnIntervalMs: z.coerce.number().int().min(0).max(86_400_000),
});

/** Comma-separated, trimmed, case kept (ids and model names). */
const listCased = (value: string): string[] =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');

const list = (value: string): string[] =>
  value
    .split(',')
    .map((v) => v.trim().toLowerCase())
    .filter((v) => v !== '');

function validHostEntry(entry: string): boolean {
  const [base, prefix, extra] = entry.split('/');
  const family = isIP(base ?? '');
  if (prefix === undefined) return family !== 0 || /^[a-z0-9.-]+$/.test(entry);
  const bits = Number(prefix);
  return extra === undefined && family !== 0 && /^\d+$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
}

/** 64 hex digits, or base64/base64url of 32 bytes (MLflow's Fernet keys have that form). */
export function decodeSecretKey(value: string): Buffer | undefined {
  const text = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return bytes.length === 32 ? bytes : undefined;
}

const SOURCES: Record<keyof z.infer<typeof Raw>, { flag?: keyof ConfigFlags; env: string[]; fallback?: unknown }> = {
  backendStoreUri: {
    flag: 'backendStoreUri',
    env: ['MLFLOW_BACKEND_STORE_URI', 'PLUMB_BACKEND_STORE_URI'],
    fallback: 'sqlite:///mlruns.db',
  },
  defaultArtifactRoot: {
    flag: 'defaultArtifactRoot',
    env: ['MLFLOW_DEFAULT_ARTIFACT_ROOT', 'PLUMB_DEFAULT_ARTIFACT_ROOT'],
  },
  artifactsDestination: {
    flag: 'artifactsDestination',
    env: ['MLFLOW_ARTIFACTS_DESTINATION', 'PLUMB_ARTIFACTS_DESTINATION'],
    fallback: './mlartifacts',
  },
  serveArtifacts: { flag: 'serveArtifacts', env: ['MLFLOW_SERVE_ARTIFACTS', 'PLUMB_SERVE_ARTIFACTS'], fallback: true },
  artifactsHot: { flag: 'artifactsHot', env: ['PLUMB_ARTIFACTS_HOT'] },
  artifactsHotShared: { env: ['PLUMB_ARTIFACTS_HOT_SHARED'], fallback: false },
  artifactsHotMaxAgeHours: { env: ['PLUMB_ARTIFACTS_HOT_MAX_AGE_HOURS'], fallback: 24 },
  artifactsHotBudgetBytes: { env: ['PLUMB_ARTIFACTS_HOT_BUDGET_BYTES'] },
  artifactsTierIntervalMs: { env: ['PLUMB_ARTIFACTS_TIER_INTERVAL_MS'], fallback: 300_000 },
  artifactsTierLeaseMs: { env: ['PLUMB_ARTIFACTS_TIER_LEASE_MS'], fallback: 600_000 },
  artifactsHotPinRuns: { env: ['PLUMB_ARTIFACTS_HOT_PIN_RUNS'], fallback: '' },
  artifactsHotPinExperiments: { env: ['PLUMB_ARTIFACTS_HOT_PIN_EXPERIMENTS'], fallback: '' },
  artifactsHotPinModels: { env: ['PLUMB_ARTIFACTS_HOT_PIN_MODELS'], fallback: '' },
  testTierCrashAt: { env: ['PLUMB_TEST_TIER_CRASH_AT'] },
  host: { flag: 'host', env: ['MLFLOW_HOST', 'PLUMB_HOST'], fallback: '127.0.0.1' },
  port: { flag: 'port', env: ['MLFLOW_PORT', 'PLUMB_PORT'], fallback: 5000 },
  truncateLongValues: { env: ['MLFLOW_TRUNCATE_LONG_VALUES', 'PLUMB_TRUNCATE_LONG_VALUES'], fallback: true },
  allowOverwriteFinishedRuns: { env: ['PLUMB_ALLOW_OVERWRITE_FINISHED_RUNS'], fallback: false },
  s3EndpointUrl: { env: ['MLFLOW_S3_ENDPOINT_URL'] },
  s3Region: { env: ['AWS_REGION', 'AWS_DEFAULT_REGION'] },
  s3ForcePathStyle: { env: ['PLUMB_S3_FORCE_PATH_STYLE'] },
  azureConnectionString: { env: ['AZURE_STORAGE_CONNECTION_STRING'] },
  azureAccountKey: { env: ['AZURE_STORAGE_ACCESS_KEY'] },
  logLevel: { env: ['PLUMB_LOG_LEVEL'], fallback: 'info' },
  webhookSecretKey: { env: ['PLUMB_WEBHOOK_SECRET_KEY', 'MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY'] },
  webhookAllowedSchemes: { env: ['MLFLOW_WEBHOOK_ALLOWED_SCHEMES'], fallback: 'https' },
  webhookAllowedHosts: { env: ['PLUMB_WEBHOOK_ALLOWED_HOSTS'], fallback: '' },
  webhookRequestTimeout: { env: ['MLFLOW_WEBHOOK_REQUEST_TIMEOUT'], fallback: 30 },
  webhookMaxRetries: { env: ['MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES'], fallback: 3 },
  webhookRetryBaseMs: { env: ['PLUMB_WEBHOOK_RETRY_BASE_MS'], fallback: 1000 },
  webhookPollIntervalMs: { env: ['PLUMB_WEBHOOK_POLL_INTERVAL_MS'], fallback: 1000 },
  webhookMaxWorkers: { env: ['MLFLOW_WEBHOOK_DELIVERY_MAX_WORKERS'], fallback: 10 },
  nodeHeartbeatMs: { env: ['PLUMB_NODE_HEARTBEAT_MS'], fallback: 5000 },
  writeQueueRows: { env: ['PLUMB_WRITE_QUEUE_ROWS'], fallback: 200_000 },
  strictConfig: { flag: 'strictConfig', env: ['PLUMB_STRICT_CONFIG'], fallback: false },
  uiDir: { env: ['PLUMB_UI_DIR'] },
  metrics: { flag: 'metrics', env: ['PLUMB_METRICS'], fallback: false },
  metricsPort: { flag: 'metricsPort', env: ['PLUMB_METRICS_PORT'] },
  exposePrometheus: { flag: 'exposePrometheus', env: [] },
  slowRequestMs: { env: ['PLUMB_SLOW_REQUEST_MS'], fallback: 1000 },
  allowedClientVersions: { flag: 'allowedClientVersions', env: ['PLUMB_ALLOWED_CLIENT_VERSIONS'] },
  clientVersionPolicy: { flag: 'clientVersionPolicy', env: ['PLUMB_CLIENT_VERSION_POLICY'], fallback: 'warn' },
  rejectUnrecognisedClients: {
    flag: 'rejectUnrecognisedClients',
    env: ['PLUMB_REJECT_UNRECOGNISED_CLIENTS'],
    fallback: false,
  },
  clientWarnIntervalMs: { env: ['PLUMB_CLIENT_WARN_INTERVAL_MS'], fallback: 3_600_000 },
};

function parseStoreUri(uri: string, cwd: string): StoreConfig | string {
  const match = /^sqlite:\/\/(\/?)(.*)$/.exec(uri);
  if (match) {
    const rest = match[2] ?? '';
    if (rest === '' || rest === ':memory:') return { kind: 'sqlite', uri, path: ':memory:' };
    // sqlite:///rel.db is relative to the working directory; sqlite:////abs.db is absolute (as SQLAlchemy reads them).
    const path = isAbsolute(rest) ? rest : resolve(cwd, rest);
    return { kind: 'sqlite', uri, path };
  }
  if (/^(postgresql|postgres)(\+\w+)?:\/\//.test(uri)) return parsePostgresUri(uri);
  if (MYSQL_URI.test(uri)) return parseMysqlUri(uri, redactUri(uri));
  return `backend store URI '${redactUri(uri)}' is not a recognised database URI (expected sqlite:///<file>)`;
}

/** Query parameters Plumb reads itself (SQLAlchemy's engine options live outside the URI): positive integers. */
const POSTGRES_POOL_PARAMS = {
  pool_size: 'poolSize',
  idle_timeout_ms: 'idleTimeoutMs',
  statement_timeout_ms: 'statementTimeoutMs',
} as const;

/**
 * postgresql://, postgres:// and SQLAlchemy's postgresql+<driver>:// (psycopg2, psycopg, pg8000…),
 * as MLflow users have them in their configs: the driver suffix names a Python driver and is dropped.
 */
function parsePostgresUri(uri: string): PostgresStoreConfig | string {
  let url: URL;
  try {
    url = new URL(uri.replace(/^[a-z]+(\+\w+)?:/, 'postgresql:'));
  } catch {
    return `backend store URI '${redactUri(uri)}' is not a valid PostgreSQL URI (expected postgresql://user:password@host:port/database)`;
  }
  if (url.pathname === '' || url.pathname === '/') {
    return `backend store URI '${redactUri(uri)}' names no database (expected postgresql://user:password@host:port/database)`;
  }
  const pool: { -readonly [K in (typeof POSTGRES_POOL_PARAMS)[keyof typeof POSTGRES_POOL_PARAMS]]?: number } = {};
  for (const [param, key] of Object.entries(POSTGRES_POOL_PARAMS)) {
    const value = url.searchParams.get(param);
    if (value === null) continue;
    if (!/^[1-9]\d{0,8}$/.test(value))
      return `backend store URI parameter ${param} must be a positive integer (got '${value}')`;
    pool[key] = Number(value);
    url.searchParams.delete(param);
  }
  return { kind: 'postgres', uri, connectionString: url.toString(), ...pool };
}

const SECRET_QUERY_KEY = /pass|pwd|secret|token|sig|credential|key/i;
/** `scheme://`: a URI with an authority (host, maybe user info), as opposed to a local path. */
const SCHEME_AUTHORITY = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//;
/** Any `scheme:` prefix, `mlflow-artifacts:/` included. */
const URI_SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;

/**
 * The URI as it may be logged: the password of its user info and the values of query parameters
 * that look secret (password, sig, X-Amz-Credential, …) become `***`. A password with an
 * unencoded '/' or '@' is masked whole: user info runs to the last '@' before the query.
 */
export function redactUri(uri: string): string {
  const scheme = SCHEME_AUTHORITY.exec(uri);
  if (!scheme) return uri;
  const queryAt = uri.search(/[?#]/);
  let head = queryAt < 0 ? uri : uri.slice(0, queryAt);
  const tail = queryAt < 0 ? '' : uri.slice(queryAt);
  const at = head.lastIndexOf('@');
  const userInfo = at < 0 ? '' : head.slice(scheme[0].length, at);
  const colon = userInfo.indexOf(':');
  if (colon >= 0 && !userInfo.slice(0, colon).includes('/')) {
    head = `${scheme[0]}${userInfo.slice(0, colon)}:***${head.slice(at)}`;
  }
  const query = tail.replace(/([?&;])([^=&;#]*)=([^&;#]*)/g, (whole, sep: string, key: string) =>
    SECRET_QUERY_KEY.test(key) ? `${sep}${key}=***` : whole,
  );
  return head + query;
}

/** MLflow's resolve_uri_if_local: a relative local path becomes absolute; a URI stays as given. */
function resolveArtifactRoot(root: string, cwd: string): string {
  return URI_SCHEME.test(root) ? root : resolve(cwd, root);
}

/** The raw values remote artifact stores need; invalid ones were reported already and are left out. */
function artifactStoreEnv(input: Record<string, unknown>): Parameters<typeof parseArtifactStoreUri>[1] {
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const flag = (v: unknown) => {
    const parsed = z.union([z.boolean(), bool]).safeParse(v);
    return parsed.success ? parsed.data : undefined;
  };
  return {
    s3EndpointUrl: text(input.s3EndpointUrl),
    s3Region: text(input.s3Region),
    s3ForcePathStyle: flag(input.s3ForcePathStyle),
    azureConnectionString: text(input.azureConnectionString),
    azureAccountKey: text(input.azureAccountKey),
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, flags: ConfigFlags = {}, cwd = process.cwd()): Config {
  const input: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  for (const [name, source] of Object.entries(SOURCES)) {
    const flagValue = source.flag ? flags[source.flag] : undefined;
    const envName = source.env.find((e) => env[e] !== undefined && env[e] !== '');
    if (flagValue !== undefined) {
      input[name] = flagValue;
      origin[name] = `--${source.flag?.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    } else if (envName) {
      input[name] = env[envName];
      origin[name] = envName;
    } else input[name] = source.fallback;
  }
  const parsed = Raw.safeParse(input);
  const problems: string[] = [];
  const invalid = new Set<string>();
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0]);
      invalid.add(key);
      problems.push(`${origin[key] ?? key}: ${issue.message} (got ${JSON.stringify(input[key])})`);
    }
  }
  // The values zod accepted are checked further even when others failed: every problem at once.
  const uri = input.backendStoreUri;
  const store = typeof uri === 'string' && !invalid.has('backendStoreUri') ? parseStoreUri(uri, cwd) : undefined;
  if (typeof store === 'string') problems.push(`${origin.backendStoreUri ?? 'backendStoreUri'}: ${store}`);
  const target = input.artifactsDestination;
  const destination =
    typeof target === 'string' && !invalid.has('artifactsDestination')
      ? parseArtifactStoreUri(target, artifactStoreEnv(input), cwd)
      : undefined;
  if (typeof destination === 'string') {
    problems.push(
      `${origin.artifactsDestination ?? 'artifactsDestination'}: artifacts destination '${redactUri(String(target))}' ${destination}`,
    );
  }
  const hotUri = input.artifactsHot;
  const hotPath =
    typeof hotUri === 'string' && hotUri !== '' && !invalid.has('artifactsHot') ? parseHotTier(hotUri, cwd) : undefined;
  if (typeof hotPath === 'object') problems.push(`${origin.artifactsHot ?? 'artifactsHot'}: ${hotPath.problem}`);
  const { tracing, problems: tracingProblems } = tracingFromEnv(env);
  problems.push(...tracingProblems);
  if (
    !parsed.success ||
    typeof store !== 'object' ||
    typeof destination !== 'object' ||
    typeof hotPath === 'object' ||
    tracingProblems.length > 0
  ) {
    throw new ConfigError(problems);
  }
  const raw = parsed.data;
  const defaultArtifactRoot = raw.defaultArtifactRoot
    ? resolveArtifactRoot(raw.defaultArtifactRoot, cwd)
    : raw.serveArtifacts
      ? 'mlflow-artifacts:/'
      : resolve(cwd, 'mlruns');
  return {
    store,
    artifacts: {
      defaultArtifactRoot,
      destination,
      serveArtifacts: raw.serveArtifacts,
      allowOverwriteFinishedRuns: raw.allowOverwriteFinishedRuns,
      ...(hotPath === undefined ? {} : { hot: hotTierOf(hotPath, raw) }),
    },
    server: { host: raw.host, port: raw.port, ...(raw.uiDir ? { uiDir: resolve(cwd, raw.uiDir) } : {}) },
    tracking: { truncateLongValues: raw.truncateLongValues, writeQueueRows: raw.writeQueueRows },
    webhooks: {
      secretKey: raw.webhookSecretKey === undefined ? undefined : decodeSecretKey(raw.webhookSecretKey),
      allowedSchemes: list(raw.webhookAllowedSchemes),
      allowedHosts: list(raw.webhookAllowedHosts),
      requestTimeoutMs: raw.webhookRequestTimeout * 1000,
      maxRetries: raw.webhookMaxRetries,
      retryBaseMs: raw.webhookRetryBaseMs,
      pollIntervalMs: raw.webhookPollIntervalMs,
      maxWorkers: raw.webhookMaxWorkers,
    },
    nodes: { heartbeatMs: raw.nodeHeartbeatMs, strictConfig: raw.strictConfig },
    telemetry: {
      // Either MLflow's --expose-prometheus or a metrics port asks for metrics as well.
      metrics: {
        enabled: raw.metrics || raw.metricsPort !== undefined || raw.exposePrometheus !== undefined,
        port: raw.metricsPort,
      },
      exposePrometheusDir: raw.exposePrometheus,
      tracing,
      slowRequestMs: raw.slowRequestMs,
      clientVersions: {
        allowed: raw.allowedClientVersions,
        policy: raw.clientVersionPolicy,
        rejectUnrecognised: raw.rejectUnrecognisedClients,
        warnIntervalMs: raw.clientWarnIntervalMs,
      },
    },
    logLevel: raw.logLevel,
  };
}

/** A hot tier is a local directory: `file:///abs`, or a path (relative to the working directory). */
function parseHotTier(value: string, cwd: string): string | { problem: string } {
  if (value.startsWith('file://')) {
    const path = value.slice('file://'.length);
    if (!isAbsolute(path)) return { problem: `hot tier '${value}' must be file:///<absolute path>` };
    return path;
  }
  if (URI_SCHEME.test(value)) {
    return { problem: `hot tier '${redactUri(value)}' must be a local directory (file:///path), not a remote store` };
  }
  return resolve(cwd, value);
}

function hotTierOf(path: string, raw: z.infer<typeof Raw>): HotTierConfig {
  return {
    path,
    shared: raw.artifactsHotShared,
    maxAgeMs: raw.artifactsHotMaxAgeHours * 3_600_000,
    budgetBytes: raw.artifactsHotBudgetBytes,
    intervalMs: raw.artifactsTierIntervalMs,
    leaseMs: raw.artifactsTierLeaseMs,
    pins: {
      runIds: listCased(raw.artifactsHotPinRuns),
      experimentIds: listCased(raw.artifactsHotPinExperiments),
      models: listCased(raw.artifactsHotPinModels).map((m) => {
        const at = m.lastIndexOf('@');
        return { name: m.slice(0, at), alias: m.slice(at + 1) };
      }),
    },
    testCrashAt: raw.testTierCrashAt,
  };
}

/** The effective configuration as it may be logged: credentials in URIs are masked. */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    store: {
      ...config.store,
      uri: redactUri(config.store.uri),
      ...('connectionString' in config.store ? { connectionString: redactUri(config.store.connectionString) } : {}),
    },
    artifacts: {
      ...config.artifacts,
      defaultArtifactRoot: redactUri(config.artifacts.defaultArtifactRoot),
      destination: {
        ...config.artifacts.destination,
        uri: redactUri(config.artifacts.destination.uri),
        ...('connectionString' in config.artifacts.destination && config.artifacts.destination.connectionString
          ? { connectionString: '***' }
          : {}),
        ...('accountKey' in config.artifacts.destination && config.artifacts.destination.accountKey
          ? { accountKey: '***' }
          : {}),
      },
    },
    server: config.server,
    tracking: config.tracking,
    webhooks: { ...config.webhooks, secretKey: config.webhooks.secretKey ? '***' : undefined },
    nodes: config.nodes,
    telemetry: {
      ...config.telemetry,
      tracing: config.telemetry.tracing && {
        ...config.telemetry.tracing,
        endpoint: redactUri(config.telemetry.tracing.endpoint),
        headers: Object.fromEntries(Object.keys(config.telemetry.tracing.headers).map((k) => [k, '***'])),
      },
    },
    logLevel: config.logLevel,
  };
}
