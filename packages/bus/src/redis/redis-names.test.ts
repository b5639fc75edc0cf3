import { describe, expect, it } from 'vitest';
import { BusNameError } from '../errors.js';
import { allRoute, channelRoute, nodeRoute, userRoute } from '../routes.js';
import {
  assignShards,
  deadLetterStream,
  deliveryChannel,
  leaseKey,
  membersKey,
  routeOfChannel,
  shardCountKey,
  shardOf,
  workStream,
} from './redis-names.js';
import { parseEntries, parsePending, parseReadGroup } from './redis-streams.js';

describe('redis names', () => {
  it('names keys and channels', () => {
    expect(workStream('chat', 3)).toBe('sb:work:chat:3');
    expect(shardCountKey('chat')).toBe('sb:meta:chat:shards');
    expect(membersKey('chat', 'svc')).toBe('sb:members:chat:svc');
    expect(leaseKey('chat', 'svc', 7)).toBe('sb:lease:chat:svc:7');
    expect(deadLetterStream('chat', 'svc')).toBe('sb:dlq:chat:svc');
    expect(deliveryChannel(allRoute)).toBe('sb:d:*');
    expect(deliveryChannel(channelRoute('room:1'))).toBe('sb:d:c:room:1');
    expect(deliveryChannel(nodeRoute('edge-1'))).toBe('sb:d:n:edge-1');
  });

  it('parses a delivery channel back to its route', () => {
    for (const route of [allRoute, channelRoute('a:b'), userRoute('u'), nodeRoute('n')]) {
      expect(routeOfChannel(deliveryChannel(route))).toEqual(route);
    }
    expect(() => routeOfChannel('other:c:x')).toThrow(BusNameError);
  });

  it('maps a key to a stable shard within range', () => {
    expect(shardOf('room-1', 16)).toBe(shardOf('room-1', 16));
    for (let i = 0; i < 200; i++) {
      const shard = shardOf(`k${i}`, 16);
      expect(shard).toBeGreaterThanOrEqual(0);
      expect(shard).toBeLessThan(16);
    }
    expect(new Set(Array.from({ length: 200 }, (_, i) => shardOf(`k${i}`, 16))).size).toBe(16);
  });

  it('assigns every shard to exactly one live member, the same on every member', () => {
    const members = ['c', 'a', 'b'];
    const all = members.flatMap((m) => assignShards(members, m, 8)).sort((x, y) => x - y);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(assignShards(members, 'a', 8)).toEqual([0, 3, 6]);
    expect(assignShards(['b', 'a', 'c'], 'a', 8)).toEqual([0, 3, 6]);
    expect(assignShards(members, 'stranger', 8)).toEqual([]);
    expect(assignShards(['a'], 'a', 4)).toEqual([0, 1, 2, 3]);
    expect(assignShards(['a', 'b', 'c', 'd', 'e'], 'e', 3)).toEqual([]);
  });
});

describe('redis stream replies', () => {
  const b = (s: string) => Buffer.from(s);
  it('parses XREADGROUP, XCLAIM (with a trimmed entry) and XPENDING replies', () => {
    const read = parseReadGroup([[b('s'), [[b('1-0'), [b('k'), b('key'), b('b'), b('body')]]]]]);
    const [entry] = read.get('s')!;
    expect(entry!.id).toBe('1-0');
    expect(entry!.fields?.get('b')?.toString()).toBe('body');
    expect(parseReadGroup(null).size).toBe(0);
    expect(parseEntries([[b('2-0'), null]])).toEqual([{ id: '2-0', fields: undefined }]);
    expect(parsePending([['3-0', 'c1', 1200, 2]])).toEqual([
      { id: '3-0', consumer: 'c1', idleMs: 1200, deliveries: 2 },
    ]);
  });
});
