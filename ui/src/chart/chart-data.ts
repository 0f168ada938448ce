import type { Metric } from '../api/types.ts';

export type XMode = 'step' | 'time' | 'relative';

export interface SeriesPoints {
  readonly label: string;
  /** x in the chosen mode (step, epoch seconds, or seconds since the run's first point). */
  readonly xs: readonly number[];
  /** y, null where the run logged NaN (drawn as a gap). */
  readonly ys: readonly (number | null)[];
  /** Each point's step: zooming maps the visible x range back to steps for the next request. */
  readonly steps: readonly number[];
}

/** Points of one history on the chosen x axis, in x order. */
export function toSeries(label: string, metrics: readonly Metric[], mode: XMode): SeriesPoints {
  const sorted = mode === 'step' ? metrics : [...metrics].sort((a, b) => a.timestamp - b.timestamp || a.step - b.step);
  const origin = sorted.length > 0 ? Math.min(...sorted.map((m) => m.timestamp)) : 0;
  const xs = sorted.map((m) =>
    mode === 'step' ? m.step : mode === 'time' ? m.timestamp / 1000 : (m.timestamp - origin) / 1000,
  );
  const ys = sorted.map((m) => (typeof m.value === 'number' && Number.isFinite(m.value) ? m.value : null));
  return { label, xs, ys, steps: sorted.map((m) => m.step) };
}

/**
 * uPlot wants one shared x array: the union of every series' x, each series null where it has no
 * point there (gaps are spanned). Duplicate x within a series (min and max of a bucket at one step)
 * are kept by repeating the x.
 */
export function alignSeries(series: readonly SeriesPoints[]): [number[], ...(number | null)[][]] {
  const events: { x: number; s: number; y: number | null }[] = [];
  series.forEach((one, s) => one.xs.forEach((x, i) => events.push({ x, s, y: one.ys[i] ?? null })));
  events.sort((a, b) => a.x - b.x || a.s - b.s);
  const xs: number[] = [];
  const ys: (number | null)[][] = series.map(() => []);
  for (const event of events) {
    xs.push(event.x);
    ys.forEach((column, s) => column.push(s === event.s ? event.y : null));
  }
  return [xs, ...ys];
}

/**
 * Exponential moving average with TensorBoard's debiasing (the first points are not pulled toward
 * zero); `weight` 0 leaves the values as they are. Nulls stay nulls and do not reset the average.
 */
export function smooth(values: readonly (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return [...values];
  let last = 0;
  let count = 0;
  return values.map((value) => {
    if (value === null) return null;
    last = last * weight + (1 - weight) * value;
    count++;
    return last / (1 - weight ** count);
  });
}

/**
 * The step range whose points are drawn between xMin and xMax, widened by one point on each side so
 * the zoomed view's edges connect: what the downsampled endpoint is asked for after a zoom.
 */
export function stepRangeOf(
  series: readonly SeriesPoints[],
  xMin: number,
  xMax: number,
): { startStep: number; endStep: number } | undefined {
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const one of series) {
    for (let i = 0; i < one.xs.length; i++) {
      const x = one.xs[i]!;
      const inside = x >= xMin && x <= xMax;
      const edge = (x < xMin && (one.xs[i + 1] ?? x) >= xMin) || (x > xMax && (one.xs[i - 1] ?? x) <= xMax);
      if (inside || edge) {
        start = Math.min(start, one.steps[i]!);
        end = Math.max(end, one.steps[i]!);
      }
    }
  }
  return Number.isFinite(start) && Number.isFinite(end) ? { startStep: start, endStep: end } : undefined;
}
