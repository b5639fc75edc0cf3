import { describe, expect, it } from 'vitest';
import { assignShards, decodeAnnouncement, encodeAnnouncement, MemberTable } from './membership.js';

const shares = (owners: string[]) => {
  const counts = new Map<string, number>();
  for (const owner of owners) counts.set(owner, (counts.get(owner) ?? 0) + 1);
  return counts;
};

describe('assignShards', () => {
  it('gives every member a fair share, the same for every order of the member list', () => {
    for (let n = 1; n <= 5; n++) {
      const members = Array.from({ length: n }, (_, i) => `member-${i}-${n}`);
      const owners = assignShards(members, 16);
      expect(owners).toHaveLength(16);
      expect(assignShards([...members].reverse(), 16)).toEqual(owners);
      const counts = shares(owners);
      expect(counts.size).toBe(n);
      for (const count of counts.values()) {
        expect(count).toBeGreaterThanOrEqual(Math.floor(16 / n));
        expect(count).toBeLessThanOrEqual(Math.ceil(16 / n));
      }
    }
  });

  it('moves few shards when a member joins or leaves', () => {
    const members = ['a', 'b', 'c'];
    const before = assignShards(members, 16);
    const after = assignShards([...members, 'd'], 16);
    const moved = before.filter((owner, shard) => owner !== after[shard]).length;
    expect(moved).toBeLessThanOrEqual(8);
    // Shards of a leaving member go to the others; theirs mostly stay.
    const without = assignShards(['a', 'b'], 16);
    const kept = before.filter((owner, shard) => owner !== 'c' && owner === without[shard]).length;
    expect(kept).toBeGreaterThanOrEqual(before.filter((owner) => owner !== 'c').length - 3);
  });
});

describe('MemberTable', () => {
  it('tracks newcomers, leaves and lease expiry, always including itself', () => {
    const table = new MemberTable('me', 3_000);
    expect(table.live()).toEqual(['me']);
    expect(table.heard('other', 1_000)).toBe(true);
    expect(table.heard('other', 2_000)).toBe(false);
    expect(table.heard('me', 2_000)).toBe(false);
    expect(table.live()).toEqual(['me', 'other']);
    expect(table.expire(4_500)).toBe(false);
    expect(table.expire(5_001)).toBe(true);
    expect(table.live()).toEqual(['me']);
    table.heard('third', 6_000);
    expect(table.left('third')).toBe(true);
    expect(table.left('third')).toBe(false);
    expect(table.live()).toEqual(['me']);
  });
});

describe('announcements', () => {
  it('round-trip and reject garbage', () => {
    const announcement = { member: 'm1', state: 'leaving' } as const;
    expect(decodeAnnouncement(encodeAnnouncement(announcement))).toEqual(announcement);
    expect(decodeAnnouncement(Buffer.from('not json'))).toBeUndefined();
    expect(decodeAnnouncement(Buffer.from('{"member":"","state":"alive"}'))).toBeUndefined();
    expect(decodeAnnouncement(Buffer.from('{"member":"m","state":"gone"}'))).toBeUndefined();
  });
});
