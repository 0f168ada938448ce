import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Comparator, Comparison, EntityType, Value } from './ast.ts';
import { parseExperimentFilter, parseRunFilter } from './filter-parser.ts';

const value = (v: number | string | readonly string[]): Value =>
  typeof v === 'number'
    ? { kind: 'number', value: v }
    : typeof v === 'string'
      ? { kind: 'string', value: v }
      : { kind: 'list', values: v };
const clause =
  (type: EntityType) =>
  (key: string, comparator: Comparator, v: number | string | readonly string[]): Comparison => ({
    identifier: { type, key },
    comparator,
    value: value(v),
  });
const [metric, param, tag, attr, dataset] = (['metric', 'param', 'tag', 'attribute', 'dataset'] as const).map(clause);
const m = metric!;
const p = param!;
const t = tag!;
const a = attr!;
const d = dataset!;

const STRING_OPS = "{'!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'}";
const METRIC_OPS = "{'>=', '=', '>', '!=', '<=', '<'}";
const PARAM_OPS = "{'!=', '=', 'LIKE', 'ILIKE'}";
const RUN_KEYS =
  "{'Created', 'Run Name', 'Run name', 'artifact_uri', 'created', 'end_time', 'run name', 'run_id', 'run_name', 'start_time', 'status', 'user_id'}";

const VALID_RUN_FILTERS: readonly [string, readonly Comparison[]][] = [
  ['', []],
  ['   ', []],
  ['metrics.acc > 0.9', [m('acc', '>', 0.9)]],
  ['metric.acc >= 1', [m('acc', '>=', 1)]],
  ['metrics.loss < -0.5', [m('loss', '<', -0.5)]],
  ['metrics.loss <= 1e-3', [m('loss', '<=', 0.001)]],
  ['metrics.loss = 2.', [m('loss', '=', 2)]],
  ['metrics.loss != .5', [m('loss', '!=', 0.5)]],
  ['metrics.loss>3', [m('loss', '>', 3)]],
  ['metrics.`f1 score` > 0.5', [m('f1 score', '>', 0.5)]],
  ['metrics."f1-score" > 0.5', [m('f1-score', '>', 0.5)]],
  ['`metrics`.acc > 1', [m('acc', '>', 1)]],
  ["params.lr = '0.01'", [p('lr', '=', '0.01')]],
  ['params.batch_size = "32"', [p('batch_size', '=', '32')]],
  ["param.optimizer != 'adam'", [p('optimizer', '!=', 'adam')]],
  ["parameter.optimizer LIKE 'ad%'", [p('optimizer', 'LIKE', 'ad%')]],
  ["parameters.optimizer ILIKE '%DAM'", [p('optimizer', 'ILIKE', '%DAM')]],
  ["params.optimizer like 'a_am'", [p('optimizer', 'LIKE', 'a_am')]],
  ["params.optimizer ilike 'A%'", [p('optimizer', 'ILIKE', 'A%')]],
  ["params.`model type` = 'cnn'", [p('model type', '=', 'cnn')]],
  ['params."model-type" = \'cnn\'', [p('model-type', '=', 'cnn')]],
  ["params.x = ''", [p('x', '=', '')]],
  ["params.x = 'it''s'", [p('x', '=', "it''s")]],
  ['params.x = "it\'s"', [p('x', '=', "it's")]],
  ["tags.team = 'core'", [t('team', '=', 'core')]],
  ["tag.team != 'core'", [t('team', '!=', 'core')]],
  ["tags.mlflow.source.type = 'LOCAL'", [t('mlflow.source.type', '=', 'LOCAL')]],
  ["tags.`mlflow.runName` LIKE 'run-%'", [t('mlflow.runName', 'LIKE', 'run-%')]],
  ['tags."my tag" ILIKE "%X%"', [t('my tag', 'ILIKE', '%X%')]],
  ["attributes.status = 'FINISHED'", [a('status', '=', 'FINISHED')]],
  ["attribute.status != 'FAILED'", [a('status', '!=', 'FAILED')]],
  ["attr.user_id LIKE 'al%'", [a('user_id', 'LIKE', 'al%')]],
  ["run.artifact_uri ILIKE '%S3%'", [a('artifact_uri', 'ILIKE', '%S3%')]],
  ["status = 'RUNNING'", [a('status', '=', 'RUNNING')]],
  ["run_id = 'abc'", [a('run_id', '=', 'abc')]],
  ["run_name = 'my-run'", [a('run_name', '=', 'my-run')]],
  ["`run name` = 'x'", [a('run_name', '=', 'x')]],
  ['"Run name" = \'x\'', [a('run_name', '=', 'x')]],
  ["attributes.`Run Name` != 'x'", [a('run_name', '!=', 'x')]],
  ['start_time > 1000', [a('start_time', '>', 1000)]],
  ['attributes.end_time <= 2000', [a('end_time', '<=', 2000)]],
  ['created >= 5', [a('start_time', '>=', 5)]],
  ['attributes.Created < 5', [a('start_time', '<', 5)]],
  ["attributes.run_id IN ('a1', 'b2')", [a('run_id', 'IN', ['a1', 'b2'])]],
  ["run_id in ('a1')", [a('run_id', 'IN', ['a1'])]],
  ["run_id IN ('a1',)", [a('run_id', 'IN', ['a1'])]],
  ['run_id IN ("a1", "b2")', [a('run_id', 'IN', ['a1', 'b2'])]],
  ["run_id NOT IN ('a1', 'b2')", [a('run_id', 'NOT IN', ['a1', 'b2'])]],
  ["run_id not  in ('a1')", [a('run_id', 'NOT IN', ['a1'])]],
  ["run_id IN ('abc', 'ABC', 'Abc', '123')", [a('run_id', 'IN', ['abc'])]],
  ["dataset.name = 'train'", [d('name', '=', 'train')]],
  ["datasets.digest != 'abc'", [d('digest', '!=', 'abc')]],
  ["dataset.context LIKE 'tr%'", [d('context', 'LIKE', 'tr%')]],
  ["dataset.name ILIKE 'TR%'", [d('name', 'ILIKE', 'TR%')]],
  ["dataset.name IN ('Train', 'eval')", [d('name', 'IN', ['Train', 'eval'])]],
  ["dataset.context NOT IN ('training')", [d('context', 'NOT IN', ['training'])]],
  [
    "metrics.acc > 0.9 AND params.lr = '0.1' and tags.t = 'x'",
    [m('acc', '>', 0.9), p('lr', '=', '0.1'), t('t', '=', 'x')],
  ],
  ["metrics.acc > 0.9 And status = 'FINISHED'", [m('acc', '>', 0.9), a('status', '=', 'FINISHED')]],
  ['  metrics.acc > 0.9   AND\n metrics.loss < 1  ', [m('acc', '>', 0.9), m('loss', '<', 1)]],
  // sqlparse-based MLflow tolerates a dangling AND and a missing one; so do we.
  ['metrics.acc > 0.9 AND', [m('acc', '>', 0.9)]],
  ['metrics.a > 1 metrics.b < 2', [m('a', '>', 1), m('b', '<', 2)]],
];

const INVALID_RUN_FILTERS: readonly [string, string][] = [
  ['metrics.a > 1 or metrics.b < 2', "Invalid clause(s) in filter string: 'or'"],
  ['metrics.a > 1 OR metrics.b < 2', "Invalid clause(s) in filter string: 'OR'"],
  // Recorded from an MLflow 3 server (shared/fixtures/mlflow-wire 063 and 064).
  ["metrics.m1 > 0 or params.p1 = 'a'", "Invalid clause(s) in filter string: 'or'"],
  ['metrics.m1 >> 0.5', "Invalid comparator '>>' not one of '{'>=', '=', '>', '!=', '<=', '<'}"],
  ['(metrics.a > 1)', "Invalid clause(s) in filter string: '(metrics.a > 1)'"],
  ['NOT metrics.a > 1', "Invalid clause(s) in filter string: 'NOT'"],
  ['tags.x IS NULL', "Invalid clause(s) in filter string: 'tags.x', 'IS', 'NULL'"],
  ['metrics.a >', "Invalid clause(s) in filter string: 'metrics.a', '>'"],
  ['metrics.a > 1;', "Invalid clause(s) in filter string: ';'"],
  ["run_id IN 'a'", "Invalid clause(s) in filter string: 'run_id', 'IN', ''a''"],
  [
    'metrics.a > 1; metrics.b > 2',
    "Search filter contained multiple expression 'metrics.a > 1; metrics.b > 2'. Provide AND-ed expression list.",
  ],
  ['metrics.a >> 1', `Invalid comparator '>>' not one of '${METRIC_OPS}`],
  ['metrics.a == 1', `Invalid comparator '==' not one of '${METRIC_OPS}`],
  ['metrics.a <> 1', `Invalid comparator '<>' not one of '${METRIC_OPS}`],
  ['metrics.a LIKE 1', `Invalid comparator 'LIKE' not one of '${METRIC_OPS}`],
  ["metrics.a = 'x'", "Expected numeric value type for metric. Found 'x'"],
  ['metrics.a = "1"', 'Expected numeric value type for metric. Found "1"'],
  ['metrics.a = b', 'Expected numeric value type for metric. Found b'],
  ["metrics.a IN ('1')", "Expected numeric value type for metric. Found ('1')"],
  ["params.a > 'x'", `Invalid comparator '>' not one of '${PARAM_OPS}'`],
  ["params.a NOT LIKE 'x'", `Invalid comparator 'NOT LIKE' not one of '${PARAM_OPS}'`],
  ["params.a RLIKE 'x'", `Invalid comparator 'RLIKE' not one of '${PARAM_OPS}'`],
  ['params.a = 1', "Expected a quoted string value for parameter (e.g. 'my-value'). Got value 1"],
  ["params.a IN ('x')", "Expected a quoted string value for parameter (e.g. 'my-value'). Got value ('x')"],
  [
    'params.a = abc',
    'Parameter value is either not quoted or unidentified quote types used for string value abc. Use either single or double quotes.',
  ],
  [
    'params.a = `abc`',
    'Parameter value is either not quoted or unidentified quote types used for string value `abc`. Use either single or double quotes.',
  ],
  ["tags.a < 'x'", `Invalid comparator '<' not one of '${PARAM_OPS}`],
  ['tags.a = 1', "Expected a quoted string value for tag (e.g. 'my-value'). Got value 1"],
  ["status > 'x'", `Invalid comparator '>' not one of '${STRING_OPS}'`],
  ["status IN ('FINISHED')", "Only the 'run_id' attribute supports comparison with a list of quoted string values."],
  ['status = 1', 'Expected a quoted string value for attributes. Got value 1'],
  ["start_time = 'x'", "Expected numeric value type for numeric attribute: start_time. Found 'x'"],
  ["created = 'x'", "Expected numeric value type for numeric attribute: created. Found 'x'"],
  ['start_time LIKE 5', `Invalid comparator 'LIKE' not one of '${STRING_OPS}`],
  ["end_time IN ('1')", "Expected numeric value type for numeric attribute: end_time. Found ('1')"],
  ['run_id IN ()', 'While parsing a list in the query, expected a non-empty list of string values, but got empty list'],
  [
    "run_id IN (1, 'a')",
    "While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: (1, 'a')",
  ],
  [
    "run_id IN ('a' 'b' ,, 'c')",
    'While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.',
  ],
  [
    "run_id IN ('a', b)",
    'While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.',
  ],
  ["foo = 'x'", `Invalid attribute key 'foo' specified. Valid keys are '${RUN_KEYS}'`],
  ["lifecycle_stage = 'active'", `Invalid attribute key 'lifecycle_stage' specified. Valid keys are '${RUN_KEYS}'`],
  ["attributes.experiment_id = '1'", `Invalid attribute key 'experiment_id' specified. Valid keys are '${RUN_KEYS}'`],
  [
    "Metrics.a = 'x'",
    "Invalid entity type 'Metrics'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']",
  ],
  [
    "foo.bar = 'x'",
    "Invalid entity type 'foo'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']",
  ],
  [
    '"tags.x" = \'y\'',
    "Invalid entity type '\"tags'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']",
  ],
  ["dataset.size = 'x'", "Invalid dataset key 'size' specified. Valid keys are '{'name', 'digest', 'context'}'"],
  ['dataset.name = 1', 'Expected a quoted string value for dataset attributes. Got value 1'],
  ["dataset.name > 'a'", `Invalid comparator '>' not one of '${STRING_OPS}`],
  ["'a' = params.x", "Invalid comparison clause. Expected 'Identifier' found ''a''"],
  ['1 = metrics.x', "Invalid comparison clause. Expected 'Identifier' found '1'"],
  ["run_id = ('a', 'b')", "Invalid comparison clause. '=' cannot compare with a list. Got value ('a', 'b')"],
];

function assertInvalid(parse: (f: string) => unknown, filter: string, message: string): void {
  assert.throws(() => parse(filter), { name: 'MlflowError', code: 'INVALID_PARAMETER_VALUE', message });
}

void describe('parseRunFilter', () => {
  for (const [filter, expected] of VALID_RUN_FILTERS) {
    void test(`parses ${JSON.stringify(filter)}`, () => assert.deepEqual(parseRunFilter(filter), expected));
  }
  for (const [filter, message] of INVALID_RUN_FILTERS) {
    void test(`rejects ${JSON.stringify(filter)}`, () => assertInvalid(parseRunFilter, filter, message));
  }
  void test('an undefined filter matches everything', () => assert.deepEqual(parseRunFilter(undefined), []));
  void test('value errors win over an earlier clause’s comparator error, as in MLflow', () =>
    assertInvalid(
      parseRunFilter,
      "params.a > 'x' AND metrics.b = 'y'",
      "Expected numeric value type for metric. Found 'y'",
    ));
});

const EXPERIMENT_KEYS = "{'creation_time', 'last_update_time', 'name'}";
const VALID_EXPERIMENT_FILTERS: readonly [string, readonly Comparison[]][] = [
  ['', []],
  ["name = 'exp'", [a('name', '=', 'exp')]],
  ["attribute.name != 'exp'", [a('name', '!=', 'exp')]],
  ["name LIKE 'ex%'", [a('name', 'LIKE', 'ex%')]],
  ['name ILIKE "%EXP%"', [a('name', 'ILIKE', '%EXP%')]],
  ['creation_time > 100', [a('creation_time', '>', 100)]],
  ['attribute.last_update_time <= 100', [a('last_update_time', '<=', 100)]],
  ["tags.team = 'core'", [t('team', '=', 'core')]],
  ["tag.`my team` LIKE 'c%'", [t('my team', 'LIKE', 'c%')]],
  ["tags.team ILIKE 'C%' AND name != 'x'", [t('team', 'ILIKE', 'C%'), a('name', '!=', 'x')]],
];
const INVALID_EXPERIMENT_FILTERS: readonly [string, string][] = [
  ["name = 'a' or name = 'b'", 'Invalid clause(s) in filter string: or'],
  // Recorded from an MLflow 3 server (shared/fixtures/mlflow-wire 018).
  ["name = = 'x'", "Invalid clause(s) in filter string: name, =, =, 'x'"],
  ['metrics.a > 1', "Invalid entity type 'metrics'. Valid entity types are ('attribute', 'tag', 'tags')"],
  ["attributes.name = 'x'", "Invalid entity type 'attributes'. Valid entity types are ('attribute', 'tag', 'tags')"],
  ["experiment_id = '1'", `Invalid attribute key 'experiment_id' specified. Valid keys are '${EXPERIMENT_KEYS}'`],
  ["name like 'a%'", `Invalid comparator 'like' not one of '${STRING_OPS}'`],
  ["name > 'a'", `Invalid comparator '>' not one of '${STRING_OPS}'`],
  ["name NOT IN ('a')", "Only the 'run_id' attribute supports comparison with a list of quoted string values."],
  ['creation_time LIKE 5', `Invalid comparator 'LIKE' not one of '${STRING_OPS}`],
  ["creation_time = 'x'", "Expected numeric value type for numeric attribute: creation_time. Found 'x'"],
  ["tags.a > 'x'", 'Invalid comparator for tag: >'],
  ["tags.a ilike 'x'", 'Invalid comparator for tag: ilike'],
  ["tags.a IN ('x')", "Expected a quoted string value for tag (e.g. 'my-value'). Got value ('x')"],
  [
    'name = x',
    'Parameter value is either not quoted or unidentified quote types used for string value x. Use either single or double quotes.',
  ],
];

void describe('parseExperimentFilter', () => {
  for (const [filter, expected] of VALID_EXPERIMENT_FILTERS) {
    void test(`parses ${JSON.stringify(filter)}`, () => assert.deepEqual(parseExperimentFilter(filter), expected));
  }
  for (const [filter, message] of INVALID_EXPERIMENT_FILTERS) {
    void test(`rejects ${JSON.stringify(filter)}`, () => assertInvalid(parseExperimentFilter, filter, message));
  }
});
