const UNITS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };

/**
 * A duration as `mlflow gc --older-than` takes it: `#d#h#m#s`, any part optional but in that
 * order, decimals allowed (`1d2h`, `1.5h`, `30m`, `0s`). Milliseconds, or undefined when malformed.
 */
export function parseDuration(text: string): number | undefined {
  const match = /^(?:(\d+(?:\.\d+)?)d)?(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(
    text.trim(),
  );
  if (!match || text.trim() === '') return undefined;
  return ['d', 'h', 'm', 's'].reduce((ms, unit, i) => ms + Number(match[i + 1] ?? 0) * UNITS[unit]!, 0);
}
