import { describe, expect, it } from 'vitest';
import { cappedExponential, fullJitter } from './backoff.js';

describe('fullJitter', () => {
  it('spans [0, min(cap, base * 2^attempt))', () => {
    expect(fullJitter(0, 100, 5_000, () => 0)).toBe(0);
    expect(fullJitter(0, 100, 5_000, () => 0.999)).toBe(99);
    expect(fullJitter(3, 100, 5_000, () => 0.5)).toBe(400);
    expect(fullJitter(10, 100, 5_000, () => 0.5)).toBe(2_500);
    expect(fullJitter(1_000, 100, 5_000, () => 0.999)).toBe(4_995);
  });
});

describe('cappedExponential', () => {
  it('doubles from the base per attempt up to the cap', () => {
    expect([1, 2, 3, 4, 10].map((attempt) => cappedExponential(attempt, 100, 1_000))).toEqual([
      100, 200, 400, 800, 1_000,
    ]);
  });
});
