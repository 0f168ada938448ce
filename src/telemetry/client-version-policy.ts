import semver from 'semver';
import { MlflowError } from '../core/errors.ts';
import { clientOfUserAgent } from '../doctor/client-sightings.ts';
import { versionAllowed } from '../doctor/client-versions.ts';

/**
 * `--allowed-client-versions`: `;`-separated entries, each either a bare npm-style range, which
 * applies to every MLflow client (`mlflow-python-client`, `mlflow-java-client`, `mlflow-r-client`…),
 * or `<client> <range>` for one client by its User-Agent product name (`plumb-ts-client >=0.3`).
 * Plumb's own client follows its own release numbers, so a bare range never applies to it.
 */
export interface ClientVersionRules {
  readonly mlflow?: string | undefined;
  readonly byClient: ReadonlyMap<string, string>;
  /** The spec as given, for messages. */
  readonly spec: string;
}

export const PLUMB_CLIENT = 'plumb-ts-client';
const MLFLOW_CLIENT = /^mlflow-[a-z0-9-]*client$/i;

/** Returns the rules, or a message naming the entry that is not a range. */
export function parseClientVersionRules(spec: string): ClientVersionRules | string {
  let mlflow: string | undefined;
  const byClient = new Map<string, string>();
  for (const entry of spec.split(';').map((e) => e.trim())) {
    if (entry === '') continue;
    const [first = '', ...rest] = entry.split(/\s+/);
    // `>=2.16 <4` is bare; `plumb-ts-client >=0.3` starts with a word that is no range itself.
    if (semver.validRange(first) !== null) {
      if (semver.validRange(entry) === null) return `'${entry}' is not a version range (e.g. '>=2.16 <4')`;
      mlflow = entry;
      continue;
    }
    const range = rest.join(' ');
    if (!/^[A-Za-z][A-Za-z0-9._-]*$/.test(first) || range === '' || semver.validRange(range) === null) {
      return `'${entry}' is neither a version range (e.g. '>=2.16 <4') nor '<client> <range>' (e.g. 'plumb-ts-client >=0.3')`;
    }
    byClient.set(first, range);
  }
  if (mlflow === undefined && byClient.size === 0) return 'names no version range';
  return { mlflow, byClient, spec: spec.trim() };
}

/**
 * allowed / outside: a client the rules cover, inside or outside its range. unchecked: an MLflow
 * or Plumb client no rule covers. unrecognised: anything else (browsers, curl, no User-Agent).
 */
export type ClientVerdict = 'allowed' | 'outside' | 'unchecked' | 'unrecognised';

export interface ClientCheck {
  readonly client: string;
  readonly version: string;
  readonly verdict: ClientVerdict;
  /** The range that decided, for allowed and outside. */
  readonly range?: string | undefined;
}

export function checkClient(userAgent: string | undefined, rules: ClientVersionRules | undefined): ClientCheck {
  const { client, version } = clientOfUserAgent(userAgent);
  const recognised = MLFLOW_CLIENT.test(client) || client === PLUMB_CLIENT;
  const range = rules?.byClient.get(client) ?? (MLFLOW_CLIENT.test(client) ? rules?.mlflow : undefined);
  if (range === undefined) return { client, version, verdict: recognised ? 'unchecked' : 'unrecognised' };
  return { client, version, verdict: versionAllowed(version, range) ? 'allowed' : 'outside', range };
}

interface WarnLogger {
  warn(details: object, message: string): void;
}

export interface ClientPolicySettings {
  readonly rules?: ClientVersionRules | undefined;
  /** warn: log (once per client version per `warnIntervalMs`) and serve; reject: answer 403. */
  readonly mode: 'warn' | 'reject';
  /** Also refuse requests from clients that are neither MLflow's nor Plumb's (browsers, curl). */
  readonly rejectUnrecognised: boolean;
  readonly warnIntervalMs: number;
}

/** Verdicts remembered per User-Agent string at most: past it the cache starts over. */
const MAX_CACHED_AGENTS = 1024;

/**
 * The per-request check. A verdict is computed once per distinct User-Agent (semver parsing is
 * far dearer than a map lookup), and warnings are rate-limited per client version so that a
 * busy old client produces a line per interval, not per request.
 */
export class ClientVersionPolicy {
  private readonly verdicts = new Map<string, ClientCheck>();
  private readonly warnedAt = new Map<string, number>();

  constructor(
    private readonly settings: ClientPolicySettings,
    private readonly deps: { logger: WarnLogger; now: () => number },
  ) {}

  /** The client's verdict, and the error to answer with when the policy refuses it. */
  evaluate(userAgent: string | undefined): { check: ClientCheck; refusal?: MlflowError } {
    const key = userAgent ?? '';
    let check = this.verdicts.get(key);
    if (check === undefined) {
      if (this.verdicts.size >= MAX_CACHED_AGENTS) this.verdicts.clear();
      check = checkClient(userAgent, this.settings.rules);
      this.verdicts.set(key, check);
    }
    if (check.verdict === 'outside') {
      if (this.settings.mode === 'reject') {
        const refusal = new MlflowError(
          'PERMISSION_DENIED',
          `This server accepts ${check.client} versions '${check.range}' only; this client is ${check.version}. Upgrade (or downgrade) the client into that range (--allowed-client-versions '${this.settings.rules?.spec}').`,
        );
        return { check, refusal };
      }
      this.warnOnce(check);
    } else if (check.verdict === 'unrecognised' && this.settings.rejectUnrecognised) {
      const refusal = new MlflowError(
        'PERMISSION_DENIED',
        `This server accepts requests from MLflow and Plumb clients only (User-Agent ${check.client === '(none)' ? 'missing' : `'${check.client}'`}).`,
      );
      return { check, refusal };
    }
    return { check };
  }

  private warnOnce(result: ClientCheck): void {
    const key = `${result.client}/${result.version}`;
    const now = this.deps.now();
    const last = this.warnedAt.get(key);
    if (last !== undefined && now - last < this.settings.warnIntervalMs) return;
    if (this.warnedAt.size >= MAX_CACHED_AGENTS) this.warnedAt.clear();
    this.warnedAt.set(key, now);
    this.deps.logger.warn(
      { client: result.client, clientVersion: result.version, allowed: result.range },
      'client version outside the allowed range',
    );
  }
}
