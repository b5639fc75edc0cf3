import { describe, expect, it } from 'vitest';
import { allRoute, channelRoute, hashKey, nodeRoute, routeKey, userRoute } from '../routes.js';
import {
  deliveryRoutingKey,
  MAX_ROUTING_KEY_BYTES,
  routingKeyFor,
  shardBuckets,
  workBucket,
  workRoutingKey,
} from './routing-key.js';

const CHANNEL_ALPHABET = 'ABCxyz0189_-.:@=,;+';
const longChannel = (length: number, fill = 'a') => fill.repeat(length);

describe('deliveryRoutingKey', () => {
  it('keeps short route keys as they are, dots and colons included', () => {
    expect(deliveryRoutingKey(channelRoute('chat.room:1@eu=a,b;c+d'))).toBe('c:chat.room:1@eu=a,b;c+d');
    expect(deliveryRoutingKey(userRoute('alice'))).toBe('u:alice');
    expect(deliveryRoutingKey(nodeRoute('edge-1'))).toBe('n:edge-1');
    expect(deliveryRoutingKey(allRoute)).toBe('*');
  });

  it('keeps a key of exactly 255 bytes and hashes one of 256', () => {
    const fits = channelRoute(longChannel(MAX_ROUTING_KEY_BYTES - 2));
    const over = channelRoute(longChannel(MAX_ROUTING_KEY_BYTES - 1));
    expect(deliveryRoutingKey(fits)).toBe(routeKey(fits));
    expect(deliveryRoutingKey(over)).toMatch(/^h:[0-9a-f]{64}$/);
  });

  it('fits every valid channel name (up to 255 characters) into 255 bytes', () => {
    for (let length = 1; length <= 255; length++) {
      const name = Array.from(
        { length },
        (_, i) => CHANNEL_ALPHABET[(i * 7 + length) % CHANNEL_ALPHABET.length],
      ).join('');
      const key = deliveryRoutingKey(channelRoute(name));
      expect(Buffer.byteLength(key)).toBeLessThanOrEqual(MAX_ROUTING_KEY_BYTES);
    }
  });

  it('counts bytes, not characters, for non-ASCII user ids', () => {
    const user = userRoute('é'.repeat(200)); // 400 bytes in UTF-8
    const key = deliveryRoutingKey(user);
    expect(key).toMatch(/^h:[0-9a-f]{64}$/);
    expect(deliveryRoutingKey(userRoute('é'.repeat(100)))).toBe(`u:${'é'.repeat(100)}`);
  });

  it('is deterministic and distinguishes long keys that differ only at the end or in kind', () => {
    const a = channelRoute(`${longChannel(254)}a`);
    const b = channelRoute(`${longChannel(254)}b`);
    expect(deliveryRoutingKey(a)).toBe(deliveryRoutingKey(channelRoute(`${longChannel(254)}a`)));
    expect(deliveryRoutingKey(a)).not.toBe(deliveryRoutingKey(b));
    expect(deliveryRoutingKey(channelRoute(longChannel(300)))).not.toBe(
      deliveryRoutingKey(userRoute(longChannel(300))),
    );
  });

  it('never maps a hashed key onto a plain one', () => {
    const hashed = deliveryRoutingKey(channelRoute(longChannel(255)));
    // A key that already looks hashed is hashed again, so no plain input can produce `hashed`.
    expect(routingKeyFor(hashed)).not.toBe(hashed);
    expect(routingKeyFor(hashed)).toMatch(/^h:[0-9a-f]{64}$/);
  });
});

describe('work routing keys', () => {
  it('routes a key to <topic>.<hashKey(key) % 16>', () => {
    expect(workRoutingKey('chat', 'room-1')).toBe(`chat.${hashKey('room-1') % 16}`);
    expect(workBucket('room-1')).toBe(hashKey('room-1') % 16);
    const buckets = new Set(Array.from({ length: 500 }, (_, i) => workBucket(`k${i}`)));
    expect(buckets.size).toBe(16);
    expect(Math.max(...buckets)).toBe(15);
  });

  it('gives every bucket to exactly one shard for any shard count', () => {
    for (let shards = 1; shards <= 16; shards++) {
      const owned = Array.from({ length: shards }, (_, shard) => shardBuckets(shard, shards)).flat();
      expect(owned.sort((x, y) => x - y)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    }
  });
});
