/**
 * What a subscriber of the outage test got, checked against what the publisher was told and what history
 * holds: pure functions, so that the figures the test prints and asserts on are computed one way.
 */

/** One publication as a subscriber's application got it: its offset and the publisher's message number. */
export interface Got {
  readonly offset: number;
  readonly n: number;
  readonly at: number;
}

export interface StreamFaults {
  /** Confirmed (202) messages the application never got. */
  missing: number;
  /** Offsets, and message numbers, given to the application more than once. */
  duplicateOffsets: number;
  duplicateMessages: number;
  /** Places where the next offset was not the previous one + 1 (the first must be 1): a jump over a gap. */
  offsetJumps: number;
  /** Places where the offset went back or stood still. */
  offsetsBackwards: number;
  /** Refused (503) messages the application got. */
  refusedSeen: number;
  /** The last offset got is below history's top. */
  belowTop: number;
}

export const NO_FAULTS: StreamFaults = {
  missing: 0,
  duplicateOffsets: 0,
  duplicateMessages: 0,
  offsetJumps: 0,
  offsetsBackwards: 0,
  refusedSeen: 0,
  belowTop: 0,
};

/** The faults of one subscriber's stream (`got` in the order the application got it). */
export function streamFaults(
  got: readonly Got[],
  confirmed: ReadonlySet<number>,
  refused: ReadonlySet<number>,
  top: number,
): StreamFaults {
  const faults = { ...NO_FAULTS };
  const offsets = new Set<number>();
  const numbers = new Set<number>();
  let previous = 0;
  for (const { offset, n } of got) {
    if (offsets.has(offset)) faults.duplicateOffsets++;
    if (numbers.has(n)) faults.duplicateMessages++;
    if (refused.has(n)) faults.refusedSeen++;
    if (offset <= previous) faults.offsetsBackwards++;
    else if (offset !== previous + 1) faults.offsetJumps++;
    offsets.add(offset);
    numbers.add(n);
    previous = Math.max(previous, offset);
  }
  for (const n of confirmed) if (!numbers.has(n)) faults.missing++;
  if (previous < top) faults.belowTop = 1;
  return faults;
}

/** Per fault: how many subscribers have it, and the fewest and most occurrences among those. */
export function summarise(all: readonly StreamFaults[]): Record<keyof StreamFaults, string | number> {
  const out = {} as Record<keyof StreamFaults, string | number>;
  for (const key of Object.keys(NO_FAULTS) as (keyof StreamFaults)[]) {
    const hit = all.map((f) => f[key]).filter((v) => v > 0);
    out[key] =
      hit.length === 0 ? 0 : `${hit.length} subscribers, ${Math.min(...hit)}–${Math.max(...hit)} each`;
  }
  return out;
}
