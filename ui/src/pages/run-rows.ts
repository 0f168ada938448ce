import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { PlumbApi } from '../api/client.ts';
import type { Run, RunStatus, ViewType } from '../api/types.ts';
import { asError } from '../use-async.ts';

/** One run as the table keeps it: flat lookups, no wire arrays to search per cell. */
export interface RunRow {
  readonly id: string;
  readonly name: string;
  readonly experimentId: string;
  readonly status: RunStatus;
  readonly user: string;
  readonly start: number | undefined;
  readonly end: number | undefined;
  readonly deleted: boolean;
  readonly metrics: Readonly<Record<string, number | string>>;
  readonly params: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
}

export function toRow(run: Run): RunRow {
  const metrics: Record<string, number | string> = {};
  for (const metric of run.data.metrics ?? []) metrics[metric.key] = metric.value;
  const params: Record<string, string> = {};
  for (const param of run.data.params ?? []) params[param.key] = param.value;
  const tags: Record<string, string> = {};
  for (const tag of run.data.tags ?? []) tags[tag.key] = tag.value;
  return {
    id: run.info.run_id,
    name: run.info.run_name ?? tags['mlflow.runName'] ?? run.info.run_id,
    experimentId: run.info.experiment_id,
    status: run.info.status,
    user: run.info.user_id ?? tags['mlflow.user'] ?? '',
    start: run.info.start_time,
    end: run.info.end_time,
    deleted: run.info.lifecycle_stage === 'deleted',
    metrics,
    params,
    tags,
  };
}

export interface RunQuery {
  readonly experimentIds: readonly string[];
  readonly filter: string;
  readonly orderBy: readonly string[];
  readonly viewType: ViewType;
}

/** Every key seen in the loaded runs, by kind: the column chooser's choices. */
export interface KeySets {
  readonly metrics: ReadonlySet<string>;
  readonly params: ReadonlySet<string>;
  readonly tags: ReadonlySet<string>;
}

export interface RunPages {
  readonly rows: readonly RunRow[];
  readonly keys: KeySets;
  readonly hasMore: boolean;
  readonly loading: boolean;
  readonly error: Error | undefined;
  /** Fetches the next page unless one is on its way or there is none. */
  loadMore(): void;
}

/**
 * Later pages grow (doubling, up to this many times the first): the first page stays quick to show,
 * and a user scrolling deep into 100,000 runs waits for a few large pages instead of many small ones.
 */
const MAX_PAGE_GROWTH = 5;

/** Runs asked for in page `index` (0-based) when the first page is `first`. */
export function pageSizeOf(first: number, index: number): number {
  return Math.min(first * MAX_PAGE_GROWTH, first * 2 ** Math.min(index, 10));
}

/**
 * The runs of a query, a page at a time through runs/search page tokens. A new query starts over
 * (the previous one's requests are aborted); pages arrive in order, one in flight at a time.
 */
export function useRunPages(api: PlumbApi, query: RunQuery, pageSize: number): RunPages {
  const [state, setState] = useState<{
    rows: RunRow[];
    token: string | undefined;
    pages: number;
    done: boolean;
    loading: boolean;
    error: Error | undefined;
  }>({ rows: [], token: undefined, pages: 0, done: false, loading: true, error: undefined });
  const keys = useRef({ metrics: new Set<string>(), params: new Set<string>(), tags: new Set<string>() });
  const [keysVersion, setKeysVersion] = useState(0);
  const inFlight = useRef<AbortController | undefined>(undefined);
  const queryKey = JSON.stringify(query);

  const fetchPage = useCallback(
    (token: string | undefined, index: number) => {
      inFlight.current?.abort();
      const controller = new AbortController();
      inFlight.current = controller;
      setState((previous) => ({ ...previous, loading: true, error: undefined }));
      api
        .searchRuns(
          {
            experimentIds: query.experimentIds,
            filter: query.filter,
            orderBy: query.orderBy,
            viewType: query.viewType,
            pageToken: token,
            maxResults: pageSizeOf(pageSize, index),
          },
          controller.signal,
        )
        .then(
          (page) => {
            if (controller.signal.aborted) return;
            const rows = page.items.map(toRow);
            let grew = false;
            for (const row of rows) grew = addKeys(keys.current, row) || grew;
            if (grew) setKeysVersion((v) => v + 1);
            setState((previous) => ({
              rows: index === 0 ? rows : [...previous.rows, ...rows],
              token: page.nextPageToken,
              pages: index + 1,
              done: page.nextPageToken === undefined,
              loading: false,
              error: undefined,
            }));
            inFlight.current = undefined;
          },
          (error: unknown) => {
            if (controller.signal.aborted) return;
            inFlight.current = undefined;
            setState((previous) => ({ ...previous, loading: false, error: asError(error) }));
          },
        );
    },
    [api, queryKey, pageSize],
  );

  useEffect(() => {
    keys.current = { metrics: new Set(), params: new Set(), tags: new Set() };
    setKeysVersion((v) => v + 1);
    setState({ rows: [], token: undefined, pages: 0, done: false, loading: true, error: undefined });
    fetchPage(undefined, 0);
    return () => inFlight.current?.abort();
  }, [fetchPage]);

  const latest = useRef(state);
  latest.current = state;
  const loadMore = useCallback(() => {
    const current = latest.current;
    if (inFlight.current || current.done || current.error || current.token === undefined) return;
    fetchPage(current.token, current.pages);
  }, [fetchPage]);

  // A fresh object whenever keys grew, so the column chooser re-derives its lists.
  const keySets = useMemo<KeySets>(
    () => ({
      metrics: new Set(keys.current.metrics),
      params: new Set(keys.current.params),
      tags: new Set(keys.current.tags),
    }),
    [keysVersion],
  );
  return {
    rows: state.rows,
    keys: keySets,
    hasMore: !state.done,
    loading: state.loading,
    error: state.error,
    loadMore,
  };
}

function addKeys(keys: { metrics: Set<string>; params: Set<string>; tags: Set<string> }, row: RunRow): boolean {
  const before = keys.metrics.size + keys.params.size + keys.tags.size;
  for (const key in row.metrics) keys.metrics.add(key);
  for (const key in row.params) keys.params.add(key);
  for (const key in row.tags) if (!key.startsWith('mlflow.')) keys.tags.add(key);
  return keys.metrics.size + keys.params.size + keys.tags.size !== before;
}
