import { describe, expect, it } from 'vitest';
import { ConnectionIds } from './connection-ids.js';

describe('ConnectionIds', () => {
  it('gives <node>.<12 base64url characters>, all different across several pool draws', () => {
    const ids = new ConnectionIds('edge-1');
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const id = ids.next();
      expect(id).toMatch(/^edge-1\.[A-Za-z0-9_-]{12}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(2_000);
  });

  it('draws fresh random bytes for every id (no all-zero part after a draw is used up)', () => {
    const ids = new ConnectionIds('n');
    const parts = Array.from({ length: 600 }, () => ids.next().slice(2));
    expect(parts).not.toContain('AAAAAAAAAAAA');
    // Two nodes' generators are independent.
    expect(new ConnectionIds('n').next()).not.toBe(new ConnectionIds('n').next());
  });
});
