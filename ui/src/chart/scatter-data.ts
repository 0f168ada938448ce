import type { Run } from '../api/types.ts';

/** One axis of the scatter: a param or a latest metric of each run. */
export interface AxisChoice {
  readonly kind: 'param' | 'metric';
  readonly key: string;
}

export interface ScatterData {
  /** Ascending x, one point per run that has both values. */
  readonly xs: number[];
  readonly ys: number[];
  /** The run each point is, in the same order. */
  readonly runIds: string[];
  /** When x is a param whose values are not all numbers: its values in order, x being the index. */
  readonly categories?: string[];
  /** Runs left out because they lack either value (or it is not a number on the y axis). */
  readonly skipped: number;
}

function rawValue(run: Run, axis: AxisChoice): string | number | undefined {
  if (axis.kind === 'metric') return run.data.metrics?.find((m) => m.key === axis.key)?.value;
  return run.data.params?.find((p) => p.key === axis.key)?.value;
}

const asNumber = (value: string | number | undefined): number | undefined => {
  if (value === undefined || value === '') return undefined;
  const number = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(number) ? number : undefined;
};

/**
 * The points of a param-vs-metric scatter over many runs (the compare page shows up to 1,000). A
 * param whose values are all numbers is a numeric axis; otherwise its distinct values, sorted, are
 * categories placed at 0, 1, 2…; the y axis takes numbers only.
 */
export function scatterData(runs: readonly Run[], x: AxisChoice, y: AxisChoice): ScatterData {
  const present = runs
    .map((run) => ({ run, x: rawValue(run, x), y: asNumber(rawValue(run, y)) }))
    .filter((p): p is { run: Run; x: string | number; y: number } => p.x !== undefined && p.y !== undefined);
  const numeric = present.every((p) => asNumber(p.x) !== undefined);
  const categories = numeric ? undefined : [...new Set(present.map((p) => String(p.x)))].sort();
  const points = present
    .map((p) => ({ x: numeric ? asNumber(p.x)! : categories!.indexOf(String(p.x)), y: p.y, runId: p.run.info.run_id }))
    .sort((a, b) => a.x - b.x || a.y - b.y);
  return {
    xs: points.map((p) => p.x),
    ys: points.map((p) => p.y),
    runIds: points.map((p) => p.runId),
    ...(categories ? { categories } : {}),
    skipped: runs.length - points.length,
  };
}

/** The keys a scatter can use: every param for x, and each metric for either axis. */
export function axisChoices(runs: readonly Run[]): { params: string[]; metrics: string[] } {
  const keys = (pick: (run: Run) => readonly { key: string }[] | undefined) =>
    [...new Set(runs.flatMap((run) => (pick(run) ?? []).map((entry) => entry.key)))].sort();
  return { params: keys((run) => run.data.params), metrics: keys((run) => run.data.metrics) };
}
