/**
 * Revisions (ETag / If-Match / expected_revision) and the event log endpoint. The race test speaks
 * real HTTP to a listening server so that the two requests are truly in flight together.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { replayRegistryEvents } from '../../src/registry/registry-events.ts';
import { assertError, assertOk, range, uniqueName, useApi } from '../fixtures/builders.ts';
import {
  aModelVersion,
  aRegisteredModel,
  bodyOf,
  call,
  etagOf,
  eventsOf,
  getModel,
  getVersion,
  transition,
} from '../fixtures/registry-builders.ts';
import { startTestServer } from '../helpers/test-server.ts';

void describe('registry revisions', () => {
  const ctx = useApi();

  void it('counts every change: each write answers with the new revision as ETag', async () => {
    const name = await aRegisteredModel(ctx.api);
    const steps = [
      () => ctx.api.post('model-versions/create', { name, source: 's3://b/m' }),
      () => ctx.api.post('registered-models/set-tag', { name, key: 'k', value: 'v' }),
      () => ctx.api.post('registered-models/alias', { name, alias: 'a', version: '1' }),
      () => ctx.api.post('model-versions/transition-stage', { name, version: '1', stage: 'Staging' }),
      () => ctx.api.post('model-versions/set-tag', { name, version: '1', key: 'k', value: 'v' }),
      () => call(ctx.api, 'PATCH', 'model-versions/update', { name, version: '1', description: 'd' }),
      () => call(ctx.api, 'PATCH', 'registered-models/update', { name, description: 'd' }),
    ];
    for (const [i, step] of steps.entries()) {
      const reply = await step();
      assertOk(reply);
      assert.equal(etagOf(reply), i + 2);
    }
    assert.equal(etagOf(await ctx.api.get('registered-models/get', { name })), steps.length + 1);
  });

  void it('does not count writes that change nothing', async () => {
    const name = await aRegisteredModel(ctx.api);
    await aModelVersion(ctx.api, name);
    assertOk(await ctx.api.post('registered-models/alias', { name, alias: 'a', version: '1' }));
    assertOk(await ctx.api.post('registered-models/set-tag', { name, key: 'k', value: 'v' }));
    const same = [
      await ctx.api.post('registered-models/alias', { name, alias: 'a', version: '1' }),
      await ctx.api.post('registered-models/set-tag', { name, key: 'k', value: 'v' }),
      await call(ctx.api, 'DELETE', 'registered-models/delete-tag', { name, key: 'absent' }),
      await call(ctx.api, 'DELETE', 'registered-models/alias', { name, alias: 'absent' }),
      await call(ctx.api, 'DELETE', 'model-versions/delete-tag', { name, version: '1', key: 'absent' }),
    ];
    for (const reply of same) assert.equal(etagOf(reply), 4);
  });

  void it('applies a write whose If-Match names the current revision, strong, weak or *', async () => {
    const name = await aRegisteredModel(ctx.api);
    await aModelVersion(ctx.api, name);
    const revision = etagOf(await ctx.api.get('registered-models/get', { name }));
    const set = (alias: string, ifMatch: string) =>
      call(ctx.api, 'POST', 'registered-models/alias', { name, alias, version: '1' }, { 'if-match': ifMatch });
    assert.equal(etagOf(await set('a', `"${revision}"`)), revision + 1);
    assert.equal(etagOf(await set('b', `W/"${revision + 1}"`)), revision + 2);
    assert.equal(etagOf(await set('c', '*')), revision + 3);
  });

  void it('refuses a write whose expected revision is stale with 409 RESOURCE_CONFLICT, changing nothing', async () => {
    const name = await aRegisteredModel(ctx.api);
    await aModelVersion(ctx.api, name);
    const stale = { 'if-match': '"1"' };
    const conflicts = [
      await call(ctx.api, 'POST', 'model-versions/create', { name, source: 's3://b/x' }, stale),
      await call(ctx.api, 'POST', 'registered-models/alias', { name, alias: 'a', version: '1' }, stale),
      await call(
        ctx.api,
        'POST',
        'model-versions/transition-stage',
        { name, version: '1', stage: 'Production' },
        stale,
      ),
      await call(ctx.api, 'PATCH', 'registered-models/update', { name, description: 'x' }, stale),
      await call(ctx.api, 'POST', 'registered-models/rename', { name, new_name: uniqueName('r') }, stale),
      await call(ctx.api, 'DELETE', 'registered-models/delete', { name }, stale),
      await call(ctx.api, 'DELETE', 'model-versions/delete', { name, version: '1' }, stale),
      await call(ctx.api, 'POST', 'model-versions/set-tag', { name, version: '1', key: 'k', value: 'v' }, stale),
      await ctx.api.post('registered-models/set-tag', { name, key: 'k', value: 'v', expected_revision: 1 }),
    ];
    for (const reply of conflicts)
      assertError(reply, 409, 'RESOURCE_CONFLICT', 'is at revision 2, not the expected revision 1');
    const model = await getModel(ctx.api, name);
    assert.deepEqual(
      [model.latest_versions?.length, model.aliases, model.tags, model.description],
      [1, undefined, undefined, undefined],
    );
    assert.equal((await getVersion(ctx.api, name, 1)).current_stage, 'None');
    assert.equal(etagOf(await ctx.api.get('registered-models/get', { name })), 2);
  });

  void it('takes expected_revision from the body too, and rejects malformed or contradicting values', async () => {
    const name = await aRegisteredModel(ctx.api);
    assertOk(await ctx.api.post('registered-models/set-tag', { name, key: 'k', value: 'v', expected_revision: 1 }));
    const contradicting = await call(
      ctx.api,
      'POST',
      'registered-models/set-tag',
      { name, key: 'k', value: 'w', expected_revision: 2 },
      { 'if-match': '"3"' },
    );
    assertError(contradicting, 400, 'INVALID_PARAMETER_VALUE', 'If-Match names revision 3 but expected_revision is 2');
    for (const header of ['abc', '"1", "2"', '"-1"', 'W/1x']) {
      const reply = await call(
        ctx.api,
        'POST',
        'registered-models/set-tag',
        { name, key: 'k', value: 'x' },
        { 'if-match': header },
      );
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'If-Match');
    }
    const negative = await ctx.api.post('registered-models/set-tag', {
      name,
      key: 'k',
      value: 'x',
      expected_revision: -1,
    });
    assertError(negative, 400, 'INVALID_PARAMETER_VALUE');
  });

  void describe('the event log (GET /api/2.0/plumb/registered-models/events)', () => {
    void it('lists every change with before, after, revision, actor and time, and replays to the model', async () => {
      const name = await aRegisteredModel(ctx.api, uniqueName('model'), { tags: [{ key: 't', value: '1' }] });
      const auth = { authorization: `Basic ${Buffer.from('alice:secret').toString('base64')}` };
      await call(ctx.api, 'POST', 'model-versions/create', { name, source: 's3://b/1' }, auth);
      await aModelVersion(ctx.api, name);
      await aModelVersion(ctx.api, name);
      await transition(ctx.api, name, 1, 'Production');
      await transition(ctx.api, name, 2, 'Production', true);
      assertOk(await ctx.api.post('registered-models/alias', { name, alias: 'champ', version: '1' }));
      assertOk(await ctx.api.post('registered-models/alias', { name, alias: 'champ', version: '2' }));
      assertOk(await ctx.api.post('model-versions/set-tag', { name, version: '3', key: 'x', value: 'y' }));
      assertOk(await call(ctx.api, 'DELETE', 'model-versions/delete', { name, version: '3' }));
      const events = await eventsOf(ctx.api, name);
      assert.deepEqual(
        events.map((e) => [e.revision, e.kind, e.version]),
        [
          [1, 'registered_model.created', undefined],
          [2, 'model_version.created', '1'],
          [3, 'model_version.created', '2'],
          [4, 'model_version.created', '3'],
          [5, 'model_version.stage_transitioned', '1'],
          [6, 'model_version.stage_transitioned', '2'],
          [7, 'alias.set', '1'],
          [8, 'alias.set', '2'],
          [9, 'model_version.tag_set', '3'],
          [10, 'model_version.deleted', '3'],
        ],
      );
      assert.equal(events[1]!.actor, 'alice');
      assert.equal(events[0]!.actor, undefined);
      assert.deepEqual(events[5]!.before, { current_stage: 'None' });
      assert.deepEqual(events[5]!.after, { current_stage: 'Production', archived_versions: ['1'] });
      assert.deepEqual(events[7]!.before, { alias: 'champ', version: '1' });
      assert.ok(events.every((e) => typeof e.time === 'number' && /^\d+$/.test(e.id)));

      const replayed = replayRegistryEvents(
        events.map((e) => ({
          id: Number(e.id),
          modelName: e.name,
          version: e.version === undefined ? null : Number(e.version),
          kind: e.kind as never,
          before: e.before ?? null,
          after: e.after ?? null,
          actor: e.actor ?? null,
          revision: e.revision,
          time: e.time,
        })),
      );
      const model = await getModel(ctx.api, name);
      assert.deepEqual(
        [...replayed.aliases],
        (model.aliases ?? []).map((a) => [a.alias, Number(a.version)]),
      );
      assert.deepEqual(
        [...replayed.versions].map(([v, s]) => [v, s.currentStage]),
        [
          [1, 'Archived'],
          [2, 'Production'],
        ],
      );
      assert.deepEqual(replayed.tags, { t: '1' });
    });

    void it('pages, follows renames, keeps a deleted model’s history, and answers 404 for a name never used', async () => {
      const name = await aRegisteredModel(ctx.api);
      for (const i of range(5))
        assertOk(await ctx.api.post('registered-models/set-tag', { name, key: `k${i}`, value: 'v' }));
      const page = await ctx.api.raw({
        method: 'GET',
        url: `/api/2.0/plumb/registered-models/events?name=${encodeURIComponent(name)}&max_results=4`,
      });
      assertOk(page);
      assert.equal(bodyOf(page).events!.length, 4);
      assert.equal(bodyOf(page).revision, 6);
      assert.equal(etagOf(page), 6);
      assert.ok(bodyOf(page).next_page_token);

      const renamed = uniqueName('renamed');
      assertOk(await ctx.api.post('registered-models/rename', { name, new_name: renamed }));
      assert.equal((await eventsOf(ctx.api, renamed)).length, 7);
      assertOk(await call(ctx.api, 'DELETE', 'registered-models/delete', { name: renamed }));
      const history = await eventsOf(ctx.api, renamed);
      assert.equal(history.at(-1)!.kind, 'registered_model.deleted');
      assert.equal(replayRegistryEvents(history.map(asEvent)).deleted, true);

      const unknown = await ctx.api.raw({
        method: 'GET',
        url: '/api/2.0/plumb/registered-models/events?name=never-was',
      });
      assertError(unknown, 404, 'RESOURCE_DOES_NOT_EXIST');
      const noName = await ctx.api.raw({ method: 'GET', url: '/ajax-api/2.0/plumb/registered-models/events' });
      assertError(noName, 400, 'INVALID_PARAMETER_VALUE');
      const tooMany = await ctx.api.raw({
        method: 'GET',
        url: `/api/2.0/plumb/registered-models/events?name=${name}&max_results=5000`,
      });
      assertError(tooMany, 400, 'INVALID_PARAMETER_VALUE');
    });
  });
});

function asEvent(e: Awaited<ReturnType<typeof eventsOf>>[number]) {
  return {
    id: Number(e.id),
    modelName: e.name,
    version: e.version === undefined ? null : Number(e.version),
    kind: e.kind as Parameters<typeof replayRegistryEvents>[0][number]['kind'],
    before: e.before ?? null,
    after: e.after ?? null,
    actor: e.actor ?? null,
    revision: e.revision,
    time: e.time,
  };
}

void describe('two clients racing on one revision (real HTTP)', () => {
  let server: Awaited<ReturnType<typeof startTestServer>> | undefined;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.close());

  async function send(method: string, path: string, body: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${server!.baseUrl}/api/2.0/mlflow/${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: method === 'GET' ? undefined : JSON.stringify(body),
    });
    return {
      status: response.status,
      etag: response.headers.get('etag'),
      body: (await response.json()) as Record<string, unknown>,
    };
  }

  void it('lets exactly one of two writes with the same If-Match win; the other gets 409', async () => {
    const name = uniqueName('race');
    assert.equal((await send('POST', 'registered-models/create', { name })).status, 200);
    for (let i = 0; i < 3; i++) {
      assert.equal((await send('POST', 'model-versions/create', { name, source: 's3://b/m' })).status, 200);
    }
    for (const round of range(10)) {
      const read = await fetch(`${server!.baseUrl}/api/2.0/mlflow/registered-models/get?name=${name}`);
      const etag = read.headers.get('etag')!;
      await read.arrayBuffer();
      const [a, b] = await Promise.all([
        send('POST', 'registered-models/alias', { name, alias: 'prod', version: '2' }, { 'if-match': etag }),
        send(
          'POST',
          'model-versions/transition-stage',
          { name, version: String((round % 3) + 1), stage: 'Production', archive_existing_versions: true },
          { 'if-match': etag },
        ),
      ]);
      const statuses = [a.status, b.status].sort();
      assert.deepEqual(statuses, [200, 409], `round ${round}: ${JSON.stringify([a, b])}`);
      const loser = a.status === 409 ? a : b;
      assert.equal(loser.body.error_code, 'RESOURCE_CONFLICT');
      const winner = a.status === 200 ? a : b;
      assert.equal(Number(JSON.parse(winner.etag!)), Number(JSON.parse(etag)) + 1);
      // The alias write is a no-op from round 2 on when it wins again; delete it so every round changes something.
      await send('DELETE', 'registered-models/alias', { name, alias: 'prod' });
    }
  });
});
