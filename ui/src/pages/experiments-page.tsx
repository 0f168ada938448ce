import { type FormEvent, useState } from 'react';
import { api } from '../api/client.ts';
import type { Experiment, ViewType } from '../api/types.ts';
import { hrefOf, Link, navigate } from '../router.tsx';
import { asError, formatTime, useAsync } from '../use-async.ts';

/** MLflow's experiment filter grammar: a name substring becomes `name ILIKE '%…%'` with quotes escaped. */
export function nameFilter(search: string): string | undefined {
  const text = search.trim();
  if (text === '') return undefined;
  return `name ILIKE '%${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}%'`;
}

export function ExperimentsPage(props: { query: URLSearchParams }) {
  const search = props.query.get('q') ?? '';
  const view: ViewType = props.query.get('view') === 'deleted' ? 'DELETED_ONLY' : 'ACTIVE_ONLY';
  const [draft, setDraft] = useState(search);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [actionError, setActionError] = useState<string | undefined>();
  const { state, reload } = useAsync(
    (signal) => api.searchExperiments({ filter: nameFilter(search), viewType: view, maxResults: 1000 }, signal),
    [search, view],
  );
  const setQuery = (q: string, deleted: boolean) =>
    navigate(hrefOf('/experiments', { q: q.trim() || undefined, view: deleted ? 'deleted' : undefined }), {
      replace: true,
    });
  const act = async (action: () => Promise<unknown>) => {
    setActionError(undefined);
    try {
      await action();
      reload();
    } catch (error) {
      setActionError(asError(error).message);
    }
  };
  const experiments = state.data?.items ?? [];
  const toggle = (id: string) =>
    setSelected((previous) => {
      const next = new Set(previous);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  return (
    <section aria-labelledby="experiments-title">
      <h1 id="experiments-title">Experiments</h1>
      <div className="toolbar">
        <form
          className="grow"
          role="search"
          onSubmit={(event) => {
            event.preventDefault();
            setQuery(draft, view === 'DELETED_ONLY');
          }}
        >
          <input
            type="search"
            aria-label="Search experiments by name"
            placeholder="Search by name"
            value={draft}
            onChange={(event) => {
              setDraft(event.target.value);
              setQuery(event.target.value, view === 'DELETED_ONLY');
            }}
            style={{ width: '100%' }}
          />
        </form>
        <label>
          <input
            type="checkbox"
            checked={view === 'DELETED_ONLY'}
            onChange={(event) => setQuery(search, event.target.checked)}
          />{' '}
          Show deleted
        </label>
        <button
          type="button"
          disabled={selected.size === 0}
          onClick={() => navigate(hrefOf('/runs', { experiments: [...selected].join(',') }))}
        >
          Runs of selected ({selected.size})
        </button>
      </div>
      <CreateExperiment onCreate={(name) => act(() => api.createExperiment(name))} />
      <p className="field-error" role="alert">
        {actionError ?? ''}
      </p>
      {state.status === 'error' ? (
        <div className="state state-error" role="alert">
          Could not load experiments: {state.error.message}
        </div>
      ) : state.status === 'ok' && experiments.length === 0 ? (
        <div className="state">
          {search
            ? `No experiment matches “${search}”.`
            : view === 'DELETED_ONLY'
              ? 'No deleted experiments.'
              : 'No experiments yet.'}
        </div>
      ) : (
        <table className="plain" aria-busy={state.status === 'loading'}>
          <thead>
            <tr>
              <th style={{ width: 32 }}>
                <span className="visually-hidden">Select</span>
              </th>
              <th>Name</th>
              <th style={{ width: 90 }}>ID</th>
              <th style={{ width: 180 }}>Last update</th>
              <th style={{ width: 220 }}>Actions</th>
            </tr>
          </thead>
          <tbody>
            {experiments.map((experiment) => (
              <ExperimentRow
                key={experiment.experiment_id}
                experiment={experiment}
                selected={selected.has(experiment.experiment_id)}
                onToggle={() => toggle(experiment.experiment_id)}
                onRename={(name) => act(() => api.renameExperiment(experiment.experiment_id, name))}
                onDelete={() => act(() => api.deleteExperiment(experiment.experiment_id))}
                onRestore={() => act(() => api.restoreExperiment(experiment.experiment_id))}
              />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function CreateExperiment(props: { onCreate: (name: string) => Promise<void> }) {
  const [name, setName] = useState('');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (name.trim() === '') return;
    await props.onCreate(name.trim());
    setName('');
  };
  return (
    <form className="toolbar" onSubmit={(event) => void submit(event)}>
      <input
        type="text"
        aria-label="New experiment name"
        placeholder="New experiment name"
        value={name}
        onChange={(event) => setName(event.target.value)}
      />
      <button type="submit" className="primary" disabled={name.trim() === ''}>
        Create experiment
      </button>
    </form>
  );
}

function ExperimentRow(props: {
  experiment: Experiment;
  selected: boolean;
  onToggle: () => void;
  onRename: (name: string) => Promise<void>;
  onDelete: () => Promise<void>;
  onRestore: () => Promise<void>;
}) {
  const { experiment } = props;
  const [editing, setEditing] = useState<string | undefined>();
  const deleted = experiment.lifecycle_stage === 'deleted';
  return (
    <tr className={deleted ? 'deleted' : undefined}>
      <td>
        <input
          type="checkbox"
          aria-label={`Select ${experiment.name}`}
          checked={props.selected}
          onChange={props.onToggle}
        />
      </td>
      <td>
        {editing === undefined ? (
          <Link to={hrefOf('/runs', { experiments: experiment.experiment_id })}>{experiment.name}</Link>
        ) : (
          <form
            onSubmit={(event) => {
              event.preventDefault();
              const name = editing.trim();
              if (name && name !== experiment.name) void props.onRename(name).then(() => setEditing(undefined));
              else setEditing(undefined);
            }}
          >
            <input
              type="text"
              aria-label={`New name for ${experiment.name}`}
              value={editing}
              autoFocus
              onChange={(event) => setEditing(event.target.value)}
              onKeyDown={(event) => {
                if (event.key === 'Escape') setEditing(undefined);
              }}
            />{' '}
            <button type="submit">Save</button>
          </form>
        )}
      </td>
      <td className="mono">{experiment.experiment_id}</td>
      <td>{formatTime(experiment.last_update_time)}</td>
      <td>
        {deleted ? (
          <button type="button" onClick={() => void props.onRestore()}>
            Restore
          </button>
        ) : (
          <>
            <button type="button" onClick={() => setEditing(experiment.name)} disabled={editing !== undefined}>
              Rename
            </button>{' '}
            <button type="button" className="danger" onClick={() => void props.onDelete()}>
              Delete
            </button>
          </>
        )}
      </td>
    </tr>
  );
}
