import { api, artifactHref } from '../api/client.ts';
import { useAsync } from '../use-async.ts';
import { MlModelPanel } from './mlmodel-summary.tsx';

/** Larger files are not downloaded for a preview; their size and digest still show. */
export const PREVIEW_MAX_BYTES = 1024 * 1024;
const CSV_MAX_ROWS = 200;

export type PreviewKind = 'json' | 'yaml' | 'mlmodel' | 'csv' | 'image' | 'text' | 'none';

const TEXT_EXTENSIONS = new Set(['txt', 'md', 'log', 'py', 'sh', 'cfg', 'ini', 'toml', 'conf', 'r', 'sql', 'tsv']);
const IMAGE_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'gif', 'webp', 'bmp']);

export function previewKindOf(path: string): PreviewKind {
  const name = path.split('/').pop() ?? path;
  if (name === 'MLmodel') return 'mlmodel';
  const extension = name.includes('.') ? name.split('.').pop()!.toLowerCase() : '';
  if (extension === 'json') return 'json';
  if (extension === 'yaml' || extension === 'yml') return 'yaml';
  if (extension === 'csv') return 'csv';
  if (IMAGE_EXTENSIONS.has(extension)) return 'image';
  if (TEXT_EXTENSIONS.has(extension) || name === 'requirements.txt' || name === 'MLproject') return 'text';
  return 'none';
}

/** RFC 4180 CSV: quoted fields may hold commas, newlines and doubled quotes. */
export function parseCsv(text: string, maxRows: number): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length && rows.length < maxRows; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if ((field !== '' || row.length > 0) && rows.length < maxRows) rows.push([...row, field]);
  return rows;
}

export function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KiB`;
  if (size < 1024 ** 3) return `${(size / 1024 ** 2).toFixed(1)} MiB`;
  return `${(size / 1024 ** 3).toFixed(2)} GiB`;
}

/** One artifact shown in the page: text, pretty JSON, YAML, CSV as a table, an image, or an MLmodel's flavors and signature. */
export function ArtifactPreview(props: { runId: string; path: string }) {
  const kind = previewKindOf(props.path);
  const { state } = useAsync(
    (signal) => api.artifactPreview(props.runId, props.path, kind === 'image' ? 0 : PREVIEW_MAX_BYTES, signal),
    [props.runId, props.path],
  );
  const href = artifactHref(props.runId, props.path);
  const info = state.data;
  return (
    <section className="preview" aria-label={`Preview of ${props.path}`} aria-busy={state.status === 'loading'}>
      <header className="toolbar">
        <strong className="mono">{props.path}</strong>
        {info && <span data-testid="artifact-size">{formatBytes(info.size)}</span>}
        {info && (
          <span className="mono muted" data-testid="artifact-sha256" title="sha256 from the artifact manifest">
            sha256 {info.sha256 ?? 'not recorded'}
          </span>
        )}
        <a href={href} target="_blank" rel="noreferrer">
          Open raw
        </a>
      </header>
      {state.status === 'error' ? (
        <div className="state state-error" role="alert">
          {state.error.message}
        </div>
      ) : info ? (
        <PreviewBody kind={kind} href={href} runId={props.runId} path={props.path} text={info.text} size={info.size} />
      ) : null}
    </section>
  );
}

function PreviewBody(props: {
  kind: PreviewKind;
  href: string;
  runId: string;
  path: string;
  text?: string | undefined;
  size: number;
}) {
  if (props.kind === 'image') return <img src={props.href} alt={props.path} className="preview-image" />;
  if (props.kind === 'none') return <p className="muted">No preview for this type of file.</p>;
  if (props.text === undefined) {
    return <p className="muted">Too large to preview ({formatBytes(props.size)}); open it raw instead.</p>;
  }
  if (props.kind === 'csv') {
    const [header = [], ...rows] = parseCsv(props.text, CSV_MAX_ROWS + 1);
    return (
      <table className="plain" aria-label={`Table ${props.path}`}>
        <thead>
          <tr>
            {header.map((cell, i) => (
              <th key={i}>{cell}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, r) => (
            <tr key={r}>
              {row.map((cell, i) => (
                <td key={i}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    );
  }
  let text = props.text;
  if (props.kind === 'json') {
    try {
      text = JSON.stringify(JSON.parse(props.text), null, 2);
    } catch {
      // Not valid JSON: shown as it is.
    }
  }
  return (
    <>
      {props.kind === 'mlmodel' && (
        <MlModelPanel
          load={(signal) => api.runMlModel(props.runId, props.path, signal)}
          deps={[props.runId, props.path]}
        />
      )}
      <pre className="preview-text" data-kind={props.kind}>
        {text}
      </pre>
    </>
  );
}
