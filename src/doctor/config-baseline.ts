import { z } from 'zod';
import { MlflowError } from '../core/errors.ts';

/**
 * The configuration baseline kept in CI (`plumb doctor config --write-baseline FILE`, then
 * `--baseline FILE`): the settings replicas must share, as config-fingerprint.ts summarises
 * them, so a change to the deployed configuration fails a pipeline until the baseline is renewed
 * on purpose. It holds no secrets: the summary never does.
 */
export const BASELINE_FORMAT = 'plumb-config-baseline';
export const BASELINE_VERSION = 1;

const Baseline = z.object({
  format: z.literal(BASELINE_FORMAT),
  version: z.literal(BASELINE_VERSION),
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  summary: z.record(z.string(), z.unknown()),
  writtenBy: z.string().optional(),
  writtenAt: z.string().optional(),
});
export type ConfigBaseline = z.infer<typeof Baseline>;

/** Parses a baseline file; throws INVALID_PARAMETER_VALUE saying what is wrong with it. */
export function parseConfigBaseline(text: string, source: string): ConfigBaseline {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw MlflowError.invalidParameter(`${source} is not JSON: ${(error as Error).message}`);
  }
  const parsed = Baseline.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ');
    throw MlflowError.invalidParameter(`${source} is not a ${BASELINE_FORMAT} v${BASELINE_VERSION} file: ${problems}`);
  }
  return parsed.data;
}

export function makeConfigBaseline(
  summary: Readonly<Record<string, unknown>>,
  fingerprint: string,
  writtenBy: string,
  now: Date,
): ConfigBaseline {
  return {
    format: BASELINE_FORMAT,
    version: BASELINE_VERSION,
    fingerprint,
    summary: { ...summary },
    writtenBy,
    writtenAt: now.toISOString(),
  };
}

/** One setting that differs between two summaries, by its dotted path (`artifactsDestination.path`). */
export interface SettingDifference {
  readonly setting: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

/**
 * The settings in which `actual` differs from `expected`, field by field: nested objects are
 * compared key by key, anything else (arrays included) as a whole. Sorted by setting.
 */
export function settingDifferences(
  expected: Readonly<Record<string, unknown>>,
  actual: Readonly<Record<string, unknown>>,
  prefix = '',
): SettingDifference[] {
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  const differences: SettingDifference[] = [];
  for (const key of keys) {
    const a = expected[key];
    const b = actual[key];
    const setting = `${prefix}${key}`;
    if (isObject(a) && isObject(b)) differences.push(...settingDifferences(a, b, `${setting}.`));
    else if (JSON.stringify(a) !== JSON.stringify(b)) differences.push({ setting, expected: a, actual: b });
  }
  return differences;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `artifactsDestination.path: "/srv/a" → "/srv/b"` */
export function describeDifference(difference: SettingDifference): string {
  const show = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v));
  return `${difference.setting}: ${show(difference.expected)} → ${show(difference.actual)}`;
}
