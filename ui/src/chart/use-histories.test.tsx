import { renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { PlumbApi } from '../api/client.ts';
import { fakeFetch } from '../test/fake-fetch.ts';
import { alignSeries, smooth, stepRangeOf, toSeries } from './chart-data.ts';
import { type StepRange, useHistories } from './use-histories.ts';

const RUNS = [
  { runId: 'r1', label: 'first' },
  { runId: 'r2', label: 'second' },
];

/** The downsampled endpoint over a 1M-step history: the requested range, bucketed to max_points. */
function downsampledServer() {
  return fakeFetch((request) => {
    const start = Number(request.url.searchParams.get('start_step') ?? 0);
    const end = Number(request.url.searchParams.get('end_step') ?? 999_999);
    const maxPoints = Number(request.url.searchParams.get('max_points'));
    const width = Math.ceil((end - start + 1) / (maxPoints / 2));
    const metrics = [];
    for (let step = start; step <= end; step += width) {
      metrics.push({ key: 'loss', value: 1, timestamp: 1_700_000_000_000 + step, step });
      metrics.push({ key: 'loss', value: step === 500_000 ? 99 : 0.5, timestamp: 1_700_000_000_000 + step, step });
    }
    return { body: { metrics, step_bucket_width: width } };
  });
}

describe('useHistories', () => {
  it('asks the downsampled endpoint per run, then again for just the zoomed step range', async () => {
    const server = downsampledServer();
    const api = new PlumbApi(server.fetcher);
    const { result, rerender } = renderHook(
      ({ range }: { range: StepRange | undefined }) => useHistories(api, RUNS, 'loss', range, 2000),
      { initialProps: { range: undefined as StepRange | undefined } },
    );
    await waitFor(() => expect(result.current.status).toBe('ok'));
    expect(server.requests).toHaveLength(2);
    for (const [i, request] of server.requests.entries()) {
      expect(request.url.pathname).toBe('/ajax-api/2.0/plumb/metrics/get-history-downsampled');
      expect(request.url.searchParams.get('run_id')).toBe(RUNS[i]!.runId);
      expect(request.url.searchParams.get('metric_key')).toBe('loss');
      expect(request.url.searchParams.get('max_points')).toBe('2000');
      expect(request.url.searchParams.has('start_step')).toBe(false);
      expect(request.url.searchParams.has('end_step')).toBe(false);
    }
    const whole = result.current.histories!;
    expect(whole[0]!.bucketWidth).toBe(1000);
    // The spike at step 500,000 is in the bucket envelope.
    expect(whole[0]!.metrics.some((m) => m.value === 99)).toBe(true);

    rerender({ range: { startStep: 250_000, endStep: 260_000 } });
    await waitFor(() => expect(server.requests).toHaveLength(4));
    await waitFor(() => expect(result.current.status).toBe('ok'));
    for (const request of server.requests.slice(2)) {
      expect(request.url.searchParams.get('start_step')).toBe('250000');
      expect(request.url.searchParams.get('end_step')).toBe('260000');
      expect(request.url.searchParams.get('max_points')).toBe('2000');
    }
    // Zoomed in, each bucket is 100× narrower: the detail the whole view could not show.
    expect(result.current.histories![0]!.bucketWidth).toBe(11);
  });

  it('reports a server error instead of an empty chart', async () => {
    const server = fakeFetch(() => ({
      status: 404,
      body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: "Run 'r1' not found" },
    }));
    const api = new PlumbApi(server.fetcher);
    const { result } = renderHook(() => useHistories(api, RUNS.slice(0, 1), 'loss', undefined, 500));
    await waitFor(() => expect(result.current.status).toBe('error'));
    expect(result.current.status === 'error' && result.current.error.message).toBe("Run 'r1' not found");
  });
});

describe('chart data', () => {
  const metrics = [0, 10, 20, 30, 40].map((step, i) => ({
    key: 'loss',
    value: i === 2 ? 'NaN' : step / 10,
    timestamp: 1_700_000_000_000 + i * 2000,
    step,
  }));

  it('maps a zoomed x range back to steps, one point wider on each side', () => {
    const series = [toSeries('a', metrics, 'step')];
    expect(stepRangeOf(series, 12, 28)).toEqual({ startStep: 10, endStep: 30 });
    const relative = [toSeries('a', metrics, 'relative')];
    // Relative seconds 2..6 hold steps 10..30, widened to 0..40.
    expect(stepRangeOf(relative, 2, 6)).toEqual({ startStep: 0, endStep: 40 });
    // Between two points: the two neighbours, so the zoomed line is still drawn.
    expect(stepRangeOf(series, 12, 18)).toEqual({ startStep: 10, endStep: 20 });
    // Past the last point there is nothing to ask for.
    expect(stepRangeOf(series, 100, 200)).toBeUndefined();
  });

  it('draws NaN as a gap and lines up several runs on one x axis', () => {
    const a = toSeries('a', metrics, 'step');
    expect(a.ys).toEqual([0, 1, null, 3, 4]);
    const b = toSeries('b', [{ key: 'loss', value: 7, timestamp: 0, step: 15 }], 'step');
    const [xs, ya, yb] = alignSeries([a, b]);
    expect(xs).toEqual([0, 10, 15, 20, 30, 40]);
    expect(ya).toEqual([0, 1, null, null, 3, 4]);
    expect(yb).toEqual([null, null, 7, null, null, null]);
  });

  it('smooths with a debiased moving average, leaving gaps alone', () => {
    expect(smooth([1, 2, null, 3], 0)).toEqual([1, 2, null, 3]);
    const smoothed = smooth([2, 2, null, 2], 0.9);
    expect(smoothed[0]).toBeCloseTo(2);
    expect(smoothed[2]).toBeNull();
    expect(smoothed[3]).toBeCloseTo(2);
  });
});
