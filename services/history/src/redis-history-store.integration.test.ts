import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RedisHandle, startRedis } from '../../../test/support/brokers.js';
import { createHistoryStore } from './create-store.js';
import { big, runHistoryBoundsBehaviour } from './history-bounds-behaviour.js';
import { offsets, pub, runHistoryStoreBehaviour } from './history-store-behaviour.js';
import { runRecoveryBehaviour } from './recovery-behaviour.js';
import { RedisHistoryStore, type RedisHistoryStoreOptions } from './redis-history-store.js';

let redis: RedisHandle;
let admin: Redis;
/** Every test writes under its own prefix (below sb:history:) so tests never see each other's keys. */
let prefix: string;
const prefixes: string[] = [];

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url);
});

beforeEach(() => {
  prefix = `sb:history:test-${randomUUID()}:`;
  prefixes.push(prefix);
});

afterAll(async () => {
  for (const used of prefixes) {
    const keys = await admin.keys(`${used}*`);
    if (keys.length > 0) await admin.del(...keys);
  }
  await admin.quit();
  await redis.stop();
});

const makeStore = (settings: Omit<RedisHistoryStoreOptions, 'url' | 'prefix'>) =>
  new RedisHistoryStore({ ...settings, url: redis.url, prefix });

runHistoryStoreBehaviour('RedisHistoryStore', makeStore);
runHistoryBoundsBehaviour('RedisHistoryStore', makeStore);
runRecoveryBehaviour('RedisHistoryStore', makeStore);

describe('RedisHistoryStore channel bounds (issue 13)', () => {
  let clock: number;
  let stores: RedisHistoryStore[];

  const make = (settings: Partial<RedisHistoryStoreOptions> = {}) => {
    const store = makeStore({ maxPerChannel: 1000, ttlMs: 60_000, now: () => clock, ...settings });
    stores.push(store);
    return store;
  };

  /** Sum of the member sizes of a channel's log: what the byte bound limits. */
  const logBytes = async (channel: string) =>
    (await admin.zrangeBuffer(`${prefix}{${channel}}:log`, 0, -1)).reduce((sum, m) => sum + m.length, 0);

  beforeEach(() => {
    clock = 1_000;
    stores = [];
  });

  afterEach(async () => {
    for (const store of stores) await store.close();
  });

  it('keeps the channel count and each channel bytes within bounds under a flood of new channels', async () => {
    const maxChannels = 20;
    const maxChannelBytes = 150_000;
    const store = make({ maxChannels, maxChannelBytes });
    for (let i = 0; i < 120; i++) {
      clock += 1;
      await store.append(`flood-${i}`, big(i, 60_000));
      if (i % 4 === 0) for (let j = 0; j < 3; j++) await store.append(`flood-${i}`, big(j, 60_000));
    }
    const epochKeys = await admin.keys(`${prefix}{*}:epoch`);
    expect(epochKeys.length).toBe(maxChannels);
    expect(await admin.zcard(`${prefix}channels`)).toBe(maxChannels);
    expect((await store.stats()).channels).toBe(maxChannels);
    expect((await store.stats()).evictions.channels).toBe(120 - maxChannels);
    for (const key of epochKeys) {
      const channel = key.slice(prefix.length + 1, key.indexOf('}:epoch'));
      const bytes = await logBytes(channel);
      expect(bytes).toBeLessThanOrEqual(maxChannelBytes);
      expect(Number(await admin.hget(`${prefix}{${channel}}:meta`, 'bytes'))).toBe(bytes);
    }
    // The evicted channels left no key behind.
    expect(await admin.keys(`${prefix}{flood-0}:*`)).toEqual([]);
  });

  it('does not evict a channel published again after it was popped from the index', async () => {
    const store = make({ maxChannels: 2 });
    clock = 2_000;
    await store.append('a', pub(1));
    clock = 3_000;
    await store.append('b', pub(1));
    // As if another instance popped `a` with an old score while a third published it again at 3 000.
    await admin.hset(`${prefix}{a}:meta`, 'score', 4_000);
    await admin.zadd(`${prefix}channels`, 1_000, 'a');
    clock = 5_000;
    await store.append('c', pub(1));
    expect((await store.position('a')).offset).toBe(1);
    expect((await store.position('b')).offset).toBe(1);
    expect((await store.stats()).evictions.channels).toBe(0);
  });
});

describe('RedisHistoryStore on a shared Redis', () => {
  let clock: number;
  let stores: RedisHistoryStore[];

  const make = (maxPerChannel = 1000) => {
    const store = makeStore({ maxPerChannel, ttlMs: 60_000, now: () => clock });
    stores.push(store);
    return store;
  };

  beforeEach(() => {
    clock = 1_000;
    stores = [];
  });

  afterEach(async () => {
    for (const store of stores) await store.close();
  });

  it('keeps offsets, epoch and publications for a new store instance (a service restart)', async () => {
    const before = make(3);
    for (let i = 1; i <= 5; i++) await before.append('room', pub(i));
    const { epoch } = await before.position('room');
    await before.close();

    const after = make(3);
    expect(await after.position('room')).toEqual({ offset: 5, epoch });
    const recovery = await after.since('room', 2, epoch);
    expect(recovery !== 'gap' && offsets(recovery.publications)).toEqual([3, 4, 5]);
    expect(
      recovery !== 'gap' && recovery.publications.map((p) => new TextDecoder().decode(p.payload!)),
    ).toEqual(['m3', 'm4', 'm5']);
    expect(await after.since('room', 1, epoch)).toBe('gap');
    expect(await after.append('room', pub(6), 'publish-6')).toEqual({ offset: 6, epoch });
    await after.close();
    const again = make(3);
    expect(await again.append('room', pub(6), 'publish-6')).toEqual({ offset: 6, epoch });
    expect(await again.position('room')).toEqual({ offset: 6, epoch });
  });

  it('writes its keys under sb:history: with the channel as hash tag', async () => {
    const store = make();
    await store.append('news:eu', pub(1));
    expect((await admin.keys(`${prefix}*`)).sort()).toEqual([
      `${prefix}channels`,
      ...['epoch', 'log', 'meta', 'top'].map((suffix) => `${prefix}{news:eu}:${suffix}`),
    ]);
    expect(await admin.zrange(`${prefix}channels`, 0, -1)).toEqual(['news:eu']);
    expect(prefix.startsWith('sb:history:')).toBe(true);
    expect(await admin.get(`${prefix}{news:eu}:top`)).toBe('1');
    expect(await admin.pttl(`${prefix}{news:eu}:log`)).toBeGreaterThan(0);
    expect(await admin.pttl(`${prefix}{news:eu}:epoch`)).toBe(-1);
    await store.append('news:eu', pub(2), 'publish-2');
    expect(await admin.zrange(`${prefix}{news:eu}:ids`, 0, -1, 'WITHSCORES')).toEqual(['publish-2', '2']);
    expect(await admin.pttl(`${prefix}{news:eu}:ids`)).toBeGreaterThan(0);
  });

  it('gives a publish id one offset when two instances append it at once', async () => {
    const one = make();
    const two = make();
    const positions = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? one : two).append('room', pub(i), `p${i >> 1}`)),
    );
    expect(positions.map((p) => p.offset).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 10 }, (_, i) => [i + 1, i + 1]).flat(),
    );
    expect((await one.position('room')).offset).toBe(10);
  });

  it('never hands out one offset twice when two instances append to one channel', async () => {
    const one = make();
    const two = make();
    const appends = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? one : two).append('room', pub(i)));
    const positions = await Promise.all(appends);
    expect(positions.map((p) => p.offset).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    expect(new Set(positions.map((p) => p.epoch)).size).toBe(1);
    expect(offsets((await one.latest('room', 1000)).publications)).toEqual(
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
  });

  it('starts a new epoch and numbering when the epoch key is gone (history lost)', async () => {
    const store = make();
    await store.append('room', pub(1));
    await store.append('room', pub(2));
    const old = (await store.position('room')).epoch;
    await admin.del(`${prefix}{room}:epoch`);
    const fresh = await store.append('room', pub(3));
    expect(fresh.offset).toBe(1);
    expect(fresh.epoch).not.toBe(old);
    expect(await store.since('room', 2, old)).toBe('gap');
    expect(offsets((await store.latest('room', 10)).publications)).toEqual([1]);
  });
});

describe('createHistoryStore with REDIS_URL', () => {
  it('builds a RedisHistoryStore on that Redis', async () => {
    const store = createHistoryStore({ maxPerChannel: 10, ttlSeconds: 60, redisUrl: redis.url });
    try {
      expect(store).toBeInstanceOf(RedisHistoryStore);
      expect(await store.position(`unknown-${randomUUID()}`)).toEqual({ offset: 0, epoch: '' });
    } finally {
      await store.close();
    }
  });
});
