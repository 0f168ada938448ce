import { useState } from 'react';
import { api } from '../api/client.ts';
import { hrefOf, Link, navigate } from '../router.tsx';
import { formatTime, useAsync } from '../use-async.ts';

/** The registry's filter grammar: a name substring becomes `name ILIKE '%…%'`, quotes escaped. */
export function modelNameFilter(search: string): string | undefined {
  const text = search.trim();
  return text === '' ? undefined : `name ILIKE '%${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}%'`;
}

/** Registered models: search by name; each links to its versions. */
export function RegistryPage(props: { query: URLSearchParams }) {
  const search = props.query.get('q') ?? '';
  const [draft, setDraft] = useState(search);
  const { state } = useAsync((signal) => api.searchModels({ filter: modelNameFilter(search) }, signal), [search]);
  const models = state.data?.items ?? [];
  return (
    <section aria-labelledby="models-title">
      <h1 id="models-title">Models</h1>
      <form
        className="toolbar"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          navigate(hrefOf('/models', { q: draft.trim() }), { replace: true });
        }}
      >
        <input
          type="search"
          className="grow"
          aria-label="Search models by name"
          placeholder="Search by name"
          value={draft}
          onChange={(event) => {
            setDraft(event.target.value);
            navigate(hrefOf('/models', { q: event.target.value.trim() }), { replace: true });
          }}
        />
      </form>
      {state.status === 'error' ? (
        <div className="state state-error" role="alert">
          Could not load models: {state.error.message}
        </div>
      ) : state.status === 'ok' && models.length === 0 ? (
        <div className="state">{search ? `No model matches “${search}”.` : 'No registered models yet.'}</div>
      ) : (
        <table className="plain" aria-label="Registered models" aria-busy={state.status === 'loading'}>
          <thead>
            <tr>
              <th>Name</th>
              <th style={{ width: 140 }}>Latest version</th>
              <th style={{ width: 220 }}>Aliases</th>
              <th style={{ width: 180 }}>Last update</th>
            </tr>
          </thead>
          <tbody>
            {models.map((model) => {
              const latest = Math.max(0, ...(model.latest_versions ?? []).map((v) => Number(v.version)));
              return (
                <tr key={model.name}>
                  <td>
                    <Link to={`/models/${encodeURIComponent(model.name)}`}>{model.name}</Link>
                  </td>
                  <td>{latest > 0 ? `v${latest}` : '—'}</td>
                  <td>{(model.aliases ?? []).map((a) => `@${a.alias} → v${a.version}`).join(', ') || '—'}</td>
                  <td>{formatTime(model.last_updated_timestamp ?? model.creation_timestamp)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
