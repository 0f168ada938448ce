/**
 * What `plumb doctor` reports. A check never throws: it returns findings, and a check that could
 * not run at all is itself a finding (`<group>.check-failed`). Ids are stable, so automation can
 * match them (`db.orphan-metrics`), and every finding says how to repair it.
 */
export const SEVERITIES = ['error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const DOCTOR_GROUPS = ['config', 'db', 'artifacts'] as const;
export type DoctorGroup = (typeof DOCTOR_GROUPS)[number];

/** Where a finding was made: a capped list of ids, keys or rows, and how many there are in all. */
export interface Where {
  /** What the items are, e.g. `table metrics, run ids` or `s3://bucket/prefix, object keys`. */
  readonly scope: string;
  readonly items: readonly string[];
  readonly count: number;
}

export interface Finding {
  /** Stable: `<group>.<what>`. */
  readonly id: string;
  readonly severity: Severity;
  /** What was found, in one sentence. */
  readonly summary: string;
  readonly where?: Where | undefined;
  /** The exact command or step that repairs it. */
  readonly repair: string;
  /** `--fix` repairs it. */
  readonly fixable: boolean;
}

/** What `--fix` did about one finding. */
export interface RepairOutcome {
  readonly findingId: string;
  /** True when the finding is repaired. */
  readonly repaired: boolean;
  /** What was done, e.g. `deleted 12 rows from metrics`. */
  readonly done: string;
}

/** How many items a finding lists by default; the count is always complete. */
export const DEFAULT_LIST_CAP = 20;

export function where(scope: string, items: readonly string[], count: number, cap: number): Where {
  return { scope, items: items.slice(0, cap), count };
}

/** A check that could not run: reported, never thrown. */
export function checkFailed(group: DoctorGroup, what: string, error: unknown, repair: string): Finding {
  const message = error instanceof Error ? error.message : String(error);
  return {
    id: `${group}.check-failed`,
    severity: 'error',
    summary: `Could not ${what}: ${message}`,
    repair,
    fixable: false,
  };
}

/** Runs `check`; an error becomes a `check-failed` finding instead of propagating. */
export async function guarded(
  group: DoctorGroup,
  what: string,
  repair: string,
  check: () => Promise<readonly Finding[]>,
): Promise<Finding[]> {
  try {
    return [...(await check())];
  } catch (error) {
    return [checkFailed(group, what, error, repair)];
  }
}

export function hasErrors(findings: readonly Finding[], repaired: ReadonlySet<string> = new Set()): boolean {
  return findings.some((f) => f.severity === 'error' && !repaired.has(f.id));
}

/** `1 run` / `3 runs`. */
export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : pluralNoun}`;
}

/** Epoch ms as an ISO instant, or `never`. */
export function instant(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? 'never' : new Date(ms).toISOString();
}

/** A duration for messages: `36 h`, `15 min`, `40 s`. */
export function duration(ms: number): string {
  if (ms >= 48 * 3_600_000) return `${Math.round(ms / 86_400_000)} d`;
  if (ms >= 2 * 3_600_000) return `${Math.round(ms / 3_600_000)} h`;
  if (ms >= 2 * 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 1000)} s`;
}
