import { type FormEvent, useState } from 'react';
import { api } from '../api/client.ts';
import { navigate } from '../router.tsx';
import { asError, useAsync } from '../use-async.ts';
import { ArtifactPreview, formatBytes } from './artifact-preview.tsx';

/**
 * One directory of a run's artifacts at a time; a file opens in a preview below (with its size and
 * sha256), a folder can be registered as a model version.
 */
export function ArtifactList(props: { runId: string; artifactUri?: string | undefined; initialPath?: string }) {
  const [path, setPath] = useState(props.initialPath ?? '');
  const [selected, setSelected] = useState<string | null>(null);
  const { state } = useAsync(
    (signal) => api.listArtifacts(props.runId, path || undefined, signal),
    [props.runId, path],
  );
  const open = (next: string) => {
    setPath(next);
    setSelected(null);
  };
  const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
  const files = state.data ?? [];
  return (
    <div aria-busy={state.status === 'loading'}>
      <p className="mono">
        / {path}{' '}
        {path !== '' && (
          <button type="button" onClick={() => open(parent)}>
            Up
          </button>
        )}
      </p>
      {state.status === 'error' ? (
        <div className="state state-error" role="alert">
          Could not list artifacts: {state.error.message}
        </div>
      ) : state.status === 'ok' && files.length === 0 ? (
        <p className="muted">No artifacts{path ? ' in this folder' : ''}.</p>
      ) : (
        <table className="plain" aria-label="Artifacts">
          <thead>
            <tr>
              <th>Path</th>
              <th style={{ width: 120 }}>Size</th>
            </tr>
          </thead>
          <tbody>
            {files.map((file) => (
              <tr key={file.path} aria-selected={selected === file.path}>
                <td className="mono">
                  <button type="button" onClick={() => (file.is_dir ? open(file.path) : setSelected(file.path))}>
                    {file.path.split('/').pop()}
                    {file.is_dir ? '/' : ''}
                  </button>
                </td>
                <td>{file.is_dir ? '' : formatBytes(file.file_size ?? 0)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {path !== '' && props.artifactUri && (
        <RegisterFolder runId={props.runId} source={`${props.artifactUri}/${path}`} />
      )}
      {selected && <ArtifactPreview runId={props.runId} path={selected} />}
    </div>
  );
}

function RegisterFolder(props: { runId: string; source: string }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim()) return;
    setBusy(true);
    setError(null);
    try {
      const version = await api.registerModel(name.trim(), props.runId, props.source);
      navigate(`/models/${encodeURIComponent(name.trim())}/versions/${version}`);
    } catch (caught) {
      setError(asError(caught).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="toolbar" onSubmit={submit} aria-label="Register this folder as a model">
      <span>Register this folder as a model:</span>
      <input aria-label="Model name" placeholder="model name" value={name} onChange={(e) => setName(e.target.value)} />
      <button type="submit" disabled={busy || !name.trim()}>
        Register model
      </button>
      {error && (
        <span className="field-error" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}
