import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServerNode } from '../store/node-registry-store.ts';
import { differingSettings, referenceNode } from './node-registry.service.ts';

const aNode = (nodeId: string, configFingerprint: string): ServerNode => ({
  nodeId,
  host: 'h',
  port: 1,
  version: '0.1.0',
  schemaVersion: 6,
  configFingerprint,
  configSummary: {},
  startedAt: 0,
  heartbeatAt: 0,
});

void describe('referenceNode', () => {
  void it('picks the fingerprint most live nodes share', () => {
    assert.equal(referenceNode([aNode('1', 'odd'), aNode('2', 'main'), aNode('3', 'main')])?.nodeId, '2');
  });
  void it('on a tie, picks the oldest live node', () => {
    assert.equal(referenceNode([aNode('1', 'x'), aNode('2', 'y')])?.nodeId, '1');
  });
  void it('has no reference without nodes', () => {
    assert.equal(referenceNode([]), undefined);
  });
});

void describe('differingSettings', () => {
  void it('names the top-level settings whose values differ, nested key order aside', () => {
    assert.deepEqual(
      differingSettings({ a: { x: 1, y: 2 }, b: true, c: 'same' }, { a: { y: 2, x: 1 }, b: false, c: 'same', d: 1 }),
      ['b', 'd'],
    );
  });
});
