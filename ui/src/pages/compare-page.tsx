import { api } from '../api/client.ts';
import type { Run } from '../api/types.ts';
import { MetricChart } from '../chart/metric-chart.tsx';
import { ScatterChart } from '../chart/scatter-chart.tsx';
import { hrefOf, Link, navigate } from '../router.tsx';
import { useAsync } from '../use-async.ts';
import { formatNumber } from './runs-page.tsx';

/** Histories overlaid in one chart at most: each is a request and a line, and past this many no line can be told apart. */
const MAX_CHARTED_RUNS = 20;

/**
 * Several runs side by side: one metric charted for all of them, a param (or metric) against a
 * metric with a point per run, and their params and latest metrics in columns.
 */
export function ComparePage(props: { query: URLSearchParams }) {
  const ids = (props.query.get('runs') ?? '').split(',').filter((id) => id !== '');
  const { state } = useAsync((signal) => Promise.all(ids.map((id) => api.getRun(id, signal))), [ids.join(',')]);
  if (ids.length === 0) return <div className="state">Select runs in a runs table, then choose Compare.</div>;
  if (state.status === 'error') {
    return (
      <div className="state state-error" role="alert">
        Could not load the runs: {state.error.message}
      </div>
    );
  }
  const runs = state.data ?? [];
  const label = (run: Run) => run.info.run_name ?? run.info.run_id;
  const metricKeys = [...new Set(runs.flatMap((r) => (r.data.metrics ?? []).map((m) => m.key)))].sort();
  const paramKeys = [...new Set(runs.flatMap((r) => (r.data.params ?? []).map((p) => p.key)))].sort();
  const metric = metricKeys.includes(props.query.get('metric') ?? '') ? props.query.get('metric')! : metricKeys[0];
  return (
    <section aria-labelledby="compare-title" aria-busy={state.status === 'loading'}>
      <h1 id="compare-title">Compare {ids.length} runs</h1>
      {metric && (
        <>
          <label>
            Metric{' '}
            <select
              aria-label="Metric"
              value={metric}
              onChange={(event) =>
                navigate(hrefOf('/compare', { runs: ids.join(','), metric: event.target.value }), { replace: true })
              }
            >
              {metricKeys.map((key) => (
                <option key={key}>{key}</option>
              ))}
            </select>
          </label>
          {runs.length > MAX_CHARTED_RUNS && (
            <p className="muted">
              The chart overlays the first {MAX_CHARTED_RUNS} of {runs.length} runs; the scatter and the table below
              hold them all.
            </p>
          )}
          <MetricChart
            api={api}
            runs={runs.slice(0, MAX_CHARTED_RUNS).map((run) => ({ runId: run.info.run_id, label: label(run) }))}
            metricKey={metric}
          />
        </>
      )}
      {runs.length > 1 && (
        <>
          <h2>Param against metric</h2>
          <ScatterChart runs={runs} />
        </>
      )}
      <h2>Parameters and latest metrics</h2>
      <div style={{ overflowX: 'auto' }}>
        <table className="plain" aria-label="Comparison">
          <thead>
            <tr>
              <th>Key</th>
              {runs.map((run) => (
                <th key={run.info.run_id}>
                  <Link to={`/runs/${encodeURIComponent(run.info.run_id)}`}>{label(run)}</Link>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {paramKeys.map((key) => {
              const values = runs.map((run) => run.data.params?.find((p) => p.key === key)?.value ?? '');
              const differs = new Set(values).size > 1;
              return (
                <tr key={`p:${key}`} className={differs ? 'drift' : undefined}>
                  <td className="mono">params.{key}</td>
                  {values.map((value, i) => (
                    <td key={i} className="mono">
                      {value}
                    </td>
                  ))}
                </tr>
              );
            })}
            {metricKeys.map((key) => (
              <tr key={`m:${key}`}>
                <td className="mono">metrics.{key}</td>
                {runs.map((run) => {
                  const value = run.data.metrics?.find((m) => m.key === key)?.value;
                  return (
                    <td key={run.info.run_id} className="mono">
                      {typeof value === 'number' ? formatNumber(value) : (value ?? '')}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
