/** registered-models/search and model-versions/search: filters, order_by, paging and limits, through app.inject(). */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { aRun, assertError, assertOk, useApi } from '../fixtures/builders.ts';
import { aModelVersion, aRegisteredModel, bodyOf, transition } from '../fixtures/registry-builders.ts';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

void describe('registry search API', () => {
  const ctx = useApi();
  const prefix = `srch${Date.now().toString(36)}`;
  const runIds: string[] = [];

  const searchModels = (query: Record<string, string | string[] | number>) =>
    ctx.api.get('registered-models/search', query);
  const modelNames = async (query: Record<string, string | string[] | number>) => {
    const reply = await searchModels(query);
    assertOk(reply);
    return (bodyOf(reply).registered_models ?? []).map((m) => m.name);
  };
  const searchVersions = (query: Record<string, string | string[] | number>) =>
    ctx.api.get('model-versions/search', query);
  const versionKeys = async (query: Record<string, string | string[] | number>) => {
    const reply = await searchVersions(query);
    assertOk(reply);
    return (bodyOf(reply).model_versions ?? []).map((v) => `${v.name}/${v.version}`);
  };

  before(async () => {
    // b is created first but updated last; the prompt model must stay out of ordinary searches.
    await aRegisteredModel(ctx.api, `${prefix}-b`, { tags: [{ key: 'team', value: 'Red' }] });
    await aRegisteredModel(ctx.api, `${prefix}-a`, { tags: [{ key: 'team', value: 'blue' }] });
    await aRegisteredModel(ctx.api, `${prefix}-C`);
    await aRegisteredModel(ctx.api, `${prefix}-prompt`, { tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] });
    for (let i = 0; i < 2; i++) runIds.push((await aRun(ctx.api)).info.run_id);
    await aModelVersion(ctx.api, `${prefix}-a`, { run_id: runIds[0], source: 's3://bucket/a/1' });
    await aModelVersion(ctx.api, `${prefix}-a`, {
      run_id: runIds[1],
      source: 's3://bucket/a/2',
      tags: [{ key: 'ok', value: 'yes' }],
    });
    await aModelVersion(ctx.api, `${prefix}-a`, { run_id: runIds[0], source: 's3://other/a/3' });
    await aModelVersion(ctx.api, `${prefix}-b`, { source: 's3://bucket/b/1' });
    await aModelVersion(ctx.api, `${prefix}-prompt`, {
      source: 'prompt',
      tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }],
    });
    // Distinct milliseconds, so that orders by update time have no ties to break.
    await sleep(5);
    await transition(ctx.api, `${prefix}-a`, 1, 'Production');
    await sleep(5);
    await transition(ctx.api, `${prefix}-b`, 1, 'Staging');
  });

  void describe('registered-models/search', () => {
    void it('filters by name with = != LIKE ILIKE, ordered by name by default, and leaves prompts out', async () => {
      assert.deepEqual(await modelNames({ filter: `name LIKE '${prefix}-%'` }), [
        `${prefix}-C`,
        `${prefix}-a`,
        `${prefix}-b`,
      ]);
      assert.deepEqual(await modelNames({ filter: `name = '${prefix}-a'` }), [`${prefix}-a`]);
      assert.deepEqual(await modelNames({ filter: `name LIKE '${prefix}-%' AND name != '${prefix}-a'` }), [
        `${prefix}-C`,
        `${prefix}-b`,
      ]);
      assert.deepEqual(await modelNames({ filter: `name LIKE '${prefix}-c'` }), []);
      assert.deepEqual(await modelNames({ filter: `name ILIKE '${prefix}-c'` }), [`${prefix}-C`]);
    });

    void it('filters by tags, and returns prompts only when the filter asks for them', async () => {
      assert.deepEqual(await modelNames({ filter: `tags.team = 'blue'` }), [`${prefix}-a`]);
      assert.deepEqual(await modelNames({ filter: `name LIKE '${prefix}%' AND tag.team ILIKE 'r%'` }), [`${prefix}-b`]);
      assert.deepEqual(await modelNames({ filter: `tags.\`mlflow.prompt.is_prompt\` = 'true'` }), [`${prefix}-prompt`]);
      const excluded = await modelNames({
        filter: `name LIKE '${prefix}%' AND tags.\`mlflow.prompt.is_prompt\` != 'true'`,
      });
      assert.deepEqual(excluded, [`${prefix}-C`, `${prefix}-a`, `${prefix}-b`]);
    });

    void it('orders by name and by last update time (timestamp), with name ASC breaking ties', async () => {
      const filter = `name LIKE '${prefix}-%'`;
      assert.deepEqual(await modelNames({ filter, order_by: ['name DESC'] }), [
        `${prefix}-b`,
        `${prefix}-a`,
        `${prefix}-C`,
      ]);
      const byUpdate = await modelNames({ filter, order_by: ['timestamp DESC'] });
      assert.deepEqual(byUpdate.slice(0, 2), [`${prefix}-b`, `${prefix}-a`]);
      assert.deepEqual(
        await modelNames({ filter, order_by: ['last_updated_timestamp ASC'] }),
        byUpdate.slice().reverse(),
      );
    });

    void it('pages with max_results and next_page_token, and accepts MLflow offset tokens', async () => {
      const filter = `name LIKE '${prefix}-%'`;
      const first = await searchModels({ filter, max_results: 2 });
      assertOk(first);
      assert.equal(bodyOf(first).registered_models!.length, 2);
      const token = bodyOf(first).next_page_token!;
      assert.ok(token);
      const second = await searchModels({ filter, max_results: 2, page_token: token });
      assert.deepEqual(
        bodyOf(second).registered_models!.map((m) => m.name),
        [`${prefix}-b`],
      );
      assert.equal(bodyOf(second).next_page_token, undefined);
      const mlflowToken = Buffer.from('{"offset": 1}').toString('base64');
      assert.deepEqual(await modelNames({ filter, max_results: 1, page_token: mlflowToken }), [`${prefix}-a`]);
    });

    void it('rejects bad filters, order_by clauses, tokens and max_results with 400', async () => {
      const bad: [Record<string, string | string[] | number>, string][] = [
        [{ filter: "nme = 'x'" }, "Invalid attribute key 'nme' specified. Valid keys are '{'name'}'"],
        [{ filter: "name > 'x'" }, 'Invalid comparator for attribute: >'],
        [{ filter: "tags.k IN ('x')" }, 'Expected a quoted string value for tag'],
        [{ filter: "name IN ('x')" }, "Only the 'run_id' attribute"],
        [{ filter: 'name = 5' }, 'Expected a quoted string value or a list'],
        [{ filter: "run.name = 'x'" }, "Invalid entity type 'run'"],
        [{ filter: "name = 'x' OR name = 'y'" }, 'Invalid clause(s) in filter string'],
        [{ order_by: ['creation_timestamp'] }, "Invalid order by key 'creation_timestamp'"],
        [{ order_by: ['name', 'name DESC'] }, 'duplicate fields'],
        [{ order_by: ['timestamp', 'last_updated_timestamp'] }, 'duplicate fields'],
        [{ order_by: ['name sideways'] }, 'Invalid ordering key'],
        [{ page_token: 'not a token!' }, 'Invalid page token'],
        [{ max_results: 1001 }, 'at most 1000'],
        [{ max_results: 0 }, 'positive integer'],
      ];
      for (const [query, message] of bad)
        assertError(await searchModels(query), 400, 'INVALID_PARAMETER_VALUE', message);
    });
  });

  void describe('model-versions/search', () => {
    void it('filters by name, run_id (= and IN), source_path and version_number', async () => {
      const a = `${prefix}-a`;
      assert.deepEqual(await versionKeys({ filter: `name = '${a}'`, order_by: ['version_number'] }), [
        `${a}/1`,
        `${a}/2`,
        `${a}/3`,
      ]);
      assert.deepEqual(await versionKeys({ filter: `run_id = '${runIds[0]}'`, order_by: ['version_number DESC'] }), [
        `${a}/3`,
        `${a}/1`,
      ]);
      assert.deepEqual(await versionKeys({ filter: `run_id IN ('${runIds[1]}', 'NOT-LOWER')` }), [`${a}/2`]);
      assert.deepEqual(
        await versionKeys({
          filter: `name = '${a}' AND source_path LIKE 's3://bucket/%'`,
          order_by: ['version_number'],
        }),
        [`${a}/1`, `${a}/2`],
      );
      assert.deepEqual(
        await versionKeys({ filter: `name = '${a}' AND version_number >= 2`, order_by: ['version_number'] }),
        [`${a}/2`, `${a}/3`],
      );
      assert.deepEqual(await versionKeys({ filter: `name = '${a}' AND version_number = '3'` }), [`${a}/3`]);
      assert.deepEqual(await versionKeys({ filter: `name = '${a}' AND tags.ok = 'yes'` }), [`${a}/2`]);
    });

    void it('orders by last update DESC, name ASC, version DESC by default, and leaves prompt versions out', async () => {
      const keys = await versionKeys({ filter: `name LIKE '${prefix}%'` });
      assert.deepEqual(keys.slice(0, 2), [`${prefix}-b/1`, `${prefix}-a/1`]);
      assert.deepEqual(keys.slice(2).sort(), [`${prefix}-a/2`, `${prefix}-a/3`]);
      assert.ok(!keys.some((k) => k.includes('prompt')));
      const prompts = await versionKeys({ filter: `tags.\`mlflow.prompt.is_prompt\` = 'true'` });
      assert.deepEqual(prompts, [`${prefix}-prompt/1`]);
    });

    void it('returns versions without aliases, as MLflow does, and pages', async () => {
      assertOk(await ctx.api.post('registered-models/alias', { name: `${prefix}-a`, alias: 'x', version: '1' }));
      const first = await searchVersions({
        filter: `name = '${prefix}-a'`,
        max_results: 2,
        order_by: ['version_number'],
      });
      assertOk(first);
      assert.ok(bodyOf(first).model_versions!.every((v) => v.aliases === undefined));
      const second = await searchVersions({
        filter: `name = '${prefix}-a'`,
        max_results: 2,
        order_by: ['version_number'],
        page_token: bodyOf(first).next_page_token!,
      });
      assert.deepEqual(
        bodyOf(second).model_versions!.map((v) => v.version),
        ['3'],
      );
    });

    void it('rejects bad filters and order_by clauses with 400', async () => {
      const bad: [Record<string, string | string[] | number>, string][] = [
        [{ filter: 'version >< 3' }, ''],
        [{ filter: "version = '3'" }, "Invalid attribute key 'version'"],
        [{ filter: "source_path IN ('a')" }, "Only the 'run_id' attribute"],
        [{ filter: "name IN ('a')" }, "Only the 'run_id' attribute"],
        [{ filter: "run_id NOT IN ('a')" }, 'Invalid comparator for attribute: NOT IN'],
        [{ filter: 'version_number LIKE 3' }, 'Invalid comparator for attribute version_number: LIKE'],
        [{ filter: "version_number = 'three'" }, 'numeric value'],
        [{ filter: 'name = 3' }, 'support comparison with numeric values'],
        [{ filter: "name > 'a'" }, 'Invalid comparator for attribute: >'],
        [{ filter: "tags.t > 'a'" }, 'Invalid comparator for tag: >'],
        [{ order_by: ['stage'] }, "Invalid attribute key 'stage'"],
        [{ order_by: ['version_number', 'version_number DESC'] }, 'duplicate fields'],
        [{ max_results: 200001 }, 'at most 200000'],
        [{ max_results: -1 }, 'positive integer'],
      ];
      for (const [query, message] of bad)
        assertError(await searchVersions(query), 400, 'INVALID_PARAMETER_VALUE', message);
    });
  });
});
