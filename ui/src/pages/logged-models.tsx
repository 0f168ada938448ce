import { api } from '../api/client.ts';
import type { Run } from '../api/types.ts';
import { formatTime, useAsync } from '../use-async.ts';

/**
 * The models this run logged (logged-models search on its `source_run_id`), and any other model
 * its outputs name (a model logged by another run and recorded as this run's output).
 */
export function LoggedModels(props: { run: Run }) {
  const { info } = props.run;
  const { state } = useAsync(
    (signal) => api.runLoggedModels(info.experiment_id, info.run_id, signal),
    [info.experiment_id, info.run_id],
  );
  const found = state.data ?? [];
  const outputs = props.run.outputs?.model_outputs ?? [];
  const stepOf = new Map(outputs.map((o) => [o.model_id, o.step]));
  const others = outputs.filter((o) => !found.some((m) => m.info.model_id === o.model_id));
  if (state.status === 'error') {
    return (
      <p className="state-error" role="alert">
        Could not search logged models: {state.error.message}
      </p>
    );
  }
  if (state.status === 'loading' && found.length === 0) return <p className="muted">…</p>;
  if (found.length === 0 && others.length === 0) return <p className="muted">No logged models.</p>;
  return (
    <table className="plain" aria-label="Logged models">
      <thead>
        <tr>
          <th>Name</th>
          <th style={{ width: 300 }}>Model ID</th>
          <th style={{ width: 120 }}>Type</th>
          <th style={{ width: 200 }}>Status</th>
          <th style={{ width: 70 }}>Step</th>
          <th style={{ width: 180 }}>Created</th>
        </tr>
      </thead>
      <tbody>
        {found.map((model) => (
          <tr key={model.info.model_id}>
            <td>{model.info.name}</td>
            <td className="mono">{model.info.model_id}</td>
            <td>{model.info.model_type ?? '—'}</td>
            <td>{(model.info.status ?? '').replace(/^LOGGED_MODEL_/, '') || '—'}</td>
            <td>{stepOf.get(model.info.model_id) ?? '—'}</td>
            <td>{formatTime(model.info.creation_timestamp_ms)}</td>
          </tr>
        ))}
        {others.map((output) => (
          <tr key={output.model_id}>
            <td className="muted">output of this run</td>
            <td className="mono">{output.model_id}</td>
            <td>—</td>
            <td>—</td>
            <td>{output.step}</td>
            <td>—</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
