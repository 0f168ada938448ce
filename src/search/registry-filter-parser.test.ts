import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseModelVersionFilter,
  parseModelVersionOrderBy,
  parseRegisteredModelFilter,
  parseRegisteredModelOrderBy,
} from './registry-filter-parser.ts';

const rejects = (fn: () => unknown, message: string | RegExp) =>
  assert.throws(fn, (e: { code?: string; message?: string }) => {
    assert.equal(e.code, 'INVALID_PARAMETER_VALUE');
    if (typeof message === 'string') assert.ok(e.message?.includes(message), e.message);
    else assert.match(e.message ?? '', message);
    return true;
  });

void describe('parseRegisteredModelFilter', () => {
  void it('reads name and tag comparisons, tags by any spelling of the entity, comparators in any case', () => {
    assert.deepEqual(parseRegisteredModelFilter(" name like 'a%' AND tags.`mlflow.prompt.is_prompt` != 'true'"), [
      { identifier: { type: 'attribute', key: 'name' }, comparator: 'LIKE', value: { kind: 'string', value: 'a%' } },
      {
        identifier: { type: 'tag', key: 'mlflow.prompt.is_prompt' },
        comparator: '!=',
        value: { kind: 'string', value: 'true' },
      },
    ]);
    assert.deepEqual(parseRegisteredModelFilter('attribute.name = "x" and tag.k ILIKE \'v\'').length, 2);
    assert.deepEqual(parseRegisteredModelFilter('   '), []);
    assert.deepEqual(parseRegisteredModelFilter(undefined), []);
  });

  void it("words MLflow's errors as MLflow does", () => {
    rejects(
      () => parseRegisteredModelFilter("nme = 'x'"),
      "Invalid attribute key 'nme' specified. Valid keys are '{'name'}'",
    );
    rejects(() => parseRegisteredModelFilter("`name` = 'x'"), "Invalid attribute key '`name`'");
    rejects(
      () => parseRegisteredModelFilter("params.a = 'x'"),
      "Invalid entity type 'params'. Valid entity types are ('attribute', 'tag', 'tags')",
    );
    rejects(() => parseRegisteredModelFilter("name >= 'x'"), 'Invalid comparator for attribute: >=');
    rejects(() => parseRegisteredModelFilter("tags.k IN ('x')"), 'Expected a quoted string value for tag');
    rejects(() => parseRegisteredModelFilter('name = x'), 'Parameter value is either not quoted');
    rejects(() => parseRegisteredModelFilter("name = 'a' OR name = 'b'"), 'Invalid clause(s) in filter string: OR');
    rejects(() => parseRegisteredModelFilter("'x' = name"), "Expected 'Identifier' found ''x''");
  });
});

void describe('parseModelVersionFilter', () => {
  void it('reads run_id IN lists (dropping ids that are not lower case), numbers for version_number', () => {
    const [inList, number, quoted] = parseModelVersionFilter(
      "run_id IN ('abc', 'DEF', 'g1') AND version_number > 2 AND version_number = '7'",
    );
    assert.deepEqual(inList!.value, { kind: 'list', values: ['abc', 'g1'] });
    assert.deepEqual(number!.value, { kind: 'number', value: 2 });
    assert.deepEqual(quoted!.value, { kind: 'number', value: 7 });
    assert.equal(parseModelVersionFilter("source_path LIKE 's3://%'")[0]!.identifier.key, 'source_path');
  });

  void it('rejects what MLflow rejects, with its messages', () => {
    rejects(() => parseModelVersionFilter('version >< 3'), '');
    rejects(() => parseModelVersionFilter("run_id NOT IN ('a')"), 'Invalid comparator for attribute: NOT IN');
    rejects(
      () => parseModelVersionFilter("name IN ('a')"),
      "Only the 'run_id' attribute supports comparison with a list",
    );
    rejects(() => parseModelVersionFilter('source_path = 1'), 'attributes support comparison with numeric values');
    rejects(
      () => parseModelVersionFilter('version_number LIKE 1'),
      'Invalid comparator for attribute version_number: LIKE',
    );
    rejects(() => parseModelVersionFilter("version_number = 'x'"), 'numeric value for version_number');
    rejects(() => parseModelVersionFilter("tags.k < 'x'"), 'Invalid comparator for tag: <');
    rejects(() => parseModelVersionFilter("run_id IN ('a') AND run_id = ('a')"), "'=' cannot compare with a list");
  });
});

void describe('registry order_by', () => {
  void it('maps timestamp and last_updated_timestamp to the update time and refuses them together', () => {
    assert.deepEqual(parseRegisteredModelOrderBy(['timestamp DESC', 'name']), [
      { identifier: { type: 'attribute', key: 'last_updated_timestamp' }, ascending: false },
      { identifier: { type: 'attribute', key: 'name' }, ascending: true },
    ]);
    rejects(
      () => parseRegisteredModelOrderBy(['timestamp', 'last_updated_timestamp DESC']),
      '`order_by` contains duplicate fields',
    );
    rejects(
      () => parseRegisteredModelOrderBy(['creation_timestamp']),
      "Invalid order by key 'creation_timestamp' specified.",
    );
    rejects(() => parseRegisteredModelOrderBy(['name up']), 'Invalid ordering key');
    assert.deepEqual(parseRegisteredModelOrderBy(undefined), []);
  });

  void it("uses MLflow's default order of versions, and looks only at the key", () => {
    assert.deepEqual(
      parseModelVersionOrderBy([]).map((o) => [o.identifier.key, o.ascending]),
      [
        ['last_updated_timestamp', false],
        ['name', true],
        ['version_number', false],
      ],
    );
    assert.deepEqual(
      parseModelVersionOrderBy(['tag.name DESC']).map((o) => o.identifier.key),
      ['name'],
    );
    rejects(() => parseModelVersionOrderBy(['tag.stage']), "Invalid order by key 'stage' specified.");
    rejects(() => parseModelVersionOrderBy(['current_stage']), "Invalid attribute key 'current_stage'");
    rejects(() => parseModelVersionOrderBy(['name', 'name']), 'duplicate fields');
  });
});
