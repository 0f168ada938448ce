import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coverSteps, planBuckets } from './metric-downsample.ts';
import { ROLLUP_FACTOR, ROLLUP_WIDTHS } from './metric-rollups.ts';

/** Deterministic ranges, small and large, on both sides of zero. */
function* ranges(): Generator<[number, number]> {
  let state = 3;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  for (let i = 0; i < 500; i++) {
    const scale = 10 ** Math.floor(next() * 10);
    const lo = Math.floor((next() - 0.3) * scale);
    yield [lo, lo + Math.floor(next() * scale)];
  }
}

void describe('downsampling plan', () => {
  void it('never makes more buckets than the budget allows, and aligns them on the rollup width', () => {
    for (const [lo, hi] of ranges()) {
      for (const budget of [10, 11, 1000, 25_000]) {
        const { level, bucketWidth } = planBuckets(lo, hi, budget);
        const buckets = Math.floor(hi / bucketWidth) - Math.floor(lo / bucketWidth) + 1;
        assert.ok(2 * buckets + 2 <= budget, `${lo}..${hi}, budget ${budget}: ${buckets} buckets`);
        assert.equal(bucketWidth % level, 0);
        assert.ok(level === 1 || ROLLUP_WIDTHS.includes(level));
        // The coarsest usable width: below the widest, rows read stay within ROLLUP_FACTOR per output bucket.
        if (level > 1 && level < ROLLUP_WIDTHS.at(-1)!) assert.ok((hi - lo + 1) / level <= ROLLUP_FACTOR * budget);
      }
    }
  });

  void it('covers a step range exactly once with whole buckets, few of them below the chosen width', () => {
    for (const [lo, hi] of ranges()) {
      const level = planBuckets(lo, hi, 1000).level;
      const pieces = coverSteps(lo, hi, level);
      const spans = pieces
        .map((p) => [p.first * p.width, (p.last + 1) * p.width - 1] as const)
        .sort((a, b) => a[0] - b[0]);
      assert.equal(spans[0]?.[0], lo);
      assert.equal(spans.at(-1)?.[1], hi);
      for (let i = 1; i < spans.length; i++) assert.equal(spans[i]![0], spans[i - 1]![1] + 1, 'no gap, no overlap');
      for (const width of [1, ...ROLLUP_WIDTHS].filter((w) => w < level)) {
        const finer = pieces.filter((p) => p.width === width);
        assert.ok(finer.length <= 2, 'one piece per end at most');
        assert.ok(
          finer.every((p) => p.last - p.first < 31),
          'an end is less than one coarser bucket',
        );
      }
    }
  });
});
