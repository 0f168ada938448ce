/** Wall-clock time for values users read (creation times). Ordering and conflicts never depend on it. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
