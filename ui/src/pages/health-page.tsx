import { useEffect } from 'react';
import { api } from '../api/client.ts';
import type { NodeInfo, StoreProbe, StoreStatus } from '../api/types.ts';
import { type AsyncState, formatTime, useAsync } from '../use-async.ts';

const REFRESH_MS = 5000;

/** Top-level settings whose values differ between two configuration summaries, sorted. */
export function differingSettings(a: Record<string, unknown> = {}, b: Record<string, unknown> = {}): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((key) => canonical(a[key]) !== canonical(b[key])).sort();
}

function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'undefined';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([x], [y]) => x.localeCompare(y));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}

function settingText(value: unknown): string {
  return value === undefined ? 'unset' : typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * The answering node's database and artifact store (/ajax-api/2.0/plumb/status: reachable, how
 * fast, the schema version) and the live server nodes (/ajax-api/2.0/plumb/nodes), refreshed every few seconds. A node whose
 * configuration differs from the reference (the server's `drift`) is highlighted with the settings
 * that differ and both values.
 */
export function HealthPage() {
  const { state, reload } = useAsync((signal) => api.nodes(signal), []);
  const stores = useAsync((signal) => api.storeStatus(signal), []);
  const reloadStores = stores.reload;
  useEffect(() => {
    const timer = setInterval(() => {
      reload();
      reloadStores();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload, reloadStores]);
  const nodes = state.data ?? [];
  const reference = nodes.find((n) => !n.drift);
  const drifting = nodes.filter((n) => n.drift);
  return (
    <section aria-labelledby="health-title">
      <h1 id="health-title">Health</h1>
      {drifting.length > 0 && (
        <div className="drift-banner" role="alert" aria-label="Configuration drift">
          <strong>Configuration drift:</strong> {drifting.length} of {nodes.length} nodes run with settings that differ
          from the others (
          {[...new Set(drifting.flatMap((n) => differingSettings(n.config_summary, reference?.config_summary)))].join(
            ', ',
          ) || 'fingerprint only'}
          ).
        </div>
      )}
      <StoresTable state={stores.state} />
      <h2>Live nodes</h2>
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
            {nodes.map((node) => (
              <tr
                key={node.node_id}
                className={node.drift ? 'drift' : undefined}
                aria-invalid={node.drift || undefined}
              >
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
                  {node.drift && <DriftDetails node={node} reference={reference} />}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The database and the artifact store, as the node that answered probed them just now. */
function StoresTable(props: { state: AsyncState<StoreStatus> }) {
  if (props.state.status === 'error') {
    return (
      <div className="state state-error" role="alert">
        Could not probe the stores: {props.state.error.message}
      </div>
    );
  }
  const status = props.state.data;
  if (!status) return <div className="state">Probing the stores…</div>;
  const { database, artifact_store: artifacts } = status;
  const pending = database.pending_migrations ?? [];
  const row = (name: string, probe: StoreProbe, what: string, detail: string) => (
    <tr className={probe.reachable ? undefined : 'drift'} aria-invalid={!probe.reachable || undefined}>
      <td>{name}</td>
      <td className="mono">{what}</td>
      <td>{probe.reachable ? `reachable (${probe.latency_ms} ms)` : `unreachable: ${probe.error ?? 'no answer'}`}</td>
      <td>{detail}</td>
    </tr>
  );
  return (
    <table className="plain" aria-label="Stores">
      <thead>
        <tr>
          <th>Store</th>
          <th>Where</th>
          <th>Status</th>
          <th>Details</th>
        </tr>
      </thead>
      <tbody>
        {row(
          'Database',
          database,
          database.engine,
          database.schema_version === undefined
            ? ''
            : `schema ${database.schema_version}${pending.length > 0 ? `; pending migrations ${pending.join(', ')}: run plumb db upgrade` : ''}`,
        )}
        {row('Artifacts', artifacts, artifacts.description, '')}
      </tbody>
    </table>
  );
}

function DriftDetails(props: { node: NodeInfo; reference: NodeInfo | undefined }) {
  const settings = differingSettings(props.node.config_summary, props.reference?.config_summary);
  return (
    <div className="drift-details">
      <strong>drift</strong>
      {settings.length > 0 && props.reference && (
        <ul>
          {settings.map((key) => (
            <li key={key}>
              <span className="mono">{key}</span>: {settingText(props.node.config_summary?.[key])}{' '}
              <span className="muted">(others: {settingText(props.reference?.config_summary?.[key])})</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
