/**
 * Fixtures for endpoints that later issues implement. The replay still runs them, marked `todo`, so
 * the reporter shows how far each issue has got; delete an issue's entries (and its scope) when it
 * lands. Membership follows the request's endpoint, not the fixture's label: `071-artifact-upload`
 * is a runs/get call the client makes before uploading and must pass today.
 */
import type { WireFixture } from './fixtures.ts';

/** Issues with fixtures still pending: none now. Add `const X = 'issue N "…"'` and `typeof X` here when one comes. */
type Issue = never;

/** Endpoints each issue owns: a prefix when it ends in `/`, else an exact path. */
const SCOPES: ReadonlyMap<Issue, readonly string[]> = new Map<Issue, readonly string[]>();

export interface PendingFixture {
  readonly fixture: string;
  readonly issue: Issue;
}

export const PENDING: readonly PendingFixture[] = [];

const byFixture = new Map(PENDING.map((p) => [p.fixture, p.issue]));

/** The issue that implements this fixture's endpoint, or undefined when it must pass now. */
export function pendingIssue(fixture: WireFixture): Issue | undefined {
  return byFixture.get(fixture.file);
}

function scopeOf(path: string): Issue | undefined {
  const inScope = (entry: string) => (entry.endsWith('/') ? path.startsWith(entry) : path === entry);
  return [...SCOPES].find(([, entries]) => entries.some(inScope))?.[0];
}

/**
 * Problems with PENDING against the fixtures on disk: entries naming a missing fixture or the wrong
 * issue, and fixtures of a pending endpoint that the list forgot. Empty when the list is right.
 */
export function checkPending(fixtures: readonly WireFixture[]): string[] {
  const problems: string[] = [];
  const files = new Set(fixtures.map((f) => f.file));
  for (const { fixture } of PENDING) if (!files.has(fixture)) problems.push(`${fixture}: listed but no such fixture`);
  for (const f of fixtures) {
    const scope = scopeOf(f.request.path);
    const listed = byFixture.get(f.file);
    if (listed === scope) continue;
    const endpoint = `${f.request.method} ${f.request.path}`;
    problems.push(
      scope === undefined
        ? `${f.file}: listed for ${listed} but ${endpoint} is no pending endpoint`
        : `${f.file}: ${endpoint} belongs to ${scope} but is ${listed === undefined ? 'not listed' : `listed for ${listed}`}`,
    );
  }
  return problems;
}
