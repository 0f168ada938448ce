import { useEffect } from 'react';
import { api } from '../api/client.ts';
import { formatTime, useAsync } from '../use-async.ts';

const REFRESH_MS = 5000;

/** The live server nodes (/ajax-api/2.0/plumb/nodes), refreshed every few seconds; configuration drift is highlighted. */
export function HealthPage() {
  const { state, reload } = useAsync((signal) => api.nodes(signal), []);
  useEffect(() => {
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);
  const nodes = state.data ?? [];
  return (
    <section aria-labelledby="health-title">
      <h1 id="health-title">Health</h1>
      {state.status === 'error' ? (
        <div className="state state-error" role="alert">
          Could not load the node list: {state.error.message}
        </div>
      ) : state.status === 'ok' && nodes.length === 0 ? (
        <div className="state">No live nodes registered.</div>
      ) : (
        <table className="plain" aria-label="Live nodes">
          <thead>
            <tr>
              <th>Node</th>
              <th>Address</th>
              <th>Version</th>
              <th>Schema</th>
              <th>Started</th>
              <th>Last heartbeat</th>
              <th>Configuration</th>
            </tr>
          </thead>
          <tbody>
            {nodes.map((node) => {
              const drift = node.drift !== undefined && node.drift !== null && node.drift !== false;
              return (
                <tr key={node.node_id} className={drift ? 'drift' : undefined}>
                  <td className="mono">{node.node_id}</td>
                  <td className="mono">
                    {node.host}:{node.port}
                  </td>
                  <td>{node.version}</td>
                  <td>{node.schema_version}</td>
                  <td>{formatTime(node.started_at)}</td>
                  <td>{formatTime(node.heartbeat_at)}</td>
                  <td>
                    <span className="mono">{node.config_fingerprint.slice(0, 12)}</span>
                    {drift ? <strong> · drift: {JSON.stringify(node.drift)}</strong> : ''}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
