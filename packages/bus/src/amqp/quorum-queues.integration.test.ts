/**
 * Quorum work queues on a real broker: the queues are declared quorum; the broker's delivery limit
 * dead-letters a message whose consumers keep dying on it; an upgrade over classic queues declared by an
 * earlier version keeps consuming them and says how to migrate; a node list whose first node is down
 * connects to the next one.
 */
import { createServer, type Server } from 'node:net';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RabbitHandle, startRabbit } from '../../../../test/support/brokers.js';
import { deleteQueues } from '../../../../test/support/rabbitmq.js';
import { bytes, text, uniqueName, waitFor } from '../conformance/wait.js';
import type { DeadLetter } from '../transport.js';
import { AmqpTransport } from './index.js';
import type { AmqpLogger } from './options.js';
import { deadLetterQueue, groupQueue, shardQueue } from './topology.js';

const SAC = { 'x-single-active-consumer': true };

interface Logged {
  readonly level: string;
  readonly obj: Record<string, unknown>;
  readonly msg: string | undefined;
}

function recordingLogger(into: Logged[]): AmqpLogger {
  const at =
    (level: string) =>
    (obj: object, msg?: string): void =>
      void into.push({ level, obj: obj as Record<string, unknown>, msg });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * Whether `queue` is still the classic queue an earlier version declared with `classicArgs`: the broker
 * accepts that declaration again only then (a quorum queue refuses it with 406).
 */
async function isLegacyClassic(
  url: string,
  queue: string,
  classicArgs: Record<string, unknown>,
): Promise<boolean> {
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    try {
      await channel.assertQueue(queue, { durable: true, arguments: classicArgs });
      return true;
    } catch {
      return false;
    }
  } finally {
    await connection.close().catch(() => undefined);
  }
}

describe('amqp quorum work queues', () => {
  let rabbit: RabbitHandle;
  const opened: AmqpTransport[] = [];
  const cleanup: string[] = [];

  beforeAll(async () => {
    rabbit = await startRabbit();
  }, 180_000);

  afterAll(async () => {
    for (const transport of opened) await transport.close().catch(() => undefined);
    try {
      const existing = new Set(await rabbit.listQueues());
      await deleteQueues(
        rabbit.url,
        cleanup.filter((queue) => existing.has(queue)),
      );
    } finally {
      await rabbit?.stop();
    }
  }, 60_000);

  const track = (topic: string, ordered: boolean) => {
    cleanup.push(deadLetterQueue(topic, 'svc'));
    if (ordered) for (let s = 0; s < 16; s++) cleanup.push(shardQueue(topic, 'svc', s));
    else cleanup.push(groupQueue(topic, 'svc'));
  };

  it('declares the work queues as quorum queues', async () => {
    const topic = uniqueName('quorum');
    track(topic, true);
    const transport = await AmqpTransport.connect({ url: rabbit.url });
    opened.push(transport);
    await (await transport.consumeWork(topic, { group: 'svc' }, async () => undefined)).close();
    expect(await isLegacyClassic(rabbit.url, shardQueue(topic, 'svc', 0), SAC)).toBe(false);
    expect(await isLegacyClassic(rabbit.url, deadLetterQueue(topic, 'svc'), {})).toBe(false);
  });

  it('dead-letters a message whose consumers die on it once the delivery limit is reached', async () => {
    const topic = uniqueName('crashloop');
    track(topic, false);
    const options = { url: rabbit.url, deliveryLimit: 2 };
    const publisher = await AmqpTransport.connect(options);
    opened.push(publisher);
    // Declare the group, then publish the message that "crashes" every consumer.
    await (
      await publisher.consumeWork(topic, { group: 'svc', ordered: false }, async () => undefined)
    ).close();
    await publisher.publishWork(topic, 'k', bytes('poison'));

    let handed = 0;
    // Each round: a consumer receives the message and dies before acking (its transport closes).
    for (let round = 0; round < 3; round++) {
      const victim = await AmqpTransport.connect(options);
      let got = false;
      await victim.consumeWork(topic, { group: 'svc', ordered: false }, async () => {
        got = true;
        handed++;
        await new Promise(() => undefined); // never settles: the process "dies" first
      });
      await waitFor(`hand-out ${round + 1} of the poison message`, () => got).catch(() => undefined);
      await victim.close();
      if (!got) break;
    }
    // Handed out 1 + deliveryLimit times, then the broker moved it to the DLQ.
    expect(handed).toBe(3);
    const letters: DeadLetter[] = [];
    await publisher.consumeDeadLetters(topic, 'svc', async (letter) => {
      letters.push(letter);
    });
    await waitFor('the dead letter', () => letters.length === 1);
    expect(text(letters[0]!.bytes)).toBe('poison');
    expect(letters[0]!.key).toBe('k');
    expect(letters[0]!.error).toMatch(/delivery limit reached/);
  });

  it('keeps consuming classic queues of an earlier version and logs how to migrate them', async () => {
    const topic = uniqueName('classic');
    track(topic, true);
    // What versions before quorum queues declared: classic durable shard queues and DLQ.
    const connection = await amqp.connect(rabbit.url);
    const channel = await connection.createChannel();
    await channel.assertExchange('sb.work', 'topic', { durable: true });
    await channel.assertQueue(deadLetterQueue(topic, 'svc'), { durable: true });
    for (let shard = 0; shard < 16; shard++) {
      const queue = shardQueue(topic, 'svc', shard);
      await channel.assertQueue(queue, { durable: true, arguments: SAC });
      await channel.bindQueue(queue, 'sb.work', `${topic}.${shard}`);
    }
    await connection.close();

    const logged: Logged[] = [];
    const upgraded = await AmqpTransport.connect({ url: rabbit.url, logger: recordingLogger(logged) });
    opened.push(upgraded);
    const seen: string[] = [];
    const consumer = await upgraded.consumeWork(topic, { group: 'svc' }, async (m) => {
      seen.push(text(m.bytes));
    });
    for (let i = 0; i < 5; i++) await upgraded.publishWork(topic, `k${i}`, bytes(`m${i}`));
    await waitFor('the upgraded consumer to handle all 5 messages', () => seen.length === 5);
    await consumer.close();

    const errors = logged.filter((entry) => entry.level === 'error' && entry.obj.topic === topic);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.msg).toMatch(/17 queue\(s\) of .* are classic queues declared by an earlier version/);
    expect(errors[0]?.obj.queues).toEqual([
      deadLetterQueue(topic, 'svc'),
      ...Array.from({ length: 16 }, (_, s) => shardQueue(topic, 'svc', s)),
    ]);
    expect(String(errors[0]?.obj.fix)).toContain('Broker clusters');
    expect(await isLegacyClassic(rabbit.url, shardQueue(topic, 'svc', 0), SAC)).toBe(true);
  });

  it('connects to the next node of the list when the first one is down', async () => {
    // A port that accepts nothing: a listener closed again.
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const dead = new URL(rabbit.url);
    dead.port = String(port);

    const transport = await AmqpTransport.connect({ url: `${dead.toString()},${rabbit.url}` });
    opened.push(transport);
    const topic = uniqueName('nodes');
    track(topic, true);
    const seen: string[] = [];
    await transport.consumeWork(topic, { group: 'svc' }, async (m) => {
      seen.push(text(m.bytes));
    });
    await transport.publishWork(topic, 'k', bytes('via the second node'));
    await waitFor('the message', () => seen.length === 1);
    expect(seen).toEqual(['via the second node']);
  });
});
