import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareJson, compareResponse, contentClass, type Diff, formatDiffs, type LiveResponse } from './compare.ts';
import type { Json, RecordedResponse } from './fixtures.ts';

const problems = (diffs: readonly Diff[]) => diffs.map((d) => `${d.pointer}: ${d.problem}`);

const jsonResponse = (status: number, value: Json): RecordedResponse => ({
  status,
  contentType: 'application/json',
  body: { kind: 'json', value },
});
const live = (status: number, body: string, contentType = 'application/json'): LiveResponse => ({
  status,
  contentType,
  body: Buffer.from(body),
});

void describe('compareJson', () => {
  const run = { info: { run_id: 'abc', status: 'RUNNING', start_time: 1700000000000 }, data: { tags: [] } };

  void it('accepts an identical body', () => {
    assert.deepEqual(compareJson(run, structuredClone(run)), []);
  });

  void it('reports a key MLflow sends that the live body lacks', () => {
    const diffs = compareJson(run, { ...run, info: { run_id: 'abc', start_time: 1700000000000 } });
    assert.deepEqual(diffs, [{ pointer: '/info/status', problem: 'missing key', expected: 'RUNNING' }]);
  });

  void it('reports a key MLflow omits (a default-valued field) that the live body adds', () => {
    const diffs = compareJson(run, { ...run, info: { ...run.info, end_time: 0 } });
    assert.deepEqual(diffs, [{ pointer: '/info/end_time', problem: 'unexpected key', actual: 0 }]);
  });

  void it('reports a wrong value with its pointer, expected and actual', () => {
    const diffs = compareJson(run, { ...run, info: { ...run.info, status: 'FINISHED' } });
    assert.deepEqual(diffs, [
      { pointer: '/info/status', problem: 'value differs', expected: 'RUNNING', actual: 'FINISHED' },
    ]);
  });

  void it('compares numbers by value, so Python 1.0 equals JS 1', () => {
    const recorded = JSON.parse('{"value": 1.0, "third": 0.3333333333333333, "max": 1.7976931348623157e+308}') as Json;
    assert.deepEqual(compareJson(recorded, { value: 1, third: 1 / 3, max: Number.MAX_VALUE }), []);
    assert.deepEqual(problems(compareJson({ value: 1 }, { value: 1.5 })), ['/value: value differs']);
  });

  void it('reports a type change such as a numeric id sent as a number instead of a string', () => {
    assert.deepEqual(problems(compareJson({ experiment_id: '1' }, { experiment_id: 1 })), [
      '/experiment_id: type differs',
    ]);
    assert.deepEqual(problems(compareJson({ metrics: [] }, { metrics: {} })), ['/metrics: type differs']);
  });

  void it('compares arrays element by element in order', () => {
    const steps = [{ step: 0 }, { step: 1 }];
    assert.deepEqual(problems(compareJson(steps, [{ step: 0 }, { step: 2 }])), ['/1/step: value differs']);
    assert.deepEqual(problems(compareJson(steps, [{ step: 0 }])), [': array length differs', '/1: missing element']);
    assert.deepEqual(problems(compareJson(steps, [...steps, { step: 2 }])), [
      ': array length differs',
      '/2: unexpected element',
    ]);
  });

  void it('reports a mere reordering as one difference', () => {
    const diffs = compareJson([1, 2, 3], [3, 1, 2]);
    assert.deepEqual(diffs, [
      { pointer: '', problem: 'same elements in a different order', expected: [1, 2, 3], actual: [3, 1, 2] },
    ]);
  });

  void it('summarises key/value lists by key and still compares their values by key', () => {
    const tags = [
      { key: 'stage', value: 'wire' },
      { key: 'mlflow.runName', value: 'run-one' },
    ];
    const reordered = [
      { key: 'mlflow.runName', value: 'run-1' },
      { key: 'stage', value: 'wire' },
    ];
    assert.deepEqual(compareJson(tags, reordered), [
      {
        pointer: '',
        problem: 'same keys in a different order',
        expected: ['stage', 'mlflow.runName'],
        actual: ['mlflow.runName', 'stage'],
      },
      { pointer: '/1/value', problem: 'value differs', expected: 'run-one', actual: 'run-1' },
    ]);
    assert.deepEqual(problems(compareJson(tags, [{ key: 'stage', value: 'wire' }])), [': keys differ']);
  });

  void it('escapes keys holding / and ~ in pointers', () => {
    assert.deepEqual(problems(compareJson({ 'a/b~c': 1 }, { 'a/b~c': 2 })), ['/a~1b~0c: value differs']);
  });

  void it('compares volatile values for presence and type only', () => {
    const volatile = ['/info/run_id', '/info/start_time'];
    const other = { ...run, info: { ...run.info, run_id: 'def', start_time: 1795728298304 } };
    assert.deepEqual(compareJson(run, other, { volatile }), []);
    const withoutId = { status: 'RUNNING', start_time: 'now' };
    assert.deepEqual(problems(compareJson(run, { ...run, info: withoutId }, { volatile })), [
      '/info/run_id: missing key',
      '/info/start_time: type differs (volatile value: type only)',
    ]);
  });

  void it('holds a pinned volatile value to the value the pin gives', () => {
    const pin = (pointer: string) => (pointer === '/info/run_id' ? 'live-id' : undefined);
    const options = { volatile: ['/info/run_id'], pin };
    assert.deepEqual(compareJson(run, { ...run, info: { ...run.info, run_id: 'live-id' } }, options), []);
    const diffs = compareJson(run, { ...run, info: { ...run.info, run_id: 'other' } }, options);
    assert.deepEqual(diffs, [
      { pointer: '/info/run_id', problem: 'value differs', expected: 'live-id', actual: 'other' },
    ]);
  });
});

void describe('compareResponse', () => {
  const error = jsonResponse(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Run with id=x not found' });
  const htmlNotFound: RecordedResponse = {
    status: 404,
    contentType: 'text/html; charset=utf-8',
    body: { kind: 'text', text: '<!doctype html><title>404 Not Found</title>' },
  };

  void it('reports a wrong status once, with the live body to show why', () => {
    const diffs = compareResponse(jsonResponse(200, {}), live(404, '{"error_code":"ENDPOINT_NOT_FOUND"}'));
    assert.deepEqual(diffs, [
      {
        pointer: '(status)',
        problem: 'status differs',
        expected: 200,
        actual: 404,
        detail: 'live body: {"error_code":"ENDPOINT_NOT_FOUND"}',
      },
    ]);
    assert.match(
      formatDiffs(diffs),
      /\(status\): status differs\n {6}expected: 200\n {6}actual: {3}404\n {6}live body: \{"error_code"/,
    );
  });

  void it('ignores the text of an error message but not its error_code', () => {
    assert.deepEqual(
      compareResponse(error, live(404, '{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"no run x"}')),
      [],
    );
    const wrongCode = compareResponse(error, live(404, '{"error_code":"NOT_FOUND","message":"no run x"}'));
    assert.deepEqual(problems(wrongCode), ['/error_code: value differs']);
  });

  void it('still requires the error message to be present and a string', () => {
    assert.deepEqual(problems(compareResponse(error, live(404, '{"error_code":"RESOURCE_DOES_NOT_EXIST"}'))), [
      '/message: missing key',
    ]);
    const numeric = compareResponse(error, live(404, '{"error_code":"RESOURCE_DOES_NOT_EXIST","message":7}'));
    assert.deepEqual(problems(numeric), ['/message: type differs (volatile value: type only)']);
  });

  void it('requires a JSON content type and a parseable body where MLflow sent JSON', () => {
    assert.deepEqual(problems(compareResponse(jsonResponse(200, {}), live(200, '{}', 'text/plain'))), [
      '(content-type): content type differs',
    ]);
    assert.deepEqual(problems(compareResponse(jsonResponse(200, {}), live(200, '{oops'))), [
      '(body): body is not JSON',
    ]);
  });

  void it('accepts a JSON error body where MLflow sent an HTML error page, if the status matches', () => {
    assert.deepEqual(
      compareResponse(htmlNotFound, live(404, '{"error_code":"ENDPOINT_NOT_FOUND","message":"no route"}')),
      [],
    );
    assert.deepEqual(compareResponse(htmlNotFound, live(404, '<html>not found</html>', 'text/html')), []);
    assert.deepEqual(problems(compareResponse(htmlNotFound, live(404, '{"message":"no route"}'))), [
      '/error_code: JSON error body needs a string',
    ]);
    assert.deepEqual(problems(compareResponse(htmlNotFound, live(405, '{"error_code":"X","message":"m"}'))), [
      '(status): status differs',
    ]);
  });

  void it('matches text bodies exactly by default and by content type class', () => {
    const health: RecordedResponse = {
      status: 200,
      contentType: 'text/html; charset=utf-8',
      body: { kind: 'text', text: 'OK' },
    };
    assert.deepEqual(compareResponse(health, live(200, 'OK', 'text/plain; charset=utf-8')), []);
    assert.deepEqual(problems(compareResponse(health, live(200, 'ok', 'text/plain'))), ['(body): text differs']);
    assert.deepEqual(problems(compareResponse(health, live(200, '"OK"'))), ['(content-type): content type differs']);
  });

  void it('only requires non-empty text when told the content is not ours to match', () => {
    const version: RecordedResponse = {
      status: 200,
      contentType: 'text/html',
      body: { kind: 'text', text: '3.11.2.dev0' },
    };
    assert.deepEqual(compareResponse(version, live(200, '0.1.0', 'text/plain'), { text: 'non-empty' }), []);
    assert.deepEqual(problems(compareResponse(version, live(200, ' ', 'text/plain'), { text: 'non-empty' })), [
      '(body): empty body',
    ]);
  });

  void it('classifies content types by JSON-ness, else by top-level type', () => {
    assert.equal(contentClass('application/json; charset=utf-8'), 'json');
    assert.equal(contentClass('application/problem+json'), 'json');
    assert.equal(contentClass('text/html; charset=utf-8'), 'text');
    assert.equal(contentClass('application/octet-stream'), 'application');
    assert.equal(contentClass(''), '(none)');
  });
});

void describe('formatDiffs', () => {
  void it('shows pointer, problem, expected and actual for each difference', () => {
    const text = formatDiffs([
      { pointer: '/run/info/status', problem: 'value differs', expected: 'RUNNING', actual: 'FINISHED' },
      { pointer: '/run/inputs', problem: 'missing key', expected: {} },
    ]);
    assert.equal(
      text,
      [
        '  /run/info/status: value differs',
        '      expected: "RUNNING"',
        '      actual:   "FINISHED"',
        '  /run/inputs: missing key',
        '      expected: {}',
      ].join('\n'),
    );
  });

  void it('shortens long values and long lists of differences', () => {
    const many = Array.from({ length: 45 }, (_, i) => ({
      pointer: `/m/${i}`,
      problem: 'missing element',
      expected: 'x'.repeat(400),
    }));
    const text = formatDiffs(many);
    assert.match(text, /… \(402 chars\)/);
    assert.match(text, /… and 5 more differences$/);
    assert.doesNotMatch(text, /\/m\/40:/);
  });
});
