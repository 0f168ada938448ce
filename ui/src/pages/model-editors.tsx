import { type FormEvent, useState } from 'react';
import type { RegistryWrite } from '../api/client.ts';
import type { KeyValue, ModelVersion } from '../api/types.ts';

/** Makes one registry write against the displayed revision; true when it was applied. */
export type Act = (write: RegistryWrite) => Promise<boolean>;

export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;

export function DescriptionEditor(props: { name: string; description: string; disabled: boolean; act: Act }) {
  const [draft, setDraft] = useState<string | null>(null);
  if (draft === null) {
    return (
      <div className="toolbar">
        <p className="grow" style={{ margin: 0, whiteSpace: 'pre-wrap' }}>
          {props.description || <span className="muted">No description.</span>}
        </p>
        <button type="button" disabled={props.disabled} onClick={() => setDraft(props.description)}>
          Edit description
        </button>
      </div>
    );
  }
  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (await props.act({ kind: 'description', name: props.name, description: draft })) setDraft(null);
  };
  return (
    <form onSubmit={save} className="toolbar">
      <textarea
        className="grow"
        aria-label="Description"
        rows={3}
        value={draft}
        onChange={(event) => setDraft(event.target.value)}
      />
      <button type="submit" disabled={props.disabled}>
        Save description
      </button>
      <button type="button" onClick={() => setDraft(null)}>
        Cancel
      </button>
    </form>
  );
}

export function ModelTags(props: { name: string; tags: readonly KeyValue[]; disabled: boolean; act: Act }) {
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!key.trim()) return;
    if (await props.act({ kind: 'set-tag', name: props.name, key: key.trim(), value })) {
      setKey('');
      setValue('');
    }
  };
  return (
    <>
      {props.tags.length === 0 ? (
        <p className="muted">No tags.</p>
      ) : (
        <table className="plain" aria-label="Model tags">
          <thead>
            <tr>
              <th>Key</th>
              <th>Value</th>
              <th style={{ width: 90 }} />
            </tr>
          </thead>
          <tbody>
            {props.tags.map((tag) => (
              <tr key={tag.key}>
                <td className="mono">{tag.key}</td>
                <td className="mono">{tag.value}</td>
                <td>
                  <button
                    type="button"
                    disabled={props.disabled}
                    aria-label={`Delete tag ${tag.key}`}
                    onClick={() => void props.act({ kind: 'delete-tag', name: props.name, key: tag.key })}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form className="toolbar" onSubmit={submit} aria-label="Set a model tag">
        <input aria-label="Tag key" placeholder="key" value={key} onChange={(e) => setKey(e.target.value)} />
        <input
          aria-label="Tag value"
          placeholder="value"
          className="grow"
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        <button type="submit" disabled={props.disabled || !key.trim()}>
          Set tag
        </button>
      </form>
    </>
  );
}

/** Set an alias on a version, or move a version to a stage (optionally archiving the stage's others). */
export function VersionActions(props: {
  name: string;
  versions: readonly ModelVersion[];
  disabled: boolean;
  act: Act;
}) {
  const [version, setVersion] = useState('');
  const [alias, setAlias] = useState('');
  const [stage, setStage] = useState<string>('Staging');
  const [archive, setArchive] = useState(false);
  const chosen = version || props.versions[0]?.version || '';
  if (props.versions.length === 0) return null;
  const setAliasSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (!alias.trim()) return;
    if (await props.act({ kind: 'set-alias', name: props.name, alias: alias.trim(), version: chosen })) setAlias('');
  };
  const transition = async (event: FormEvent) => {
    event.preventDefault();
    await props.act({
      kind: 'stage',
      name: props.name,
      version: chosen,
      stage,
      archiveExistingVersions: archive && stage !== 'None' && stage !== 'Archived',
    });
  };
  return (
    <div aria-label="Change a version" role="group">
      <div className="toolbar">
        <label>
          Version{' '}
          <select value={chosen} onChange={(e) => setVersion(e.target.value)} aria-label="Version to change">
            {props.versions.map((v) => (
              <option key={v.version} value={v.version}>
                v{v.version}
              </option>
            ))}
          </select>
        </label>
      </div>
      <form className="toolbar" onSubmit={setAliasSubmit}>
        <input
          aria-label="Alias"
          placeholder="alias, e.g. champion"
          value={alias}
          onChange={(e) => setAlias(e.target.value)}
        />
        <button type="submit" disabled={props.disabled || !alias.trim()}>
          Set alias
        </button>
      </form>
      <form className="toolbar" onSubmit={transition}>
        <select value={stage} onChange={(e) => setStage(e.target.value)} aria-label="Stage">
          {STAGES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        <label>
          <input type="checkbox" checked={archive} onChange={(e) => setArchive(e.target.checked)} /> Archive other
          versions in this stage
        </label>
        <button type="submit" disabled={props.disabled}>
          Transition stage
        </button>
      </form>
    </div>
  );
}
