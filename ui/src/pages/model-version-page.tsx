import { api } from '../api/client.ts';
import { hrefOf, Link } from '../router.tsx';
import { formatTime, useAsync } from '../use-async.ts';
import { MlModelPanel } from './mlmodel-summary.tsx';
import { ModelHistory } from './model-history.tsx';

/** `runs:/<id>/<path>` → the run and the artifact path inside it, which the UI can browse. */
export function runsUriParts(source: string | undefined): { runId: string; path: string } | undefined {
  const match = /^runs:\/([^/]+)\/?(.*)$/.exec(source ?? '');
  return match ? { runId: match[1]!, path: match[2]! } : undefined;
}

/** One model version: stage, aliases, tags, its run and source, and the history of this version. */
export function ModelVersionPage(props: { name: string; version: string }) {
  const { state } = useAsync(
    async (signal) => {
      const [version, events] = await Promise.all([
        api.getModelVersion(props.name, props.version, signal),
        api.modelEvents(props.name, signal),
      ]);
      // The run's artifact root tells which of its folders the source is, so the link opens that folder.
      const run = version.run_id ? await api.getRun(version.run_id, signal).catch(() => undefined) : undefined;
      return { version, run, events: events.filter((e) => e.version === props.version) };
    },
    [props.name, props.version],
  );
  if (state.status === 'error') {
    return (
      <div className="state state-error" role="alert">
        Could not load {props.name} v{props.version}: {state.error.message}
      </div>
    );
  }
  const version = state.data?.version;
  const root = state.data?.run?.info.artifact_uri;
  const fromRun =
    runsUriParts(version?.source) ??
    (version?.run_id && root && version.source?.startsWith(`${root}/`)
      ? { runId: version.run_id, path: version.source.slice(root.length + 1) }
      : undefined);
  const runId = version?.run_id || fromRun?.runId;
  const sourceHref = runId
    ? hrefOf(`/runs/${encodeURIComponent(runId)}`, { tab: 'artifacts', path: fromRun?.path })
    : undefined;
  return (
    <section aria-labelledby="version-title" aria-busy={state.status === 'loading'}>
      <p className="muted" style={{ margin: '0 0 4px' }}>
        <Link to={`/models/${encodeURIComponent(props.name)}`}>← {props.name}</Link>
      </p>
      <h1 id="version-title">
        {props.name} v{props.version}
      </h1>
      {version && (
        <dl className="cards">
          <div>
            <dt>Stage</dt>
            <dd>{version.current_stage ?? '—'}</dd>
          </div>
          <div>
            <dt>Status</dt>
            <dd>{version.status ?? '—'}</dd>
          </div>
          <div>
            <dt>Aliases</dt>
            <dd>{(version.aliases ?? []).map((a) => `@${a}`).join(', ') || '—'}</dd>
          </div>
          <div>
            <dt>Registered</dt>
            <dd>{formatTime(version.creation_timestamp)}</dd>
          </div>
          <div>
            <dt>Run</dt>
            <dd className="mono">{runId ? <Link to={`/runs/${encodeURIComponent(runId)}`}>{runId}</Link> : '—'}</dd>
          </div>
          <div>
            <dt>Source</dt>
            <dd className="mono" style={{ overflowWrap: 'anywhere' }}>
              {sourceHref ? <Link to={sourceHref}>{version.source}</Link> : (version.source ?? '—')}
            </dd>
          </div>
        </dl>
      )}
      {version?.description && <p style={{ whiteSpace: 'pre-wrap' }}>{version.description}</p>}
      <h2>Model</h2>
      <MlModelPanel
        load={(signal) => api.versionMlModel(props.name, props.version, signal)}
        deps={[props.name, props.version]}
      />
      {(version?.tags ?? []).length > 0 && (
        <p>
          {(version?.tags ?? []).map((t) => (
            <code key={t.key} style={{ marginRight: 12 }}>
              {t.key}={t.value}
            </code>
          ))}
        </p>
      )}
      <h2>History of this version</h2>
      {state.data && <ModelHistory events={state.data.events} label="Version history" />}
    </section>
  );
}
