import { useCallback, useMemo, useState } from 'react';
import { ApiError, api } from '../api/client.ts';
import type { RunStatus, ViewType } from '../api/types.ts';
import { type ColumnRef, ColumnChooser, decodeColumns, encodeColumns } from '../components/column-chooser.tsx';
import { FilterBox } from '../components/filter-box.tsx';
import { type GridColumn, VirtualGrid } from '../components/virtual-grid.tsx';
import { hrefOf, Link, navigate } from '../router.tsx';
import { formatDuration, formatTime, useAsync } from '../use-async.ts';
import { type RunQuery, type RunRow, useRunPages } from './run-rows.ts';

const ROW_HEIGHT = 32;
const PAGE_SIZE = 1000;
/** Fetch the next page when the view comes this close to the last loaded row. */
const PREFETCH_ROWS = 300;
const STATUSES: readonly RunStatus[] = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'];
const VIEWS: Record<string, ViewType> = { active: 'ACTIVE_ONLY', deleted: 'DELETED_ONLY', all: 'ALL' };

/** A run-table column's order-by field, in the grammar runs/search takes. */
export function orderField(column: ColumnRef | 'name' | 'status' | 'start'): string {
  if (column === 'name') return 'attributes.run_name';
  if (column === 'status') return 'attributes.status';
  if (column === 'start') return 'attributes.start_time';
  const prefix = column.kind === 'metric' ? 'metrics' : column.kind === 'param' ? 'params' : 'tags';
  return `${prefix}.\`${column.key}\``;
}

/** The URL's state, read once per render: everything the table shows follows from it. */
function readQuery(query: URLSearchParams) {
  const experimentIds = (query.get('experiments') ?? '0').split(',').filter((id) => id !== '');
  const status = query.get('status') ?? '';
  const filter = query.get('filter') ?? '';
  return {
    experimentIds,
    filter,
    status,
    view: query.get('view') ?? 'active',
    order: query.get('order') ?? '',
    columns: query.has('cols') ? decodeColumns(query.get('cols')) : undefined,
  };
}

type UrlState = ReturnType<typeof readQuery>;

function hrefFor(state: UrlState, change: Partial<UrlState>): string {
  const next = { ...state, ...change };
  return hrefOf('/runs', {
    experiments: next.experimentIds.join(','),
    filter: next.filter,
    status: next.status,
    view: next.view === 'active' ? undefined : next.view,
    order: next.order,
    cols: next.columns === undefined ? undefined : encodeColumns(next.columns) || '-',
  });
}

export function RunsPage(props: { query: URLSearchParams }) {
  const url = readQuery(props.query);
  const statusClause = url.status ? `attributes.status = '${url.status}'` : '';
  const runQuery: RunQuery = useMemo(
    () => ({
      experimentIds: url.experimentIds,
      // MLflow's grammar has AND only (no OR, no parentheses): appending a clause keeps the meaning.
      filter: [url.filter, statusClause].filter(Boolean).join(' and '),
      orderBy: url.order ? [url.order] : [],
      viewType: VIEWS[url.view] ?? 'ACTIVE_ONLY',
    }),
    // The URL's strings are the query: a new array of the same ids is the same query.
    [url.experimentIds.join(','), url.filter, statusClause, url.order, url.view],
  );
  const pages = useRunPages(api, runQuery, PAGE_SIZE);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const experiments = useAsync(
    (signal) => Promise.all(url.experimentIds.map((id) => api.getExperiment(id, signal).catch(() => undefined))),
    [url.experimentIds.join(',')],
  );

  const chosen = url.columns ?? defaultColumns(pages.keys);
  const go = (change: Partial<UrlState>) => navigate(hrefFor(url, change), { replace: true });

  const validate = useCallback(
    async (filter: string) => {
      try {
        await api.searchRuns({ experimentIds: url.experimentIds, filter, maxResults: 1 });
        return undefined;
      } catch (error) {
        if (error instanceof ApiError && error.status === 400) return error.message;
        throw error;
      }
    },
    [url.experimentIds],
  );

  const { rows, hasMore, loadMore } = pages;
  const onVisibleRows = useCallback(
    (_first: number, last: number) => {
      if (hasMore && last >= rows.length - PREFETCH_ROWS) loadMore();
    },
    [hasMore, rows.length, loadMore],
  );

  const sortHeader = (label: string, field: string) => {
    const [current, direction] = url.order.split(/ (?=ASC$|DESC$)/);
    const active = current === field;
    const next = !active ? `${field} DESC` : direction === 'DESC' ? `${field} ASC` : '';
    return (
      <button
        type="button"
        className="sort"
        title={`Sort by ${label}`}
        aria-sort={active ? (direction === 'ASC' ? 'ascending' : 'descending') : 'none'}
        onClick={() => go({ order: next })}
      >
        {label}
        {active ? (direction === 'ASC' ? ' ▲' : ' ▼') : ''}
      </button>
    );
  };

  const row = (index: number): RunRow | undefined => rows[index];
  const toggle = (id: string) =>
    setSelected((previous) => {
      const next = new Set(previous);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const pinned: GridColumn[] = [
    {
      id: 'select',
      width: 36,
      header: <span className="visually-hidden">Select</span>,
      cell: (i) => {
        const r = row(i);
        return r ? (
          <input
            type="checkbox"
            aria-label={`Select ${r.name}`}
            checked={selected.has(r.id)}
            onChange={() => toggle(r.id)}
          />
        ) : null;
      },
    },
    {
      id: 'name',
      width: 220,
      header: sortHeader('Run', orderField('name')),
      cell: (i) => {
        const r = row(i);
        return r ? <Link to={`/runs/${encodeURIComponent(r.id)}`}>{r.name}</Link> : null;
      },
    },
  ];
  const columns: GridColumn[] = useMemo(() => {
    const fixed: GridColumn[] = [
      {
        id: 'status',
        width: 100,
        header: sortHeader('Status', orderField('status')),
        cell: (i) => {
          const r = row(i);
          return r ? <span className={`status-${r.status}`}>{r.status}</span> : null;
        },
      },
      {
        id: 'start',
        width: 170,
        header: sortHeader('Started', orderField('start')),
        cell: (i) => formatTime(row(i)?.start),
      },
      { id: 'duration', width: 90, header: 'Duration', cell: (i) => formatDuration(row(i)?.start, row(i)?.end) },
      { id: 'user', width: 110, header: 'User', cell: (i) => row(i)?.user ?? '' },
    ];
    return [
      ...fixed,
      ...chosen.map((column) => ({
        id: `${column.kind}:${column.key}`,
        width: 140,
        header: sortHeader(column.key, orderField(column)),
        cell: (i: number) => {
          const r = row(i);
          if (!r) return '';
          const value =
            column.kind === 'metric'
              ? r.metrics[column.key]
              : column.kind === 'param'
                ? r.params[column.key]
                : r.tags[column.key];
          return value === undefined ? '' : typeof value === 'number' ? formatNumber(value) : value;
        },
      })),
    ];
    // Rebuilt when the rows, the chosen columns (by content), the order or the selection change.
  }, [rows, encodeColumns(chosen), url.order, selected]);

  const names = (experiments.state.data ?? []).map((e, i) => e?.name ?? `#${url.experimentIds[i]}`).join(', ');
  return (
    <section aria-labelledby="runs-title" style={{ display: 'flex', flexDirection: 'column', flex: 1, minHeight: 0 }}>
      <h1 id="runs-title">
        Runs <span className="muted">{names ? `in ${names}` : ''}</span>
      </h1>
      <div className="toolbar">
        <FilterBox
          value={url.filter}
          validate={validate}
          onApply={(filter) => go({ filter })}
          error={pages.error instanceof ApiError && pages.error.status === 400 ? pages.error.message : undefined}
        />
        <label>
          Status{' '}
          <select aria-label="Status" value={url.status} onChange={(event) => go({ status: event.target.value })}>
            <option value="">Any</option>
            {STATUSES.map((status) => (
              <option key={status} value={status}>
                {status}
              </option>
            ))}
          </select>
        </label>
        <label>
          Lifecycle{' '}
          <select aria-label="Lifecycle" value={url.view} onChange={(event) => go({ view: event.target.value })}>
            <option value="active">Active</option>
            <option value="deleted">Deleted</option>
            <option value="all">All</option>
          </select>
        </label>
        <ColumnChooser keys={pages.keys} chosen={chosen} onChange={(columns) => go({ columns })} />
        <button
          type="button"
          disabled={selected.size < 1}
          onClick={() => navigate(hrefOf('/compare', { runs: [...selected].join(',') }))}
        >
          Compare ({selected.size})
        </button>
      </div>
      <p className="muted" aria-live="polite" style={{ margin: '0 0 8px' }} data-testid="runs-count">
        {rows.length} run{rows.length === 1 ? '' : 's'} loaded{hasMore ? ', more as you scroll' : ''}
        {pages.loading ? ' · loading…' : ''}
      </p>
      {pages.error && !(pages.error instanceof ApiError && pages.error.status === 400) ? (
        <div className="state state-error" role="alert">
          Could not load runs: {pages.error.message}
        </div>
      ) : !pages.loading && rows.length === 0 ? (
        <div className="state">No runs match.</div>
      ) : (
        <VirtualGrid
          label="Runs"
          rowCount={rows.length}
          rowHeight={ROW_HEIGHT}
          pinned={pinned}
          columns={columns}
          isSelected={(i) => selected.has(rows[i]?.id ?? '')}
          onVisibleRows={onVisibleRows}
        />
      )}
    </section>
  );
}

/** Before the user chooses, a few metrics and params (in key order) make the table useful. */
function defaultColumns(keys: { metrics: ReadonlySet<string>; params: ReadonlySet<string> }): ColumnRef[] {
  return [
    ...[...keys.metrics]
      .sort()
      .slice(0, 4)
      .map((key) => ({ kind: 'metric' as const, key })),
    ...[...keys.params]
      .sort()
      .slice(0, 3)
      .map((key) => ({ kind: 'param' as const, key })),
  ];
}

export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  return abs !== 0 && (abs < 1e-4 || abs >= 1e7) ? value.toExponential(4) : String(Number(value.toPrecision(6)));
}
