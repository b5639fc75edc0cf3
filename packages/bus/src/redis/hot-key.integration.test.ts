/**
 * One busy key (a chat room taking 200 messages/s) on an ordered Redis group. Its shard's queue fills to
 * `prefetch` and is left out of the next XREADGROUP; that read used to BLOCK for `blockMs` on the other,
 * idle shards, so the hot key advanced by `prefetch` entries per block: 40 entries with prefetch 2 and a
 * 5 s block took ~100 s. The consumer must read the shard again as soon as its handler makes room.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisHandle, startRedis } from '../../../../test/support/brokers.js';
import { bytes, text, uniqueName, waitFor } from '../conformance/wait.js';
import { RedisTransport } from './index.js';

const MESSAGES = 40;
const BLOCK_MS = 5_000;

describe('redis ordered group, one hot key', () => {
  let redis: RedisHandle;
  let transport: RedisTransport;

  beforeAll(async () => {
    redis = await startRedis();
    transport = await RedisTransport.connect({
      url: redis.url,
      blockMs: BLOCK_MS,
      visibilityTimeoutMs: 4 * BLOCK_MS,
    });
  }, 180_000);

  afterAll(async () => {
    await transport?.close();
    await redis?.stop();
  });

  it('is not held back by blocking reads on the idle shards while its queue is full', async () => {
    const topic = uniqueName('hot');
    const handled: number[] = [];
    await transport.consumeWork(topic, { group: 'svc', prefetch: 2 }, async (m) => {
      handled.push(Number(text(m.bytes)));
    });
    for (let n = 1; n <= MESSAGES; n++) await transport.publishWork(topic, 'room-1', bytes(String(n)));
    // Without the fix this takes MESSAGES / prefetch blocks (~100 s); the bound only keeps a failure short.
    await waitFor(`${MESSAGES} messages of one key`, () => handled.length === MESSAGES, 4 * BLOCK_MS);
    expect(handled).toEqual(Array.from({ length: MESSAGES }, (_, i) => i + 1));
  }, 60_000);
});
