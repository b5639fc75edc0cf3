/**
 * The outage test's verdicts come from these two functions: if they saw no fault where there is one, the
 * outage test would pass on broken code. Pure, no brokers.
 */
import { describe, expect, it } from 'vitest';
import { continuity } from './protocol-subscriber.js';
import { type Got, NO_FAULTS, streamFaults, summarise } from './stream-check.js';

const got = (...pairs: [offset: number, n: number][]): Got[] =>
  pairs.map(([offset, n]) => ({ offset, n, at: 0 }));

describe('streamFaults', () => {
  it('finds nothing in a complete stream', () => {
    expect(streamFaults(got([1, 10], [2, 11], [3, 12]), new Set([10, 11, 12]), new Set([13]), 3)).toEqual(
      NO_FAULTS,
    );
  });

  it('counts the confirmed messages behind an offset jump (issue 18) as missing', () => {
    const faults = streamFaults(got([1, 1], [4, 4]), new Set([1, 2, 3, 4]), new Set(), 4);
    expect(faults).toEqual({ ...NO_FAULTS, missing: 2, offsetJumps: 1 });
  });

  it('counts duplicates, steps back, refused messages and a stream short of the top', () => {
    const faults = streamFaults(got([1, 1], [2, 2], [2, 2], [3, 9]), new Set([1, 2]), new Set([9]), 5);
    expect(faults).toEqual({
      ...NO_FAULTS,
      duplicateOffsets: 1,
      duplicateMessages: 1,
      offsetsBackwards: 1,
      refusedSeen: 1,
      belowTop: 1,
    });
  });

  it('summarises per fault how many subscribers have it', () => {
    const one = { ...NO_FAULTS, missing: 368 };
    const other = { ...NO_FAULTS, missing: 692 };
    expect(summarise([one, other, NO_FAULTS])).toEqual({
      ...NO_FAULTS,
      missing: '2 subscribers, 368–692 each',
    });
  });
});

describe('continuity (the protocol-only client)', () => {
  const at = (offset: number, epoch = 'e1') => ({ offset, epoch });

  it('delivers the next offset and the first one seen', () => {
    expect(continuity(undefined, at(7))).toBe('deliver');
    expect(continuity(at(7), at(8))).toBe('deliver');
    expect(continuity(at(0, ''), at(1))).toBe('deliver');
  });

  it('drops offsets already seen', () => {
    expect(continuity(at(7), at(7))).toBe('duplicate');
    expect(continuity(at(7), at(3))).toBe('duplicate');
  });

  it('takes an offset past the next one, or another epoch, for a jump', () => {
    expect(continuity(at(7), at(9))).toBe('jump');
    expect(continuity(at(0, ''), at(2))).toBe('jump');
    expect(continuity(at(7), at(8, 'e2'))).toBe('jump');
  });
});
