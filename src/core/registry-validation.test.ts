import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalStage,
  modelNameKey,
  parseModelVersion,
  validateAlias,
  validateModelName,
  validateRegistryTag,
} from './registry-validation.ts';

const invalid = (fn: () => unknown, message?: string) =>
  assert.throws(fn, (e: { code?: string; message?: string }) => {
    assert.equal(e.code, 'INVALID_PARAMETER_VALUE');
    if (message) assert.ok(e.message?.includes(message), e.message);
    return true;
  });

void describe('registry validation', () => {
  void it('keys model names by their fully percent-decoded text', () => {
    assert.equal(modelNameKey('my%20model'), 'my model');
    assert.equal(modelNameKey('my%2520model'), 'my model');
    assert.equal(modelNameKey('%E6%A8%A1%E5%9E%8B'), '模型');
    assert.equal(modelNameKey('100%'), '100%');
    assert.equal(modelNameKey('a%zzb+c'), 'a%zzb+c');
    assert.equal(modelNameKey('%ff'), '\uFFFD');
  });

  void it('parses versions as Python int() does and requires them positive', () => {
    assert.equal(parseModelVersion('3'), 3);
    assert.equal(parseModelVersion(' +12 '), 12);
    assert.equal(parseModelVersion('1_000'), 1000);
    for (const bad of ['', 'abc', '1.0', '0', '-2', '1__0', '99999999999999999999'])
      invalid(() => parseModelVersion(bad));
    invalid(() => parseModelVersion('x'), "Parameter 'version' must be an integer, got 'x'.");
  });

  void it('checks aliases in MLflow’s order of rules', () => {
    for (const ok of ['champion', 'a-b_c', 'V1x', 'vv1', 'modèle', '']) if (ok) validateAlias(ok);
    invalid(() => validateAlias(''), 'cannot be empty');
    invalid(() => validateAlias('a b'), "Invalid alias name: 'a b'");
    invalid(() => validateAlias('LATEST'), "'latest' alias name (case insensitive) is reserved.");
    invalid(() => validateAlias('v12'), "Version alias name 'v12' is reserved.");
    invalid(() => validateAlias('x'.repeat(256)), 'length limit of 255');
  });

  void it('canonicalises stages case-insensitively and names the valid ones otherwise', () => {
    assert.equal(canonicalStage('PRODUCTION'), 'Production');
    assert.equal(canonicalStage('none'), 'None');
    invalid(() => canonicalStage('Prod'), 'Value must be one of None, Staging, Production, Archived.');
  });

  void it('limits names and tags', () => {
    validateModelName('m'.repeat(256));
    invalid(() => validateModelName('m'.repeat(257)));
    invalid(() => validateModelName(''), "Missing value for required parameter 'name'");
    validateRegistryTag({ key: 'a.b/c d-e', value: 'v'.repeat(5000) });
    invalid(() => validateRegistryTag({ key: 'k'.repeat(251), value: '' }));
    invalid(() => validateRegistryTag({ key: 'a/../b', value: '' }));
    invalid(() => validateRegistryTag({ key: 'k', value: 'v'.repeat(5001) }));
  });
});
