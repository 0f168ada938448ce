import type { Registry } from 'prom-client';

type Labels = Record<string, string>;
type Sample = { metricName: string; labels: Record<string, string | number>; value: number };

/** One labelled series: a plain array per bucket, so observing is a short loop and three adds. */
export class HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        this.counts[i]!++;
        break;
      }
    }
    this.sum += value;
    this.count++;
  }
}

/**
 * A Prometheus histogram for the per-request path, registered in a prom-client Registry as a
 * custom metric. prom-client's own hashes the label object on every observation (a couple of
 * microseconds); callers here hold their series and observe it directly.
 */
export class LightHistogram {
  private readonly all = new Map<string, HistogramSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The series for `key`, made with `labels()` the first time. */
  series(key: string, labels: () => Labels): HistogramSeries {
    let found = this.all.get(key);
    if (found === undefined) {
      found = new HistogramSeries(labels(), this.bounds);
      this.all.set(key, found);
    }
    return found;
  }

  /** What prom-client's registry renders: cumulative buckets, then _sum and _count, per series. */
  async get(): Promise<{ name: string; help: string; type: 'histogram'; values: Sample[]; aggregator: 'sum' }> {
    const values: Sample[] = [];
    for (const s of this.all.values()) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += s.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le: bound }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count });
      values.push({ metricName: `${this.name}_sum`, labels: s.labels, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: s.labels, value: s.count });
    }
    return { name: this.name, help: this.help, type: 'histogram', values, aggregator: 'sum' };
  }

  reset(): void {
    this.all.clear();
  }
}
