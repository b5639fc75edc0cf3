import { describe, expect, it } from 'vitest';
import type { Recovery } from './history-store.js';
import { coversSince } from './recovery.js';

/** A recovery at top {top, 'e1'} holding the given offsets (epoch e1 unless given as [offset, epoch]). */
const recovery = (top: number, held: (number | [number, string])[]): Recovery => ({
  position: { offset: top, epoch: 'e1' },
  publications: held.map((h) =>
    Array.isArray(h) ? { offset: h[0], epoch: h[1] } : { offset: h, epoch: 'e1' },
  ),
});

describe('coversSince: what recovered=true requires (issue 18)', () => {
  it('accepts exactly since+1 … top in order, and an empty answer at the top', () => {
    expect(coversSince(2, recovery(5, [3, 4, 5]))).toBe(true);
    expect(coversSince(5, recovery(5, []))).toBe(true);
    expect(coversSince(0, recovery(0, []))).toBe(true);
  });

  it('rejects a hole, a cut end, a missing start, duplicates, disorder and extras', () => {
    expect(coversSince(2, recovery(5, [3, 5]))).toBe(false);
    expect(coversSince(2, recovery(5, [3, 4]))).toBe(false);
    expect(coversSince(2, recovery(5, [4, 5]))).toBe(false);
    expect(coversSince(2, recovery(5, [3, 3, 4]))).toBe(false);
    expect(coversSince(2, recovery(5, [3, 5, 4]))).toBe(false);
    expect(coversSince(2, recovery(5, [2, 3, 4, 5]))).toBe(false);
    expect(coversSince(5, recovery(5, [6]))).toBe(false);
  });

  it('rejects a publication of another epoch, a position without epoch, and since beyond the top', () => {
    expect(coversSince(2, recovery(5, [3, [4, 'e0'], 5]))).toBe(false);
    expect(coversSince(0, { position: { offset: 0, epoch: '' }, publications: [] })).toBe(false);
    expect(coversSince(6, recovery(5, []))).toBe(false);
    expect(coversSince(-1, recovery(5, []))).toBe(false);
  });
});
