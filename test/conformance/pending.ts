/**
 * Fixtures for endpoints that later issues implement. The replay still runs them, marked `todo`, so
 * the reporter shows how far each issue has got; delete an issue's entries (and its scope) when it
 * lands. Membership follows the request's endpoint, not the fixture's label: `071-artifact-upload`
 * is a runs/get call the client makes before uploading and must pass today.
 */
import type { WireFixture } from './fixtures.ts';

const MODEL_REGISTRY = 'issue 4 "Model registry"';
type Issue = typeof MODEL_REGISTRY;

/** Endpoints each issue owns: a prefix when it ends in `/`, else an exact path. */
const SCOPES: Readonly<Record<Issue, readonly string[]>> = {
  [MODEL_REGISTRY]: [
    '/api/2.0/mlflow/registered-models/',
    '/api/2.0/mlflow/model-versions/',
    '/api/2.0/mlflow/logged-models/',
  ],
};

export interface PendingFixture {
  readonly fixture: string;
  readonly issue: Issue;
}

export const PENDING: readonly PendingFixture[] = [
  { fixture: '079-artifact-list-subdir-4.json', issue: MODEL_REGISTRY },
  { fixture: '085-artifact-download-5.json', issue: MODEL_REGISTRY },
  { fixture: '087-rm-create.json', issue: MODEL_REGISTRY },
  { fixture: '088-rm-create-duplicate-ERROR.json', issue: MODEL_REGISTRY },
  { fixture: '089-rm-get.json', issue: MODEL_REGISTRY },
  { fixture: '090-rm-get-nonexistent-ERROR.json', issue: MODEL_REGISTRY },
  { fixture: '091-rm-update-description.json', issue: MODEL_REGISTRY },
  { fixture: '092-rm-update-description-2.json', issue: MODEL_REGISTRY },
  { fixture: '093-rm-set-tag.json', issue: MODEL_REGISTRY },
  { fixture: '094-rm-set-tag-2.json', issue: MODEL_REGISTRY },
  { fixture: '095-rm-delete-tag.json', issue: MODEL_REGISTRY },
  { fixture: '096-rm-delete-tag-2.json', issue: MODEL_REGISTRY },
  { fixture: '097-mv-create-1.json', issue: MODEL_REGISTRY },
  { fixture: '098-mv-create-2.json', issue: MODEL_REGISTRY },
  { fixture: '099-mv-get.json', issue: MODEL_REGISTRY },
  { fixture: '100-mv-get-nonexistent-ERROR.json', issue: MODEL_REGISTRY },
  { fixture: '101-mv-update-description.json', issue: MODEL_REGISTRY },
  { fixture: '102-mv-update-description-2.json', issue: MODEL_REGISTRY },
  { fixture: '103-mv-set-tag.json', issue: MODEL_REGISTRY },
  { fixture: '104-mv-set-tag-2.json', issue: MODEL_REGISTRY },
  { fixture: '105-mv-delete-tag.json', issue: MODEL_REGISTRY },
  { fixture: '106-mv-delete-tag-2.json', issue: MODEL_REGISTRY },
  { fixture: '107-mv-get-download-uri.json', issue: MODEL_REGISTRY },
  { fixture: '108-mv-get-download-uri-2.json', issue: MODEL_REGISTRY },
  { fixture: '109-alias-set.json', issue: MODEL_REGISTRY },
  { fixture: '110-alias-set-2.json', issue: MODEL_REGISTRY },
  { fixture: '111-alias-get-version.json', issue: MODEL_REGISTRY },
  { fixture: '112-alias-get-missing-ERROR.json', issue: MODEL_REGISTRY },
  { fixture: '113-mv-transition-staging.json', issue: MODEL_REGISTRY },
  { fixture: '114-mv-transition-staging-2.json', issue: MODEL_REGISTRY },
  { fixture: '115-mv-transition-production-archive-existing.json', issue: MODEL_REGISTRY },
  { fixture: '116-mv-transition-production-archive-existing-2.json', issue: MODEL_REGISTRY },
  { fixture: '117-mv-transition-bad-stage-ERROR.json', issue: MODEL_REGISTRY },
  { fixture: '118-rm-get-latest-versions.json', issue: MODEL_REGISTRY },
  { fixture: '119-rm-get-latest-versions-2.json', issue: MODEL_REGISTRY },
  { fixture: '120-setup-14.json', issue: MODEL_REGISTRY },
  { fixture: '121-setup-15.json', issue: MODEL_REGISTRY },
  { fixture: '122-rm-search-filter-order-page1.json', issue: MODEL_REGISTRY },
  { fixture: '123-setup-16.json', issue: MODEL_REGISTRY },
  { fixture: '124-rm-search-page2.json', issue: MODEL_REGISTRY },
  { fixture: '125-rm-search-bad-filter-ERROR.json', issue: MODEL_REGISTRY },
  { fixture: '126-mv-search.json', issue: MODEL_REGISTRY },
  { fixture: '127-mv-search-by-run.json', issue: MODEL_REGISTRY },
  { fixture: '128-mv-search-bad-filter-ERROR.json', issue: MODEL_REGISTRY },
  { fixture: '129-alias-delete.json', issue: MODEL_REGISTRY },
  { fixture: '130-alias-delete-2.json', issue: MODEL_REGISTRY },
  { fixture: '131-rm-rename.json', issue: MODEL_REGISTRY },
  { fixture: '132-rm-rename-2.json', issue: MODEL_REGISTRY },
  { fixture: '133-mv-delete.json', issue: MODEL_REGISTRY },
  { fixture: '134-mv-delete-2.json', issue: MODEL_REGISTRY },
  { fixture: '135-rm-delete.json', issue: MODEL_REGISTRY },
  { fixture: '136-rm-delete-2.json', issue: MODEL_REGISTRY },
  { fixture: '137-rm-get-after-delete-ERROR.json', issue: MODEL_REGISTRY },
];

const byFixture = new Map(PENDING.map((p) => [p.fixture, p.issue]));

/** The issue that implements this fixture's endpoint, or undefined when it must pass now. */
export function pendingIssue(fixture: WireFixture): Issue | undefined {
  return byFixture.get(fixture.file);
}

function scopeOf(path: string): Issue | undefined {
  const inScope = (entry: string) => (entry.endsWith('/') ? path.startsWith(entry) : path === entry);
  return (Object.keys(SCOPES) as Issue[]).find((issue) => SCOPES[issue].some(inScope));
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
