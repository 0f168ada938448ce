import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * The only reader of process.env. Flags (from the CLI) override environment variables; MLflow's
 * variable names are honoured where MLflow has one, PLUMB_* otherwise. Every bad setting is
 * reported at once.
 */
export interface Config {
  readonly store: StoreConfig;
  readonly artifacts: ArtifactsConfig;
  readonly server: ServerConfig;
  readonly tracking: { readonly truncateLongValues: boolean };
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export type StoreConfig = { readonly kind: 'sqlite'; readonly uri: string; readonly path: string };

export interface ArtifactsConfig {
  /** Root that new experiments' artifact locations are derived from. */
  readonly defaultArtifactRoot: string;
  /** Where the proxied artifact service stores files. */
  readonly destination: string;
  readonly serveArtifacts: boolean;
}

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
}

export interface ConfigFlags {
  backendStoreUri?: string | undefined;
  defaultArtifactRoot?: string | undefined;
  artifactsDestination?: string | undefined;
  serveArtifacts?: boolean | undefined;
  host?: string | undefined;
  port?: string | number | undefined;
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
  host: z.string().min(1, 'must not be empty'),
  port: z.coerce.number().int('must be an integer').min(0).max(65535),
  truncateLongValues: z.union([z.boolean(), bool]),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
});

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
  host: { flag: 'host', env: ['MLFLOW_HOST', 'PLUMB_HOST'], fallback: '127.0.0.1' },
  port: { flag: 'port', env: ['MLFLOW_PORT', 'PLUMB_PORT'], fallback: 5000 },
  truncateLongValues: { env: ['MLFLOW_TRUNCATE_LONG_VALUES', 'PLUMB_TRUNCATE_LONG_VALUES'], fallback: true },
  logLevel: { env: ['PLUMB_LOG_LEVEL'], fallback: 'info' },
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
  if (/^(postgresql|postgres|mysql)(\+\w+)?:\/\//.test(uri)) {
    return `backend store '${redactUri(uri)}' is not supported by this release: use sqlite:///<file>`;
  }
  return `backend store URI '${redactUri(uri)}' is not a recognised database URI (expected sqlite:///<file>)`;
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

/** Where proxied artifacts are stored: a local path or a file: URI (the only kind this release serves). */
function parseArtifactsDestination(value: string, cwd: string): string | { problem: string } {
  if (value.startsWith('file:')) {
    try {
      return fileURLToPath(value);
    } catch {
      return { problem: `artifacts destination '${redactUri(value)}' is not a valid file: URI` };
    }
  }
  if (SCHEME_AUTHORITY.test(value)) {
    return {
      problem: `artifacts destination '${redactUri(value)}' is not supported by this release: use a local path`,
    };
  }
  return resolve(cwd, value);
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
      ? parseArtifactsDestination(target, cwd)
      : undefined;
  if (typeof destination === 'object') {
    problems.push(`${origin.artifactsDestination ?? 'artifactsDestination'}: ${destination.problem}`);
  }
  if (!parsed.success || typeof store !== 'object' || typeof destination !== 'string') {
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
    artifacts: { defaultArtifactRoot, destination, serveArtifacts: raw.serveArtifacts },
    server: { host: raw.host, port: raw.port },
    tracking: { truncateLongValues: raw.truncateLongValues },
    logLevel: raw.logLevel,
  };
}

/** The effective configuration as it may be logged: credentials in URIs are masked. */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    store: { ...config.store, uri: redactUri(config.store.uri) },
    artifacts: {
      ...config.artifacts,
      defaultArtifactRoot: redactUri(config.artifacts.defaultArtifactRoot),
      destination: redactUri(config.artifacts.destination),
    },
    server: config.server,
    tracking: config.tracking,
    logLevel: config.logLevel,
  };
}
