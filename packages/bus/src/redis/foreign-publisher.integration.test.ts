/**
 * A backend in another language writing to Redis exactly as docs/bus-contract.md says, with a plain Redis
 * client (raw ioredis here, as phpredis or redis-py would): PUBLISH to a delivery channel, XADD to the
 * shard stream the contract's rule picks. An entry without the body field used to reach the handler as
 * empty bytes (the service then dropped it as malformed); it is dead-lettered with an error that says why.
 */
import { decodeDelivery, encodeDelivery } from '@switchboard/protocol';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisHandle, startRedis } from '../../../../test/support/brokers.js';
import { bytes, text, uniqueName, waitFor } from '../conformance/wait.js';
import { channelRoute, hashKey } from '../routes.js';
import type { DeadLetter, Route } from '../transport.js';
import { RedisTransport } from './index.js';
import { MISSING_BODY } from './work-delivery.js';

describe('redis: a foreign backend publishing by the bus contract', () => {
  let redis: RedisHandle;
  let transport: RedisTransport;
  let raw: Redis;

  beforeAll(async () => {
    redis = await startRedis();
    transport = await RedisTransport.connect({ url: redis.url, blockMs: 250, heartbeatIntervalMs: 250 });
    raw = new Redis(redis.url);
  }, 180_000);

  afterAll(async () => {
    raw?.disconnect();
    await transport?.close();
    await redis?.stop();
  });

  /** The contract: `SET sb:meta:<topic>:shards 16 NX`, `GET` it, stream = fnv1a(key) % shards. */
  const shardStream = async (topic: string, key: string): Promise<string> => {
    await raw.set(`sb:meta:${topic}:shards`, '16', 'NX');
    const shards = Number(await raw.get(`sb:meta:${topic}:shards`));
    return `sb:work:${topic}:${hashKey(key) % shards}`;
  };

  it('delivers a Delivery PUBLISHed to sb:d:<route key>', async () => {
    const room = uniqueName('news');
    const got: { route: Route; delivery: ReturnType<typeof decodeDelivery> }[] = [];
    const node = await transport.openNode(uniqueName('edge'), (data, route) =>
      got.push({ route, delivery: decodeDelivery(data) }),
    );
    await node.addInterest(channelRoute(room));
    const delivery = encodeDelivery({
      channel: room,
      publication: { channel: room, type: 'news.posted', payload: bytes('hi') },
    });
    expect(await raw.publish(`sb:d:c:${room}`, Buffer.from(delivery))).toBe(1);
    await waitFor('the delivery', () => got.length === 1);
    expect(got[0]!.route).toEqual(channelRoute(room));
    expect(text(got[0]!.delivery.publication!.payload!)).toBe('hi');
    await node.close();
  });

  it('hands an XADD with fields k and b to the group, with its key', async () => {
    const topic = uniqueName('orders');
    const got: { key: string; body: string }[] = [];
    const consumer = await transport.consumeWork(topic, { group: 'svc' }, async (m) => {
      got.push({ key: m.key, body: text(m.bytes) });
    });
    for (const key of ['alice', 'café'])
      await raw.xadd(await shardStream(topic, key), '*', 'k', key, 'b', Buffer.from(`event for ${key}`));
    await waitFor('two work messages', () => got.length === 2);
    expect(got.sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      { key: 'alice', body: 'event for alice' },
      { key: 'café', body: 'event for café' },
    ]);
    await consumer.close();
  });

  it('dead-letters an entry without the body field instead of handing over empty bytes', async () => {
    const topic = uniqueName('orders');
    const handled: string[] = [];
    const letters: DeadLetter[] = [];
    const consumer = await transport.consumeWork(topic, { group: 'svc' }, async (m) => {
      handled.push(text(m.bytes));
    });
    const dead = await transport.consumeDeadLetters(topic, 'svc', async (letter) => {
      letters.push(letter);
    });
    await raw.xadd(await shardStream(topic, 'alice'), '*', 'k', 'alice', 'data', 'a body under another name');
    await raw.xadd(await shardStream(topic, 'alice'), '*', 'k', 'alice', 'b', 'the next one');
    await waitFor('the next message', () => handled.includes('the next one'));
    await waitFor('the dead letter', () => letters.length === 1);
    expect(handled).toEqual(['the next one']);
    expect(letters[0]).toMatchObject({ key: 'alice', error: MISSING_BODY });
    await consumer.close();
    await dead.close();
  });
});
