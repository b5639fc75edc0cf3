/**
 * Ordered groups on RabbitMQ share their shards between instances and move them without breaking order:
 * instances join and leave while messages keep flowing, and every key's messages are still handled
 * exactly once each (by open instances), in publish order, never two at a time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RabbitHandle, startRabbit } from '../../../../test/support/brokers.js';
import { deleteQueues } from '../../../../test/support/rabbitmq.js';
import { OrderProbe } from '../conformance/order-probe.js';
import { bytes, sleep, uniqueName, waitFor } from '../conformance/wait.js';
import { AmqpTransport } from './index.js';
import { deadLetterQueue, shardQueue } from './topology.js';
import type { WorkConsumer } from './work-consumer.js';

describe('amqp ordered group sharing', () => {
  let rabbit: RabbitHandle;
  const opened: AmqpTransport[] = [];
  const topic = uniqueName('sharing');

  beforeAll(async () => {
    rabbit = await startRabbit();
  }, 180_000);

  afterAll(async () => {
    for (const transport of opened) await transport.close().catch(() => undefined);
    try {
      // The durable queues this test declared (no other run uses its unique topic).
      const shards = Array.from({ length: 16 }, (_, shard) => shardQueue(topic, 'svc', shard));
      await deleteQueues(rabbit.url, [...shards, deadLetterQueue(topic, 'svc')]);
    } finally {
      await rabbit?.stop();
    }
  }, 60_000);

  it('moves shards between joining and leaving instances under load, keeping per-key order', async () => {
    const connect = async () => {
      const transport = await AmqpTransport.connect({ url: rabbit.url });
      opened.push(transport);
      return transport;
    };
    type Who = 'a' | 'b' | 'c';
    const probe = new OrderProbe<Who>(['a', 'b', 'c'], () => Math.random() * 3);
    const { handled, overlaps } = probe;
    const by = (who: Who) => probe.by(who);
    const transports = { a: await connect(), b: await connect(), c: await connect() };
    const consume = async (who: Who) =>
      (await transports[who].consumeWork(
        topic,
        { group: 'svc', ordered: true, prefetch: 16 },
        probe.handler(who),
      )) as WorkConsumer;

    const a = await consume('a');
    const publisher = await connect();
    const keys = Array.from({ length: 32 }, (_, i) => `key-${i}`);
    let rounds = 0;
    let publishing = true;
    const stream = (async () => {
      while (publishing) {
        const n = rounds;
        for (const key of keys) await publisher.publishWork(topic, key, bytes(String(n)));
        rounds++;
        await sleep(5);
      }
    })();

    await waitFor('a handling alone', () => by('a') >= keys.length * 3);
    const b = await consume('b');
    await waitFor('b gets a share', () => by('b') >= keys.length);
    const c = await consume('c');
    await waitFor('c gets a share', () => by('c') >= keys.length);
    await waitFor('three-way split', () => {
      const shares = [a.shards.length, b.shards.length, c.shards.length];
      return shares.reduce((x, y) => x + y) === 16 && shares.every((share) => share >= 5);
    });
    expect(new Set([...a.shards, ...b.shards, ...c.shards]).size).toBe(16);

    // b leaves mid-stream (its running handlers' results no longer count: their acks are lost).
    const survivorsBefore = by('a') + by('c');
    probe.closing('b');
    await transports.b.close();
    await waitFor('a and c take b’s shards', () => a.shards.length + c.shards.length === 16);
    await waitFor('survivors keep handling', () => by('a') + by('c') >= survivorsBefore + keys.length * 3);
    publishing = false;
    await stream;

    const done = () => keys.every((key) => handled.filter((h) => h.key === key).length >= rounds);
    await waitFor('every message handled', done, 30_000);
    await sleep(300); // let any duplicate show up
    for (const key of keys) {
      const sequence = handled.filter((h) => h.key === key).map((h) => h.n);
      expect(sequence).toEqual(Array.from({ length: rounds }, (_, n) => n));
    }
    expect(overlaps).toEqual([]);
  }, 180_000);
});
