import { useState } from 'react';
import { api } from '../api/client.ts';
import { useAsync } from '../use-async.ts';

/** One directory of a run's artifacts at a time; files open through /get-artifact (served inline, active types as text). */
export function ArtifactList(props: { runId: string; initialPath?: string }) {
  const [path, setPath] = useState(props.initialPath ?? '');
  const { state } = useAsync(
    (signal) => api.listArtifacts(props.runId, path || undefined, signal),
    [props.runId, path],
  );
  const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
  const files = state.data ?? [];
  return (
    <div aria-busy={state.status === 'loading'}>
      <p className="mono">
        / {path}{' '}
        {path !== '' && (
          <button type="button" onClick={() => setPath(parent)}>
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
              <tr key={file.path}>
                <td className="mono">
                  {file.is_dir ? (
                    <button type="button" onClick={() => setPath(file.path)}>
                      {file.path.split('/').pop()}/
                    </button>
                  ) : (
                    <a
                      href={`/get-artifact?${new URLSearchParams({ run_uuid: props.runId, path: file.path }).toString()}`}
                      target="_blank"
                      rel="noreferrer"
                    >
                      {file.path.split('/').pop()}
                    </a>
                  )}
                </td>
                <td>{file.is_dir ? '' : `${file.file_size ?? 0} B`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
