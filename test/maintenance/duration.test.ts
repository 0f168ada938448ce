/** `--older-than` durations, as `mlflow gc` spells them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDuration } from '../../src/cli/duration.ts';

void describe('parseDuration', () => {
  void it('reads #d#h#m#s with any part left out, decimals included', () => {
    assert.equal(parseDuration('30d'), 30 * 86_400_000);
    assert.equal(parseDuration('1d2h3m4s'), 86_400_000 + 2 * 3_600_000 + 3 * 60_000 + 4000);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.equal(parseDuration('0s'), 0);
  });

  void it('refuses anything else', () => {
    for (const bad of ['', '5', '1h1d', '-1d', 'soon', '1 d']) assert.equal(parseDuration(bad), undefined, bad);
  });
});
