import semver from 'semver';
import { MlflowError } from '../core/errors.ts';
import type { ClientVersionSeen } from '../store/node-registry-store.ts';
import { duration, type Finding, instant, plural, where } from './finding.ts';

/** The releases allowed per client name, e.g. mlflow-python-client → `>=2.20 <4`. */
export type AllowedClients = ReadonlyMap<string, string>;

/**
 * `mlflow-python-client >=2.20 <4; mlflow-java-client >=2.16`: entries separated by `;`, each a
 * client name (the User-Agent's product token) and an npm-style semver range. Throws
 * INVALID_PARAMETER_VALUE naming the entry that does not parse.
 */
export function parseAllowedClients(spec: string): AllowedClients {
  const allowed = new Map<string, string>();
  for (const entry of spec.split(';').map((e) => e.trim())) {
    if (entry === '') continue;
    const match = /^(\S+)\s+(.+)$/.exec(entry);
    const range = match ? semver.validRange(match[2]!.trim()) : null;
    if (!match || range === null) {
      throw MlflowError.invalidParameter(
        `'${entry}' is not '<client> <version range>', e.g. 'mlflow-python-client >=2.20 <4'`,
      );
    }
    allowed.set(match[1]!, range);
  }
  if (allowed.size === 0) throw MlflowError.invalidParameter('the allowed client list is empty');
  return allowed;
}

/**
 * Whether a reported version is in the range. Python releases are PEP 440 (`3.11.2.dev0`,
 * `2.9.0rc1`): read as their semver core, so a dev or rc build counts as its release.
 */
export function versionAllowed(version: string, range: string): boolean {
  const release = semver.coerce(version);
  return release !== null && semver.satisfies(release, range, { includePrerelease: true });
}

/** The `config.clients` listing and, with an allowed list, `config.client-out-of-range`. */
export function clientFindings(
  seen: readonly ClientVersionSeen[],
  options: { withinMs: number; allowed?: AllowedClients | undefined; cap: number },
): Finding[] {
  if (seen.length === 0) {
    return [
      {
        id: 'config.no-clients',
        severity: 'info',
        summary: `No client requests were recorded in the last ${duration(options.withinMs)}.`,
        repair: 'None: servers record client versions from User-Agent at each heartbeat.',
        fixable: false,
      },
    ];
  }
  const describe = (c: ClientVersionSeen) =>
    `${c.client} ${c.version}: ${plural(c.requests, 'request')}, last ${instant(c.lastSeen)}`;
  const findings: Finding[] = [
    {
      id: 'config.clients',
      severity: 'info',
      summary: `${plural(seen.length, 'client version')} seen in the last ${duration(options.withinMs)}.`,
      where: where('client version (User-Agent)', seen.map(describe), seen.length, options.cap),
      repair: 'None needed.',
      fixable: false,
    },
  ];
  const allowed = options.allowed;
  if (!allowed) return findings;
  const outside = seen.filter((c) => {
    const range = allowed.get(c.client);
    return range !== undefined && !versionAllowed(c.version, range);
  });
  if (outside.length > 0) {
    const names = [...new Set(outside.map((c) => c.client))];
    findings.push({
      id: 'config.client-out-of-range',
      severity: 'error',
      summary: `${plural(outside.length, 'client version')} outside the allowed range talked to the servers in the last ${duration(options.withinMs)}.`,
      where: where(
        'client version: allowed range',
        outside.map((c) => `${describe(c)} (allowed ${allowed.get(c.client)})`),
        outside.length,
        options.cap,
      ),
      repair: `Upgrade those clients into the allowed range (${names.map((n) => `${n} ${allowed.get(n)}`).join('; ')}), e.g. \`pip install -U mlflow\`, or widen --allowed-clients if the versions are fine.`,
      fixable: false,
    });
  }
  return findings;
}
