import { type FormEvent, useState } from 'react';
import { api } from '../api/client.ts';
import type { KeyValue, Run } from '../api/types.ts';
import { MetricChart } from '../chart/metric-chart.tsx';
import { hrefOf, Link, navigate } from '../router.tsx';
import { asError, formatDuration, formatTime, useAsync } from '../use-async.ts';
import { ArtifactList } from './artifact-list.tsx';
import { LoggedModels } from './logged-models.tsx';
import { RunTabs, TABS, type Tab } from './run-tabs.tsx';
import { formatNumber } from './runs-page.tsx';

export function RunPage(props: { runId: string; query: URLSearchParams }) {
  const { state, reload } = useAsync((signal) => api.getRun(props.runId, signal), [props.runId]);
  const tab: Tab = (TABS as readonly string[]).includes(props.query.get('tab') ?? '')
    ? (props.query.get('tab') as Tab)
    : 'overview';
  const setTab = (next: Tab) =>
    navigate(hrefOf(`/runs/${encodeURIComponent(props.runId)}`, { tab: next === 'overview' ? undefined : next }), {
      replace: true,
    });
  if (state.status === 'error' && !state.data) {
    return (
      <div className="state state-error" role="alert">
        Could not load run {props.runId}: {state.error.message}
      </div>
    );
  }
  const run = state.data;
  const tags = run?.data.tags ?? [];
  const tag = (key: string) => tags.find((t) => t.key === key)?.value;
  return (
    <section aria-labelledby="run-title" aria-busy={state.status === 'loading'}>
      <p className="muted" style={{ margin: '0 0 4px' }}>
        {run ? (
          <Link to={hrefOf('/runs', { experiments: run.info.experiment_id })}>
            ← Runs of experiment {run.info.experiment_id}
          </Link>
        ) : (
          '\u00a0'
        )}
      </p>
      <h1 id="run-title">{run ? (run.info.run_name ?? tag('mlflow.runName') ?? run.info.run_id) : 'Loading run…'}</h1>
      <RunTabs tab={tab} onSelect={setTab} />
      {run && (
        <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} tabIndex={0}>
          {tab === 'overview' && <Overview run={run} />}
          {tab === 'metrics' && <Metrics run={run} selected={props.query.get('metric')} />}
          {tab === 'params' && (
            <KeyValues items={run.data.params ?? []} empty="No parameters logged." label="Parameters" />
          )}
          {tab === 'tags' && <Tags run={run} onChange={reload} />}
          {tab === 'inputs' && <Inputs run={run} />}
          {tab === 'artifacts' && (
            <ArtifactList
              runId={run.info.run_id}
              artifactUri={run.info.artifact_uri}
              initialPath={props.query.get('path') ?? ''}
            />
          )}
        </div>
      )}
    </section>
  );
}

function Overview(props: { run: Run }) {
  const { info } = props.run;
  const tags = props.run.data.tags ?? [];
  const tag = (key: string) => tags.find((t) => t.key === key)?.value;
  const parent = tag('mlflow.parentRunId');
  const children = useAsync(
    (signal) =>
      api.searchRuns(
        {
          experimentIds: [info.experiment_id],
          filter: `tags.mlflow.parentRunId = '${info.run_id}'`,
          maxResults: 100,
        },
        signal,
      ),
    [info.run_id],
  );
  const latest = props.run.data.metrics ?? [];
  return (
    <>
      <dl className="cards">
        <div>
          <dt>Run ID</dt>
          <dd className="mono">{info.run_id}</dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd className={`status-${info.status}`}>
            {info.status}
            {info.lifecycle_stage === 'deleted' ? ' (deleted)' : ''}
          </dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>{formatTime(info.start_time)}</dd>
        </div>
        <div>
          <dt>Ended</dt>
          <dd>{formatTime(info.end_time)}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{formatDuration(info.start_time, info.end_time)}</dd>
        </div>
        <div>
          <dt>User</dt>
          <dd>{info.user_id || tag('mlflow.user') || '—'}</dd>
        </div>
        <div>
          <dt>Source</dt>
          <dd>{tag('mlflow.source.name') ?? '—'}</dd>
        </div>
        <div>
          <dt>Git commit</dt>
          <dd className="mono">{tag('mlflow.source.git.commit') ?? '—'}</dd>
        </div>
        <div>
          <dt>Parent run</dt>
          <dd>{parent ? <Link to={`/runs/${encodeURIComponent(parent)}`}>{parent}</Link> : '—'}</dd>
        </div>
        <div>
          <dt>Child runs</dt>
          <dd>
            {children.state.status === 'error'
              ? `could not load: ${children.state.error.message}`
              : (children.state.data?.items ?? []).length === 0
                ? children.state.status === 'loading'
                  ? '…'
                  : '—'
                : (children.state.data?.items ?? []).map((child) => (
                    <div key={child.info.run_id}>
                      <Link to={`/runs/${encodeURIComponent(child.info.run_id)}`}>
                        {child.info.run_name ?? child.info.run_id}
                      </Link>
                    </div>
                  ))}
          </dd>
        </div>
        <div>
          <dt>Artifact URI</dt>
          <dd className="mono">{info.artifact_uri ?? '—'}</dd>
        </div>
      </dl>
      <h2>Latest metrics</h2>
      <KeyValues
        items={latest.map((m) => ({
          key: m.key,
          value: typeof m.value === 'number' ? formatNumber(m.value) : m.value,
        }))}
        empty="No metrics logged."
        label="Latest metrics"
      />
      <h2>Logged models</h2>
      <LoggedModels run={props.run} />
    </>
  );
}

function Metrics(props: { run: Run; selected: string | null }) {
  const keys = (props.run.data.metrics ?? []).map((m) => m.key).sort();
  const metric = props.selected && keys.includes(props.selected) ? props.selected : keys[0];
  if (!metric) return <p className="muted">No metrics logged.</p>;
  const runId = props.run.info.run_id;
  return (
    <>
      <label>
        Metric{' '}
        <select
          aria-label="Metric"
          value={metric}
          onChange={(event) =>
            navigate(hrefOf(`/runs/${encodeURIComponent(runId)}`, { tab: 'metrics', metric: event.target.value }), {
              replace: true,
            })
          }
        >
          {keys.map((key) => (
            <option key={key}>{key}</option>
          ))}
        </select>
      </label>
      <MetricChart api={api} runs={[{ runId, label: props.run.info.run_name ?? runId }]} metricKey={metric} />
    </>
  );
}

function KeyValues(props: { items: readonly KeyValue[]; empty: string; label: string }) {
  if (props.items.length === 0) return <p className="muted">{props.empty}</p>;
  return (
    <table className="plain" aria-label={props.label}>
      <thead>
        <tr>
          <th style={{ width: '35%' }}>Key</th>
          <th>Value</th>
        </tr>
      </thead>
      <tbody>
        {[...props.items]
          .sort((a, b) => a.key.localeCompare(b.key))
          .map((item) => (
            <tr key={item.key}>
              <td className="mono">{item.key}</td>
              <td className="mono" style={{ overflowWrap: 'anywhere' }}>
                {item.value}
              </td>
            </tr>
          ))}
      </tbody>
    </table>
  );
}

function Tags(props: { run: Run; onChange: () => void }) {
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | undefined>();
  const runId = props.run.info.run_id;
  const act = async (action: () => Promise<void>) => {
    setError(undefined);
    try {
      await action();
      props.onChange();
    } catch (e) {
      setError(asError(e).message);
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (key.trim() === '') return;
    void act(async () => {
      await api.setTag(runId, key.trim(), value);
      setKey('');
      setValue('');
    });
  };
  const tags = [...(props.run.data.tags ?? [])].sort((a, b) => a.key.localeCompare(b.key));
  return (
    <>
      <form className="toolbar" onSubmit={submit} aria-label="Set a tag">
        <input
          type="text"
          aria-label="Tag key"
          placeholder="key"
          value={key}
          onChange={(e) => setKey(e.target.value)}
        />
        <input
          type="text"
          aria-label="Tag value"
          placeholder="value"
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        <button type="submit" className="primary" disabled={key.trim() === ''}>
          Set tag
        </button>
      </form>
      <p className="field-error" role="alert">
        {error ?? ''}
      </p>
      <table className="plain" aria-label="Tags">
        <thead>
          <tr>
            <th style={{ width: '35%' }}>Key</th>
            <th>Value</th>
            <th style={{ width: 170 }}>Actions</th>
          </tr>
        </thead>
        <tbody>
          {tags.map((tag) => (
            <tr key={tag.key}>
              <td className="mono">{tag.key}</td>
              <td className="mono" style={{ overflowWrap: 'anywhere' }}>
                {tag.value}
              </td>
              <td>
                <button
                  type="button"
                  onClick={() => {
                    setKey(tag.key);
                    setValue(tag.value);
                  }}
                >
                  Edit
                </button>{' '}
                <button type="button" className="danger" onClick={() => void act(() => api.deleteTag(runId, tag.key))}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Inputs(props: { run: Run }) {
  const inputs = props.run.inputs?.dataset_inputs ?? [];
  if (inputs.length === 0) return <p className="muted">No datasets logged.</p>;
  return (
    <table className="plain" aria-label="Datasets">
      <thead>
        <tr>
          <th>Name</th>
          <th>Digest</th>
          <th>Source</th>
          <th>Context</th>
        </tr>
      </thead>
      <tbody>
        {inputs.map((input) => (
          <tr key={`${input.dataset.name}/${input.dataset.digest}`}>
            <td>{input.dataset.name}</td>
            <td className="mono">{input.dataset.digest}</td>
            <td className="mono" style={{ overflowWrap: 'anywhere' }}>
              {input.dataset.source_type}: {input.dataset.source}
            </td>
            <td>{input.tags?.find((t) => t.key === 'mlflow.data.context')?.value ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
