/**
 * Replays every recorded MLflow client call (../shared/fixtures/mlflow-wire) against a live Plumb
 * server over real HTTP, in recording order, and compares each answer with MLflow's. One test per
 * fixture; they share one server because later calls use the runs and experiments earlier ones made.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer } from '../helpers/test-server.ts';
import { compareResponse, contentClass, formatDiffs, type LiveResponse } from './compare.ts';
import { describeRequest, FIXTURES_DIR, type Json, loadFixtures, type WireFixture } from './fixtures.ts';
import { checkPending, pendingIssue } from './pending.ts';
import { ReplayState } from './replay-state.ts';

let fixtures: WireFixture[] = [];
let loadError: unknown;
try {
  fixtures = loadFixtures();
} catch (error) {
  // Reported by the first test below rather than thrown here, which would abort every other test file.
  loadError = error;
}

const REQUEST_TIMEOUT_MS = 20_000;

async function send(baseUrl: string, target: string, init: RequestInit): Promise<LiveResponse> {
  const response = await fetch(baseUrl.replace(/\/$/, '') + target, {
    ...init,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: Buffer.from(await response.arrayBuffer()),
  };
}

function liveJson(live: LiveResponse): Json | undefined {
  if (contentClass(live.contentType) !== 'json') return undefined;
  try {
    return JSON.parse(live.body.toString('utf8')) as Json;
  } catch {
    return undefined;
  }
}

void describe('MLflow wire conformance: replay of the recorded client traffic', { concurrency: 1 }, () => {
  let server: Awaited<ReturnType<typeof startTestServer>> | undefined;
  const state = new ReplayState(fixtures);

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.close();
  });

  void it('loads the fixtures, and the pending list names exactly the fixtures of pending endpoints', (t) => {
    if (loadError !== undefined) throw loadError;
    t.diagnostic(`${fixtures.length} fixtures from ${FIXTURES_DIR}`);
    assert.ok(fixtures.length > 0);
    assert.deepEqual(checkPending(fixtures), []);
  });

  for (const fixture of fixtures) {
    const issue = pendingIssue(fixture);
    const options = { todo: issue === undefined ? false : `pending: ${issue}`, timeout: 2 * REQUEST_TIMEOUT_MS };
    void it(`${fixture.file} (${fixture.label})`, options, async (t) => {
      assert.ok(server, 'the test server did not start');
      const outgoing = state.request(fixture);
      const live = await send(server.baseUrl, outgoing.target, outgoing.init);
      // Compare before learning: a create call's ids must not be checked against themselves.
      const diffs = compareResponse(state.expected(fixture), live, {
        volatile: fixture.volatileResponse,
        pin: state.pinFor(fixture),
        // The only text whose content is not ours to match: MLflow's version string.
        text: fixture.request.path === '/version' ? 'non-empty' : 'exact',
      });
      // Learn even from a wrong answer, so one failure does not turn every later call into a 404.
      state.learn(fixture, liveJson(live));

      if (diffs.length > 0) {
        const context = [
          `${describeRequest(fixture.request)} (sent ${outgoing.init.method} ${outgoing.target}) → ${live.status}`,
          ...(fixture.note ? [`note: ${fixture.note}`] : []),
          ...outgoing.dangling.map((d) => `depends on an earlier failure: ${d}`),
        ];
        assert.fail(`${context.join('\n')}\n${formatDiffs(diffs)}`);
      }
      if (issue !== undefined) t.diagnostic(`passes now: remove ${fixture.file} from pending.ts`);
    });
  }
});
