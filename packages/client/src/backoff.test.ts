import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Backoff, backoffCeiling, fullJitterDelay } from './backoff.js';

describe('full-jitter backoff', () => {
  it('stays within [0, min(max, min * 2^attempt)] for any attempt and random value', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 120_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, minDelayMs, maxDelayMs, r) => {
          const delay = fullJitterDelay(attempt, { minDelayMs, maxDelayMs }, () => r);
          const ceiling = Math.min(maxDelayMs, minDelayMs * 2 ** Math.min(attempt, 30));
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(ceiling);
        },
      ),
    );
  });

  it('reaches both ends of the range', () => {
    const options = { minDelayMs: 100, maxDelayMs: 1_000 };
    expect(fullJitterDelay(3, options, () => 0)).toBe(0);
    expect(fullJitterDelay(3, options, () => 0.999999)).toBe(800);
    expect(fullJitterDelay(10, options, () => 0.999999)).toBe(1_000);
  });

  it('doubles the ceiling per attempt up to the cap', () => {
    const options = { minDelayMs: 100, maxDelayMs: 1_000 };
    expect([0, 1, 2, 3, 4, 5, 1_000].map((n) => backoffCeiling(n, options))).toEqual([
      100, 200, 400, 800, 1_000, 1_000, 1_000,
    ]);
  });

  it('Backoff counts attempts and reset() starts over', () => {
    const backoff = new Backoff({ minDelayMs: 10, maxDelayMs: 1_000 }, () => 0.999999);
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([10, 20, 40]);
    backoff.reset();
    expect(backoff.attempt).toBe(0);
    expect(backoff.next()).toBe(10);
  });
});
