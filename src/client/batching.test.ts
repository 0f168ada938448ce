import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LIMITS } from '../core/validation.ts';
import { batchEnd, batches, type LogItem, logBatchBody } from './batching.ts';

const metric = (step: number, key = 'm'): LogItem => ({ kind: 'metric', key, value: step, timestamp: 1, step });
const param = (key: string, value = 'v'): LogItem => ({ kind: 'param', key, value });
const tag = (key: string, value = 'v'): LogItem => ({ kind: 'tag', key, value });

/** What the server checks (validateBatchLimits, the 1 MB body, unique param keys), checked on a built body. */
function assertAccepted(body: ReturnType<typeof logBatchBody>): void {
  assert.ok(body.metrics.length <= LIMITS.maxMetricsPerBatch);
  assert.ok(body.params.length <= LIMITS.maxParamsTagsPerBatch);
  assert.ok(body.tags.length <= LIMITS.maxParamsTagsPerBatch);
  assert.ok(body.metrics.length + body.params.length + body.tags.length <= LIMITS.maxEntitiesPerBatch);
  assert.ok(Buffer.byteLength(JSON.stringify(body)) <= LIMITS.maxBatchRequestBytes);
  assert.equal(new Set(body.params.map((p) => p.key)).size, body.params.length);
}

void describe('log-batch splitting', () => {
  void it('never builds a batch over 1000 metrics, 100 params, 100 tags or 1000 items', () => {
    const items: LogItem[] = [];
    for (let i = 0; i < 3500; i++) items.push(metric(i));
    for (let i = 0; i < 330; i++) items.push(param(`p${i}`), tag(`t${i}`), metric(i, 'k'));
    const bodies = [...batches('r', items)];
    bodies.forEach(assertAccepted);
    assert.equal(
      bodies.reduce((n, b) => n + b.metrics.length + b.params.length + b.tags.length, 0),
      items.length,
    );
    assert.equal(bodies[0]?.metrics.length, 1000);
  });

  void it('keeps a body under 1 MB when params and tags are long, multi-byte ones included', () => {
    const items: LogItem[] = [];
    for (let i = 0; i < 100; i++) items.push(param(`p${i}`, 'é'.repeat(6000)), tag(`t${i}`, '"\n'.repeat(4000)));
    const bodies = [...batches('0123456789abcdef0123456789abcdef', items)];
    bodies.forEach(assertAccepted);
    assert.ok(bodies.length > 2, `${bodies.length} bodies`);
  });

  void it('starts a new batch at a repeated param or tag key, so the server sees each once and in order', () => {
    const items = [param('lr', '1'), tag('stage', 'a'), metric(0), tag('stage', 'b'), param('lr', '1')];
    assert.equal(batchEnd(items, 0, items.length), 3);
    assert.equal(batchEnd(items, 3, items.length), 5);
  });

  void it('stops before a tag when asked to, and otherwise always takes at least one item', () => {
    const items = [metric(0), tag('t'), metric(1)];
    assert.equal(batchEnd(items, 0, 3, true), 1);
    assert.equal(batchEnd(items, 1, 3, true), 1, 'a tag at the head waits for the tag lane');
    const huge = [param('p', 'x'.repeat(2_000_000))];
    assert.equal(batchEnd(huge, 0, 1), 1, 'an item over the limit goes alone and the server says why');
  });

  void it('sends NaN and infinities as proto JSON strings, not as null', () => {
    const items: LogItem[] = [
      { kind: 'metric', key: 'a', value: Number.NaN, timestamp: 1, step: 0 },
      { kind: 'metric', key: 'b', value: Number.POSITIVE_INFINITY, timestamp: 1, step: 0, modelId: 'm-1' },
      { kind: 'metric', key: 'c', value: Number.NEGATIVE_INFINITY, timestamp: 1, step: 0 },
    ];
    const body = logBatchBody('r', items, 0, 3);
    assert.deepEqual(
      body.metrics.map((m) => m.value),
      ['NaN', 'Infinity', '-Infinity'],
    );
    assert.equal(body.metrics[1]?.model_id, 'm-1');
  });
});
