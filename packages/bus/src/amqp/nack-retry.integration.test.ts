/**
 * A publish the broker nacks is written again until the publish timeout (confirm-queue.ts): in a cluster a
 * quorum queue nacks while it has no leader. Here the nack comes from a full queue with
 * `x-overflow: reject-publish`, which nacks the same way until a message is taken off it.
 */
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RabbitHandle, startRabbit } from '../../../../test/support/brokers.js';
import { deleteQueues } from '../../../../test/support/rabbitmq.js';
import { bytes, sleep, uniqueName } from '../conformance/wait.js';
import { BusRejectedError, BusUnavailableError } from '../errors.js';
import { AmqpTransport } from './index.js';
import { WORK_EXCHANGE } from './topology.js';

describe('amqp publish nacked by the broker', () => {
  let rabbit: RabbitHandle;
  const queue = uniqueName('sb-test-full');
  const topic = uniqueName('nacked');
  let transport: AmqpTransport | undefined;

  beforeAll(async () => {
    rabbit = await startRabbit();
  }, 180_000);

  afterAll(async () => {
    await transport?.close().catch(() => undefined);
    try {
      await deleteQueues(rabbit.url, [queue]);
    } finally {
      await rabbit?.stop();
    }
  }, 60_000);

  it('is written again until the queue takes it, and rejected only after the timeout', async () => {
    const connection = await amqp.connect(rabbit.url);
    try {
      const channel = await connection.createChannel();
      await channel.assertExchange(WORK_EXCHANGE, 'topic', { durable: true });
      await channel.assertQueue(queue, {
        durable: false,
        arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' },
      });
      await channel.bindQueue(queue, WORK_EXCHANGE, `${topic}.*`);

      transport = await AmqpTransport.connect({ url: rabbit.url, publishTimeoutMs: 3_000 });
      await transport.publishWork(topic, 'k', bytes('first')); // fills the queue
      let outcome: 'pending' | 'confirmed' | 'rejected' = 'pending';
      const second = transport.publishWork(topic, 'k', bytes('second')).then(
        () => {
          outcome = 'confirmed';
        },
        (error: unknown) => {
          outcome = error instanceof BusRejectedError ? 'rejected' : 'pending';
        },
      );
      await sleep(600); // nacked and written again a few times meanwhile
      expect(outcome).toBe('pending');
      const taken = await channel.get(queue, { noAck: true });
      expect(taken ? taken.content.toString() : undefined).toBe('first');
      await second;
      expect(outcome).toBe('confirmed');
      const left = await channel.get(queue, { noAck: true });
      expect(left ? left.content.toString() : undefined).toBe('second');

      // Still full at the deadline: rejected — as unavailable when the deadline finds it between two writes
      // (the usual case), as rejected when the last nack comes after it.
      await transport.publishWork(topic, 'k', bytes('third'));
      const began = Date.now();
      const failure = await transport.publishWork(topic, 'k', bytes('fourth')).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(
        failure instanceof BusUnavailableError || failure instanceof BusRejectedError,
        String(failure),
      ).toBe(true);
      expect(Date.now() - began).toBeGreaterThanOrEqual(2_900);
      // The error names the cause (the broker's nacks), not a missing connection: the connection was fine.
      expect(String(failure)).toMatch(/nack/);
    } finally {
      await connection.close().catch(() => undefined);
    }
  }, 60_000);
});
