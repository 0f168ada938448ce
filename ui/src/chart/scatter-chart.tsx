import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import type { Run } from '../api/types.ts';
import { type AxisChoice, axisChoices, scatterData } from './scatter-data.ts';

const encode = (axis: AxisChoice) => `${axis.kind}:${axis.key}`;
const decode = (value: string): AxisChoice => {
  const at = value.indexOf(':');
  return { kind: value.slice(0, at) as AxisChoice['kind'], key: value.slice(at + 1) };
};

/** A param (or metric) against a metric, one point per run: how a setting relates to a result across many runs. */
export function ScatterChart(props: { runs: readonly Run[] }) {
  const { params, metrics } = useMemo(() => axisChoices(props.runs), [props.runs]);
  const [x, setX] = useState<AxisChoice | undefined>();
  const [y, setY] = useState<AxisChoice | undefined>();
  const xAxis = x ?? (params[0] !== undefined ? { kind: 'param', key: params[0] } : undefined);
  const yAxis = y ?? (metrics[0] !== undefined ? { kind: 'metric', key: metrics[0] } : undefined);
  const data = useMemo(
    () => (xAxis && yAxis ? scatterData(props.runs, xAxis, yAxis) : undefined),
    [props.runs, xAxis?.kind, xAxis?.key, yAxis?.kind, yAxis?.key],
  );
  if (!xAxis || !yAxis || !data) return <div className="state">These runs have no metrics to plot.</div>;
  return (
    <div className="chart">
      <div className="chart-controls" role="group" aria-label="Scatter options">
        <label>
          X{' '}
          <select aria-label="Scatter x" value={encode(xAxis)} onChange={(event) => setX(decode(event.target.value))}>
            {params.map((key) => (
              <option key={`p${key}`} value={`param:${key}`}>
                params.{key}
              </option>
            ))}
            {metrics.map((key) => (
              <option key={`m${key}`} value={`metric:${key}`}>
                metrics.{key}
              </option>
            ))}
          </select>
        </label>
        <label>
          Y{' '}
          <select aria-label="Scatter y" value={encode(yAxis)} onChange={(event) => setY(decode(event.target.value))}>
            {metrics.map((key) => (
              <option key={key} value={`metric:${key}`}>
                metrics.{key}
              </option>
            ))}
          </select>
        </label>
        <span className="muted" aria-live="polite">
          {data.xs.length} runs{data.skipped > 0 ? ` (${data.skipped} without both values)` : ''}
        </span>
      </div>
      <ScatterView data={data} xLabel={`${xAxis.kind}s.${xAxis.key}`} yLabel={`metrics.${yAxis.key}`} />
    </div>
  );
}

function ScatterView(props: { data: ReturnType<typeof scatterData>; xLabel: string; yLabel: string }) {
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const { xs, ys, categories } = props.data;
    const ink = getComputedStyle(element).color || '#888';
    const axis = { stroke: ink, grid: { stroke: 'rgba(128,128,128,0.2)' }, ticks: { stroke: 'rgba(128,128,128,0.4)' } };
    const plot = new uPlot(
      {
        width: Math.max(320, element.clientWidth || 900),
        height: 300,
        scales: { x: { time: false } },
        axes: [
          {
            ...axis,
            label: props.xLabel,
            ...(categories
              ? {
                  splits: () => categories.map((_, i) => i),
                  values: (_u: uPlot, splits: number[]) => splits.map((i) => categories[i] ?? ''),
                }
              : {}),
          },
          { ...axis, label: props.yLabel },
        ],
        series: [
          { label: props.xLabel },
          // Points only: a line through runs sorted by x would suggest an order that is not there.
          { label: props.yLabel, stroke: '#1f77b4', paths: () => null, points: { show: true, size: 7 } },
        ],
        legend: { show: false },
      },
      [xs, ys],
      element,
    );
    element.dataset.points = String(xs.length);
    return () => plot.destroy();
  }, [props.data, props.xLabel, props.yLabel]);
  return <div ref={container} className="chart-canvas" data-testid="scatter-chart" />;
}
