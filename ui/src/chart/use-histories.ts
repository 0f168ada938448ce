import { useEffect, useState } from 'react';
import type { PlumbApi } from '../api/client.ts';
import type { Metric } from '../api/types.ts';
import { asError } from '../use-async.ts';

export interface ChartRun {
  readonly runId: string;
  readonly label: string;
}

export interface StepRange {
  readonly startStep: number;
  readonly endStep: number;
}

export interface LoadedHistory {
  readonly run: ChartRun;
  readonly metrics: readonly Metric[];
  /** Set when the server bucketed the range: the view is a min/max envelope, not every point. */
  readonly bucketWidth: number | undefined;
}

export type HistoriesState =
  | { readonly status: 'loading'; readonly histories?: readonly LoadedHistory[] }
  | { readonly status: 'ok'; readonly histories: readonly LoadedHistory[] }
  | { readonly status: 'error'; readonly error: Error; readonly histories?: readonly LoadedHistory[] };

/**
 * Each run's history of `metricKey` from Plumb's downsampled endpoint, for the whole range or the
 * zoomed `range`: a zoom asks again for just that range at full budget, so detail appears as the
 * user zooms in, while a 1M-point history never crosses the wire whole.
 */
export function useHistories(
  api: PlumbApi,
  runs: readonly ChartRun[],
  metricKey: string,
  range: StepRange | undefined,
  maxPoints: number,
): HistoriesState {
  const [state, setState] = useState<HistoriesState>({ status: 'loading' });
  const runsKey = runs.map((r) => `${r.runId}\u0000${r.label}`).join('\u0001');
  useEffect(() => {
    const controller = new AbortController();
    setState((previous) => ({ status: 'loading', histories: previous.histories }));
    Promise.all(
      runs.map(async (run) => {
        const page = await api.downsampledHistory(
          { runId: run.runId, metricKey, maxPoints, startStep: range?.startStep, endStep: range?.endStep },
          controller.signal,
        );
        return { run, metrics: page.metrics, bucketWidth: page.stepBucketWidth };
      }),
    ).then(
      (histories) => {
        if (!controller.signal.aborted) setState({ status: 'ok', histories });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setState({ status: 'error', error: asError(error) });
      },
    );
    return () => controller.abort();
    // runsKey stands for the runs' content
  }, [api, runsKey, metricKey, range?.startStep, range?.endStep, maxPoints]);
  return state;
}
