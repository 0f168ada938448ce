import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import type { PlumbApi } from '../api/client.ts';
import { alignSeries, smooth, stepRangeOf, toSeries, type XMode } from './chart-data.ts';
import { type ChartRun, type StepRange, useHistories } from './use-histories.ts';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
/** Points asked per run: about two per horizontal pixel of a 1280-wide screen keeps every spike visible. */
const MAX_POINTS = 2000;

export interface MetricChartProps {
  readonly api: PlumbApi;
  readonly runs: readonly ChartRun[];
  readonly metricKey: string;
}

/**
 * One metric of one or several runs. Dragging over the plot zooms: the visible x range becomes a
 * step range and the server is asked for that range's points, so zooming into a 1M-point history
 * shows its real detail. Smoothing and log scale are drawn from the same data.
 */
export function MetricChart(props: MetricChartProps) {
  const [mode, setMode] = useState<XMode>('step');
  const [log, setLog] = useState(false);
  const [smoothing, setSmoothing] = useState(0);
  const [range, setRange] = useState<StepRange | undefined>();
  const state = useHistories(props.api, props.runs, props.metricKey, range, MAX_POINTS);
  const histories = state.histories ?? [];
  const series = useMemo(() => histories.map((h) => toSeries(h.run.label, h.metrics, mode)), [histories, mode]);
  useEffect(() => setRange(undefined), [props.metricKey, mode]);
  const bucketed = histories.some((h) => h.bucketWidth !== undefined);
  const points = histories.reduce((sum, h) => sum + h.metrics.length, 0);

  return (
    <div className="chart" data-metric={props.metricKey} data-state={state.status}>
      <div className="chart-controls" role="group" aria-label={`Chart options for ${props.metricKey}`}>
        <label>
          X axis{' '}
          <select aria-label="X axis" value={mode} onChange={(event) => setMode(event.target.value as XMode)}>
            <option value="step">Step</option>
            <option value="time">Wall time</option>
            <option value="relative">Relative time</option>
          </select>
        </label>
        <label>
          <input type="checkbox" checked={log} onChange={(event) => setLog(event.target.checked)} /> Log scale
        </label>
        <label>
          Smoothing{' '}
          <input
            type="range"
            aria-label="Smoothing"
            min={0}
            max={0.99}
            step={0.01}
            value={smoothing}
            onChange={(event) => setSmoothing(Number(event.target.value))}
          />{' '}
          <span className="mono">{smoothing.toFixed(2)}</span>
        </label>
        <button type="button" disabled={range === undefined} onClick={() => setRange(undefined)}>
          Reset zoom
        </button>
        <span className="muted" aria-live="polite">
          {state.status === 'loading' ? 'Loading…' : `${points} points${bucketed ? ' (min/max per bucket)' : ''}`}
          {range ? ` · steps ${range.startStep}–${range.endStep}` : ''}
        </span>
      </div>
      {state.status === 'error' ? (
        <div className="state state-error chart-canvas" role="alert">
          Could not load {props.metricKey}: {state.error.message}
        </div>
      ) : state.status === 'ok' && points === 0 ? (
        <div className="state chart-canvas">No points logged for {props.metricKey}.</div>
      ) : (
        <UPlotView
          series={series}
          log={log}
          smoothing={smoothing}
          mode={mode}
          onZoom={(xMin, xMax) => {
            const next = stepRangeOf(series, xMin, xMax);
            if (next) setRange(next);
          }}
        />
      )}
    </div>
  );
}

function UPlotView(props: {
  series: ReturnType<typeof toSeries>[];
  log: boolean;
  smoothing: number;
  mode: XMode;
  onZoom: (xMin: number, xMax: number) => void;
}) {
  const container = useRef<HTMLDivElement>(null);
  const onZoom = useRef(props.onZoom);
  onZoom.current = props.onZoom;
  const data = useMemo(() => {
    const [xs, ...ys] = alignSeries(props.series);
    return [xs, ...ys.map((column) => smooth(column, props.smoothing))] as uPlot.AlignedData;
  }, [props.series, props.smoothing]);

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const width = Math.max(320, element.clientWidth || 900);
    // The canvas cannot resolve CSS colours itself: axes take the theme's text colour as drawn now.
    const ink = getComputedStyle(element).color || '#888';
    const options: uPlot.Options = {
      width,
      height: 300,
      scales: {
        x: { time: props.mode === 'time' },
        y: props.log ? { distr: 3 } : {},
      },
      axes: [
        { stroke: ink, grid: { stroke: 'rgba(128,128,128,0.2)' }, ticks: { stroke: 'rgba(128,128,128,0.4)' } },
        { stroke: ink, grid: { stroke: 'rgba(128,128,128,0.2)' }, ticks: { stroke: 'rgba(128,128,128,0.4)' } },
      ],
      series: [
        { label: props.mode === 'step' ? 'step' : 'time' },
        ...props.series.map((s, i) => ({
          label: s.label,
          stroke: COLORS[i % COLORS.length],
          width: 1.5,
          spanGaps: true,
          points: { show: false },
        })),
      ],
      cursor: { drag: { x: true, y: false, setScale: false } },
      hooks: {
        // What the plot shows, for tests and for anyone inspecting the page: the y range it settled on.
        setScale: [
          (u: uPlot, key: string) => {
            if (key === 'y') element.dataset.yMax = String(u.scales.y?.max ?? '');
          },
        ],
        setSelect: [
          (u: uPlot) => {
            if (u.select.width < 2) return;
            const xMin = u.posToVal(u.select.left, 'x');
            const xMax = u.posToVal(u.select.left + u.select.width, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            onZoom.current(xMin, xMax);
          },
        ],
      },
    };
    // Log scale cannot draw values ≤ 0: they become gaps instead of breaking the axis.
    const shown = props.log
      ? (data.map((column, i) =>
          i === 0 ? column : Array.from(column, (v: number | null | undefined) => (v != null && v > 0 ? v : null)),
        ) as uPlot.AlignedData)
      : data;
    const plot = new uPlot(options, shown, element);
    element.dataset.series = String(props.series.length);
    element.dataset.points = String(data[0].length);
    const observer =
      typeof ResizeObserver === 'undefined'
        ? undefined
        : new ResizeObserver(() => {
            const next = Math.max(320, element.clientWidth);
            if (next !== plot.width) plot.setSize({ width: next, height: 300 });
          });
    observer?.observe(element);
    return () => {
      observer?.disconnect();
      plot.destroy();
    };
  }, [data, props.log, props.mode, props.series]);

  return <div ref={container} className="chart-canvas" data-testid="metric-chart" />;
}
