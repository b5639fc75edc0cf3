import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RedisHandle, startRedis } from '../../../test/support/brokers.js';
import { chatStoreContract } from './chat-store-contract.js';
import { RedisChatStore } from './redis-chat-store.js';

describe('RedisChatStore', () => {
  let redis: RedisHandle;
  let admin: Redis;
  let stores: RedisChatStore[] = [];
  const prefix = `sb:chat:test-${process.pid}-${Date.now()}:`;
  let run = 0;

  const open = (keyPrefix: string) => {
    const store = new RedisChatStore({ url: redis.url, prefix: keyPrefix });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
  });

  afterEach(async () => {
    for (const store of stores) await store.close();
    stores = [];
  });

  afterAll(async () => {
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
    await redis.stop();
  });

  chatStoreContract(async () => open(`${prefix}${++run}:`));

  it('keeps rooms, sequences, authorship, client ids and members across a restart', async () => {
    const keyPrefix = `${prefix}restart:`;
    const before = open(keyPrefix);
    await before.createRoom('lobby');
    expect(await before.nextSeq('lobby')).toBe(1);
    await before.saveMessage({ id: 'lobby-1', room: 'lobby', author: 'alice' });
    await before.rememberClientMsgId('alice', 'c-1', 'lobby-1');
    await before.addMember('lobby', 'alice');
    await before.close();

    const after = open(keyPrefix);
    expect(await after.listRooms(10)).toEqual({ rooms: ['lobby'], total: 1 });
    expect(await after.nextSeq('lobby')).toBe(2);
    expect(await after.getMessage('lobby-1')).toEqual({
      id: 'lobby-1',
      room: 'lobby',
      author: 'alice',
      deleted: false,
    });
    expect(await after.findByClientMsgId('alice', 'c-1')).toBe('lobby-1');
    expect(await after.members('lobby')).toEqual(['alice']);
  });

  it('expires message records after messageTtlSeconds', async () => {
    const keyPrefix = `${prefix}ttl:`;
    const store = new RedisChatStore({ url: redis.url, prefix: keyPrefix, messageTtlSeconds: 60 });
    stores.push(store);
    await store.saveMessage({ id: 'lobby-1', room: 'lobby', author: 'alice' });
    const ttl = await admin.ttl(`${keyPrefix}msg:lobby-1`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('lists rooms of an older version (no activity entry) after the active ones', async () => {
    const keyPrefix = `${prefix}legacy:`;
    await admin.sadd(`${keyPrefix}rooms`, 'old-1', 'old-2');
    const store = open(keyPrefix);
    await store.createRoom('new', { atMs: 5_000 });
    expect(await store.listRooms(10)).toEqual({ rooms: ['new', 'old-2', 'old-1'], total: 3 });
    await store.touchRoom('old-1', 6_000);
    expect((await store.listRooms(1)).rooms).toEqual(['old-1']);
  });

  it('never lets concurrent creations from several instances pass maxRooms', async () => {
    const keyPrefix = `${prefix}race:`;
    const one = open(keyPrefix);
    const two = open(keyPrefix);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? one : two).createRoom(`r${i}`, { maxRooms: 7 })),
    );
    expect(results.filter((r) => r === 'created')).toHaveLength(7);
    expect(results.filter((r) => r === 'full')).toHaveLength(33);
    expect(await admin.scard(`${keyPrefix}rooms`)).toBe(7);
  });
});
