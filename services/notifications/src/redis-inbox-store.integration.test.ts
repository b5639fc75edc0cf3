import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisHandle, startRedis } from '../../../test/support/brokers.js';
import { RedisInboxStore } from './redis-inbox-store.js';
import { describeInboxStore, makeNotification } from './testing/inbox-store-contract.js';

let redis: RedisHandle;
/** One prefix per run: suites share the server with other services' tests; removed at the end. */
const prefix = `sb:inbox:test-${randomUUID()}:`;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  const client = new Redis(redis.url);
  const keys = await client.keys(`${prefix}*`);
  if (keys.length > 0) await client.del(...keys);
  await client.quit();
  await redis.stop();
});

describeInboxStore(
  'RedisInboxStore',
  (options) => new RedisInboxStore({ ...options, url: redis.url, prefix }),
);

describe('RedisInboxStore across restarts', () => {
  it('keeps the inbox and the dedup of event ids for a new store instance (service restart)', async () => {
    const user = `u-${randomUUID()}`;
    const first = new RedisInboxStore({ url: redis.url, prefix });
    const a = makeNotification(user);
    const b = makeNotification(user);
    await first.add(a);
    await first.add(b);
    await first.close();

    const second = new RedisInboxStore({ url: redis.url, prefix });
    expect(await second.unacked(user)).toEqual([a, b]);
    const duplicate = await second.add(makeNotification(user, { eventId: a.eventId }));
    expect(duplicate).toMatchObject({ created: false, notification: a });
    expect(await second.ack(user, [a.id])).toEqual([a]);
    await second.close();

    const third = new RedisInboxStore({ url: redis.url, prefix });
    expect(await third.unacked(user)).toEqual([b]);
    expect((await third.add(makeNotification(user, { eventId: a.eventId }))).created).toBe(false);
    await third.close();
  });

  it('lets concurrent instances claim an event id once', async () => {
    const user = `u-${randomUUID()}`;
    const stores = [1, 2, 3].map(() => new RedisInboxStore({ url: redis.url, prefix }));
    const eventId = `e-${randomUUID()}`;
    const results = await Promise.all(stores.map((store) => store.add(makeNotification(user, { eventId }))));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await stores[0]!.unacked(user)).toHaveLength(1);
    await Promise.all(stores.map((store) => store.close()));
  });
});
