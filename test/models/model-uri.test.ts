/** Model URIs as MLflow spells them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseModelUri } from '../../src/models/model-uri.ts';

void describe('parseModelUri', () => {
  void it('reads aliases, versions, latest, stages, runs and paths', () => {
    assert.deepEqual(parseModelUri('models:/pricing@champion'), { kind: 'alias', name: 'pricing', alias: 'champion' });
    assert.deepEqual(parseModelUri('models:/team/pricing/3'), { kind: 'version', name: 'team/pricing', version: '3' });
    assert.deepEqual(parseModelUri('models:/pricing/latest'), { kind: 'latest', name: 'pricing' });
    assert.deepEqual(parseModelUri('models:/pricing/Production'), {
      kind: 'latest',
      name: 'pricing',
      stage: 'Production',
    });
    assert.deepEqual(parseModelUri('runs:/abc123/model/onnx'), { kind: 'run', runId: 'abc123', path: 'model/onnx' });
    assert.deepEqual(parseModelUri('./model', '/work'), { kind: 'local', dir: '/work/model' });
    assert.deepEqual(parseModelUri('file:///srv/model'), { kind: 'local', dir: '/srv/model' });
  });

  void it('refuses URIs that name no model', () => {
    assert.throws(() => parseModelUri('models:/pricing'), /Not a model URI: 'models:\/pricing'/);
    assert.throws(() => parseModelUri('models:/pricing/v-1'), /Not a model URI/);
    assert.throws(() => parseModelUri('runs:/'), /Not a run URI/);
  });
});
