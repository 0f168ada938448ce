import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  backoffMs,
  isRetryableNetworkError,
  isRetryableStatus,
  parseRetryAfter,
  resolveRetryOptions,
} from './retry.ts';

void describe('client retry policy', () => {
  void it('reads Retry-After as seconds or as an HTTP date, and ignores junk', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('3', now), 3000);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });

  void it('backs off exponentially with full jitter, capped', () => {
    const options = resolveRetryOptions({ baseDelayMs: 100, maxDelayMs: 1000 });
    assert.equal(
      backoffMs(1, options, () => 1),
      100,
    );
    assert.equal(
      backoffMs(3, options, () => 1),
      400,
    );
    assert.equal(
      backoffMs(10, options, () => 1),
      1000,
    );
    assert.equal(
      backoffMs(3, options, () => 0),
      0,
    );
  });

  void it('retries 429/503 always and 500/502/504 only for idempotent calls', () => {
    for (const status of [429, 503]) assert.ok(isRetryableStatus(status, false));
    for (const status of [500, 502, 504]) {
      assert.ok(isRetryableStatus(status, true));
      assert.ok(!isRetryableStatus(status, false));
    }
    for (const status of [400, 404, 409, 501]) assert.ok(!isRetryableStatus(status, true));
  });

  void it('retries a refused connection for any call, a reset only for idempotent ones', () => {
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
    });
    const reset = new TypeError('fetch failed', { cause: Object.assign(new Error('read'), { code: 'ECONNRESET' }) });
    assert.ok(isRetryableNetworkError(refused, false));
    assert.ok(!isRetryableNetworkError(reset, false));
    assert.ok(isRetryableNetworkError(reset, true));
  });
});
