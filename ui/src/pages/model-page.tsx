import { useState } from 'react';
import { api, isConflict, type RegistryWrite } from '../api/client.ts';
import type { RegistryEvent } from '../api/types.ts';
import { Link } from '../router.tsx';
import { asError, formatTime, useAsync } from '../use-async.ts';
import { DescriptionEditor, ModelTags, VersionActions } from './model-editors.tsx';
import { describeEvent, formatChange, ModelHistory } from './model-history.tsx';

interface Conflict {
  readonly displayed: number;
  readonly message: string;
  /** What others changed since the displayed revision, newest first. */
  readonly changes: readonly RegistryEvent[];
}

export function versionHref(name: string, version: string): string {
  return `/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`;
}

/**
 * One registered model: description, tags, versions with aliases and stages, and its promotion
 * history. Every edit is sent with the revision this page displays (If-Match), so a change made
 * elsewhere meanwhile is reported as a conflict and never overwritten.
 */
export function ModelPage(props: { name: string }) {
  const { state, reload } = useAsync(
    async (signal) => {
      const [{ model, revision }, versions, events] = await Promise.all([
        api.getModelAt(props.name, signal),
        api.modelVersions(props.name, signal),
        api.modelEvents(props.name, signal),
      ]);
      return { model, revision, versions, events };
    },
    [props.name],
  );
  const [busy, setBusy] = useState(false);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  if (state.status === 'error' && !state.data) {
    return (
      <div className="state state-error" role="alert">
        Could not load model {props.name}: {state.error.message}
      </div>
    );
  }
  const data = state.data;
  const act = async (write: RegistryWrite): Promise<boolean> => {
    if (!data) return false;
    setBusy(true);
    setFailure(null);
    try {
      await api.writeModel(write, data.revision);
      reload();
      return true;
    } catch (error) {
      if (isConflict(error)) {
        const events = await api.modelEvents(props.name).catch(() => []);
        setConflict({
          displayed: data.revision,
          message: error.message,
          changes: events.filter((e) => e.revision > data.revision),
        });
      } else {
        setFailure(asError(error).message);
      }
      return false;
    } finally {
      setBusy(false);
    }
  };
  const disabled = busy || conflict !== null || state.status !== 'ok';
  const model = data?.model;
  const versions = data?.versions ?? [];
  const aliasesOf = (version: string) => (model?.aliases ?? []).filter((a) => a.version === version);
  return (
    <section aria-labelledby="model-title" aria-busy={state.status === 'loading'}>
      <p className="muted" style={{ margin: '0 0 4px' }}>
        <Link to="/models">← Models</Link>
      </p>
      <h1 id="model-title">{props.name}</h1>
      <p className="muted" data-testid="model-revision">
        {data ? `Revision ${data.revision}` : '\u00a0'}
      </p>
      {conflict && (
        <ConflictNotice
          conflict={conflict}
          onReload={() => {
            setConflict(null);
            reload();
          }}
        />
      )}
      {failure && (
        <div className="state state-error" role="alert">
          The change failed: {failure}
        </div>
      )}
      <h2>Description</h2>
      {model && (
        <DescriptionEditor name={props.name} description={model.description ?? ''} disabled={disabled} act={act} />
      )}
      <h2>Tags</h2>
      {model && <ModelTags name={props.name} tags={model.tags ?? []} disabled={disabled} act={act} />}
      <h2>Versions</h2>
      {state.status === 'ok' && versions.length === 0 ? (
        <p className="muted">No versions registered.</p>
      ) : (
        <table className="plain" aria-label="Model versions">
          <thead>
            <tr>
              <th style={{ width: 80 }}>Version</th>
              <th style={{ width: 220 }}>Aliases</th>
              <th style={{ width: 110 }}>Stage</th>
              <th style={{ width: 110 }}>Status</th>
              <th>Source</th>
              <th style={{ width: 180 }}>Registered</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((version) => (
              <tr key={version.version}>
                <td>
                  <Link to={versionHref(props.name, version.version)}>v{version.version}</Link>
                </td>
                <td>
                  {aliasesOf(version.version).length === 0
                    ? '—'
                    : aliasesOf(version.version).map((a) => (
                        <span key={a.alias} className="chip">
                          @{a.alias}{' '}
                          <button
                            type="button"
                            disabled={disabled}
                            aria-label={`Delete alias @${a.alias}`}
                            onClick={() => void act({ kind: 'delete-alias', name: props.name, alias: a.alias })}
                          >
                            ×
                          </button>
                        </span>
                      ))}
                </td>
                <td>{version.current_stage ?? '—'}</td>
                <td>{version.status ?? '—'}</td>
                <td className="mono" style={{ overflowWrap: 'anywhere' }}>
                  {version.run_id ? (
                    <Link to={`/runs/${encodeURIComponent(version.run_id)}`}>run {version.run_id.slice(0, 8)}</Link>
                  ) : null}{' '}
                  {version.source}
                </td>
                <td>{formatTime(version.creation_timestamp)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <VersionActions name={props.name} versions={versions} disabled={disabled} act={act} />
      <h2>Promotion history</h2>
      {data && <ModelHistory events={data.events} label="Promotion history" />}
    </section>
  );
}

function ConflictNotice(props: { conflict: Conflict; onReload: () => void }) {
  const { conflict } = props;
  const latest = conflict.changes[0]?.revision;
  return (
    <div className="conflict" role="alert" aria-label="Conflict">
      <strong>Not saved: this model was changed by someone else</strong> (you saw revision {conflict.displayed}
      {latest !== undefined ? `, it is now at revision ${latest}` : ''}). Nothing was overwritten.
      {conflict.changes.length > 0 && (
        <ul>
          {conflict.changes.map((event) => (
            <li key={event.id}>
              {event.actor ?? 'anonymous'}: {describeEvent(event)}, {formatChange(event.before)} →{' '}
              {formatChange(event.after)}
            </li>
          ))}
        </ul>
      )}
      <p className="muted">{conflict.message}</p>
      {/* The only useful next step, so the keyboard lands on it. */}
      <button type="button" onClick={props.onReload} autoFocus>
        Reload model
      </button>
    </div>
  );
}
