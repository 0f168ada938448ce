import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EntityType, OrderBy } from './ast.ts';
import { parseExperimentOrderBy, parseRunOrderBy } from './order-by-parser.ts';

const by = (type: EntityType, key: string, ascending = true): OrderBy => ({ identifier: { type, key }, ascending });

const RUN_ORDER_KEYS =
  "{'Created', 'artifact_uri', 'created', 'end_time', 'run_id', 'run_name', 'start_time', 'status', 'user_id'}";

const VALID_RUN_ORDER_BY: readonly [readonly string[], readonly OrderBy[]][] = [
  [[], []],
  [['metrics.acc'], [by('metric', 'acc')]],
  [['metrics.acc DESC'], [by('metric', 'acc', false)]],
  [['metric.acc desc'], [by('metric', 'acc', false)]],
  [['metrics.acc ASC'], [by('metric', 'acc')]],
  [['metrics.acc aSc'], [by('metric', 'acc')]],
  [['metrics.`f1 score` DESC'], [by('metric', 'f1 score', false)]],
  [['metrics.`f1 score`'], [by('metric', 'f1 score')]],
  [['params."model type" asc'], [by('param', 'model type')]],
  [['params."model type"'], [by('param', 'model type')]],
  [['param.lr'], [by('param', 'lr')]],
  [['parameters.lr DESC'], [by('param', 'lr', false)]],
  [['tags.mlflow.runName'], [by('tag', 'mlflow.runName')]],
  [['tag.`team` DESC'], [by('tag', 'team', false)]],
  [['attributes.start_time'], [by('attribute', 'start_time')]],
  [['start_time DESC'], [by('attribute', 'start_time', false)]],
  [['created'], [by('attribute', 'start_time')]],
  [['attr.Created DESC'], [by('attribute', 'start_time', false)]],
  [['run_name'], [by('attribute', 'run_name')]],
  [['run.status DESC'], [by('attribute', 'status', false)]],
  [['run_id'], [by('attribute', 'run_id')]],
  [['end_time'], [by('attribute', 'end_time')]],
  [['user_id DESC'], [by('attribute', 'user_id', false)]],
  [['artifact_uri'], [by('attribute', 'artifact_uri')]],
  [
    ['metrics.a DESC', 'params.b', 'tags.c ASC'],
    [by('metric', 'a', false), by('param', 'b'), by('tag', 'c')],
  ],
  // Same key, different entity types: not duplicates.
  [
    ['metrics.x', 'params.x'],
    [by('metric', 'x'), by('param', 'x')],
  ],
];

const INVALID_RUN_ORDER_BY: readonly [readonly string[], string][] = [
  [['metrics.m1 SIDEWAYS'], "Invalid ordering key in order_by clause 'metrics.m1 SIDEWAYS'."],
  [['metrics.m1 1'], "Invalid ordering key in order_by clause 'metrics.m1 1'."],
  [['metrics.m1 DESC ASC'], "Invalid order_by clause 'metrics.m1 DESC ASC'. Could not be parsed."],
  [[''], "Invalid order_by clause ''. Could not be parsed."],
  [[' metrics.m1'], "Invalid order_by clause ' metrics.m1'. Could not be parsed."],
  [['metrics.m1 > 1'], "Invalid order_by clause 'metrics.m1 > 1'. Could not be parsed."],
  [['metrics.m1, metrics.m2'], "Invalid order_by clause 'metrics.m1, metrics.m2'. Could not be parsed."],
  [["metrics.'m1'"], "Invalid order_by clause 'metrics.'m1''. Could not be parsed."],
  [['(metrics.m1)'], "Invalid order_by clause '(metrics.m1)'. Could not be parsed."],
  [['foo'], `Invalid attribute key 'foo' specified. Valid keys are '${RUN_ORDER_KEYS}'`],
  [['run name'], "Invalid ordering key in order_by clause 'run name'."],
  [['`Run Name`'], `Invalid attribute key 'Run Name' specified. Valid keys are '${RUN_ORDER_KEYS}'`],
  [
    ['metricz.acc'],
    "Invalid entity type 'metricz'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']",
  ],
  [['dataset.name'], "Invalid identifier type 'dataset'"],
  [['metrics.a', 'metrics.a DESC'], "`order_by` contains duplicate fields: ['metrics.a', 'metrics.a DESC']"],
  [['created', 'start_time DESC'], "`order_by` contains duplicate fields: ['created', 'start_time DESC']"],
  [['params.`x`', 'param.x'], "`order_by` contains duplicate fields: ['params.`x`', 'param.x']"],
];

function assertInvalid(parse: (c: readonly string[]) => unknown, clauses: readonly string[], message: string): void {
  assert.throws(() => parse(clauses), { name: 'MlflowError', code: 'INVALID_PARAMETER_VALUE', message });
}

void describe('parseRunOrderBy', () => {
  for (const [clauses, expected] of VALID_RUN_ORDER_BY) {
    void test(`parses ${JSON.stringify(clauses)}`, () => assert.deepEqual(parseRunOrderBy(clauses), expected));
  }
  for (const [clauses, message] of INVALID_RUN_ORDER_BY) {
    void test(`rejects ${JSON.stringify(clauses)}`, () => assertInvalid(parseRunOrderBy, clauses, message));
  }
  void test('no order_by parses to no clauses, leaving the default order to the store', () =>
    assert.deepEqual(parseRunOrderBy(undefined), []));
});

const EXPERIMENT_ORDER_KEYS = "{'creation_time', 'experiment_id', 'last_update_time', 'name'}";
const VALID_EXPERIMENT_ORDER_BY: readonly [readonly string[], readonly OrderBy[]][] = [
  [[], []],
  [['name'], [by('attribute', 'name')]],
  [['name DESC'], [by('attribute', 'name', false)]],
  [['attribute.creation_time desc'], [by('attribute', 'creation_time', false)]],
  [
    ['last_update_time', 'experiment_id DESC'],
    [by('attribute', 'last_update_time'), by('attribute', 'experiment_id', false)],
  ],
];
const INVALID_EXPERIMENT_ORDER_BY: readonly [readonly string[], string][] = [
  [['tags.team'], 'Invalid order_by entity: tag'],
  [['metrics.acc'], "Invalid entity type 'metrics'. Valid entity types are ('attribute', 'tag', 'tags')"],
  [['run_id'], `Invalid attribute key 'run_id' specified. Valid keys are '${EXPERIMENT_ORDER_KEYS}'`],
  [['name UP'], "Invalid ordering key in order_by clause 'name UP'."],
  [['name DESC, experiment_id'], "Invalid order_by clause 'name DESC, experiment_id'. Could not be parsed."],
];

void describe('parseExperimentOrderBy', () => {
  for (const [clauses, expected] of VALID_EXPERIMENT_ORDER_BY) {
    void test(`parses ${JSON.stringify(clauses)}`, () => assert.deepEqual(parseExperimentOrderBy(clauses), expected));
  }
  for (const [clauses, message] of INVALID_EXPERIMENT_ORDER_BY) {
    void test(`rejects ${JSON.stringify(clauses)}`, () => assertInvalid(parseExperimentOrderBy, clauses, message));
  }
});
