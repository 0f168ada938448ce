/** experiments/search: view types, filters, ordering, max_results and page tokens, through app.inject(). */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { anExperiment, assertError, assertOk, type Reply, useApi } from '../fixtures/builders.ts';

const names = (reply: Reply) => (reply.body.experiments ?? []).map((e) => e.name);
const base64 = (text: string) => Buffer.from(text).toString('base64');

void describe('experiments/search', () => {
  const ctx = useApi();
  const ids: Record<string, string> = {};

  before(async () => {
    // A fresh app holds Default (0) and these four; "wire-gone" is deleted.
    for (const name of ['wire-a', 'wire-b', 'other-c', 'wire-gone']) {
      const tags = name === 'wire-b' ? [{ key: 'team', value: 'a' }] : [];
      ids[name] = await anExperiment(ctx.api, name, { tags });
    }
    assertOk(await ctx.api.post('experiments/delete', { experiment_id: ids['wire-gone'] }));
  });

  void it('returns the active experiments by default', async () => {
    const reply = await ctx.api.post('experiments/search', {});
    assertOk(reply);
    assert.deepEqual(names(reply).sort(), ['Default', 'other-c', 'wire-a', 'wire-b']);
    assert.equal(reply.body.next_page_token, undefined);
  });

  void it('returns only deleted experiments for DELETED_ONLY', async () => {
    const reply = await ctx.api.post('experiments/search', { view_type: 'DELETED_ONLY' });
    assertOk(reply);
    assert.deepEqual(names(reply), ['wire-gone']);
    assert.equal(reply.body.experiments?.[0]?.lifecycle_stage, 'deleted');
  });

  void it('returns active and deleted experiments for ALL', async () => {
    const reply = await ctx.api.post('experiments/search', { view_type: 'ALL' });
    assertOk(reply);
    assert.deepEqual(names(reply).sort(), ['Default', 'other-c', 'wire-a', 'wire-b', 'wire-gone']);
  });

  void it('filters by name with LIKE and orders by name DESC', async () => {
    const reply = await ctx.api.post('experiments/search', {
      filter: "name LIKE 'wire%'",
      order_by: ['name DESC'],
      view_type: 'ALL',
    });
    assertOk(reply);
    assert.deepEqual(names(reply), ['wire-gone', 'wire-b', 'wire-a']);
  });

  void it('orders by name ASC', async () => {
    const reply = await ctx.api.post('experiments/search', { order_by: ['name ASC'] });
    assertOk(reply);
    assert.deepEqual(names(reply), ['Default', 'other-c', 'wire-a', 'wire-b']);
  });

  void it('filters by exact name and case-insensitively with ILIKE', async () => {
    const exact = await ctx.api.post('experiments/search', { filter: "name = 'wire-a'" });
    assert.deepEqual(names(exact), ['wire-a']);
    const ilike = await ctx.api.post('experiments/search', { filter: "name ILIKE 'OTHER%'" });
    assert.deepEqual(names(ilike), ['other-c']);
  });

  void it('filters by experiment tag', async () => {
    const reply = await ctx.api.post('experiments/search', { filter: "tags.team = 'a'" });
    assertOk(reply);
    assert.deepEqual(names(reply), ['wire-b']);
    assert.deepEqual(reply.body.experiments?.[0]?.tags, [{ key: 'team', value: 'a' }]);
  });

  void it('orders by experiment_id and by creation_time', async () => {
    const byId = await ctx.api.post('experiments/search', { order_by: ['experiment_id ASC'] });
    assertOk(byId);
    assert.deepEqual(
      byId.body.experiments?.map((e) => e.experiment_id),
      ['0', ids['wire-a'], ids['wire-b'], ids['other-c']],
    );
    const byTime = await ctx.api.post('experiments/search', { order_by: ['creation_time DESC', 'name ASC'] });
    assertOk(byTime);
    const times = byTime.body.experiments?.map((e) => e.creation_time) ?? [];
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    );
  });

  void it('filters on creation_time numerically', async () => {
    const created = (await ctx.api.post('experiments/search', { filter: "name = 'wire-b'" })).body.experiments?.[0];
    assert.ok(created);
    const reply = await ctx.api.post('experiments/search', {
      filter: `creation_time >= ${created.creation_time} AND name LIKE 'wire%'`,
    });
    assertOk(reply);
    assert.ok(names(reply).includes('wire-b'));
    assert.equal(names(reply).includes('Default'), false);
  });

  void it('answers {} when nothing matches', async () => {
    const reply = await ctx.api.post('experiments/search', { filter: "name = 'nothing-like-this'" });
    assertOk(reply);
    assert.deepEqual(reply.body, {});
  });

  void it('pages with max_results and next_page_token until the last page', async () => {
    const query = { max_results: 2, filter: "name LIKE 'wire%'", order_by: ['name DESC'], view_type: 'ALL' };
    const first = await ctx.api.post('experiments/search', query);
    assertOk(first);
    assert.deepEqual(names(first), ['wire-gone', 'wire-b']);
    assert.equal(typeof first.body.next_page_token, 'string');
    const second = await ctx.api.post('experiments/search', { ...query, page_token: first.body.next_page_token });
    assertOk(second);
    assert.deepEqual(names(second), ['wire-a']);
    assert.equal('next_page_token' in second.body, false);
  });

  void it('accepts an MLflow offset token (base64 of {"offset": N})', async () => {
    const reply = await ctx.api.post('experiments/search', {
      order_by: ['name ASC'],
      page_token: base64('{"offset": 3}'),
    });
    assertOk(reply);
    assert.deepEqual(names(reply), ['wire-b']);
  });

  void it('answers GET requests with the fields in the query string', async () => {
    const reply = await ctx.api.get('experiments/search', {
      max_results: 1,
      order_by: 'name ASC',
      view_type: 'ALL',
    });
    assertOk(reply);
    assert.deepEqual(names(reply), ['Default']);
    assert.equal(typeof reply.body.next_page_token, 'string');
  });

  void it('accepts max_results up to 50000', async () => {
    const reply = await ctx.api.post('experiments/search', { max_results: 50000 });
    assertOk(reply);
    assert.equal(names(reply).length, 4);
  });

  void it('rejects max_results of 0 and above 50000', async () => {
    for (const max_results of [0, 50001]) {
      const reply = await ctx.api.post('experiments/search', { max_results });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'max_results');
    }
  });

  void it('rejects a page token that is not base64', async () => {
    const reply = await ctx.api.post('experiments/search', { page_token: 'garbage!' });
    assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'Invalid page token');
  });

  void it('rejects a base64 page token that holds no JSON offset', async () => {
    for (const token of [base64('not json'), base64('{"offset": "x"}'), base64('{"offset": -1}')]) {
      const reply = await ctx.api.post('experiments/search', { page_token: token });
      assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'Invalid page token');
    }
  });

  void it('rejects a malformed filter', async () => {
    const reply = await ctx.api.post('experiments/search', { filter: "name = = 'x'" });
    assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'Invalid clause(s) in filter string');
  });

  void it('rejects a filter on an unknown attribute', async () => {
    const reply = await ctx.api.post('experiments/search', { filter: "colour = 'red'" });
    assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'colour');
  });

  void it('rejects an order_by with a bad direction or an unknown key', async () => {
    const direction = await ctx.api.post('experiments/search', { order_by: ['name SIDEWAYS'] });
    assertError(direction, 400, 'INVALID_PARAMETER_VALUE', 'order_by');
    const key = await ctx.api.post('experiments/search', { order_by: ['colour ASC'] });
    assertError(key, 400, 'INVALID_PARAMETER_VALUE');
  });

  void it('rejects an unknown view_type', async () => {
    const reply = await ctx.api.post('experiments/search', { view_type: 'SOMETIMES' });
    assertError(reply, 400, 'INVALID_PARAMETER_VALUE', 'view_type');
  });
});
