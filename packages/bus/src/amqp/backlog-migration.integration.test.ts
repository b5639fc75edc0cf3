/**
 * Upgrading a deployment whose lifecycle queues were declared before backlog bounds existed: RabbitMQ refuses
 * to re-declare them with x-max-length (406 PRECONDITION_FAILED, which closes the declaring channel). The
 * consumer must still start and consume from the existing (unbounded) queues, and log an error naming each
 * queue and the policy command that bounds it live.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RabbitHandle, startRabbit } from '../../../../test/support/brokers.js';
import { deleteQueues } from '../../../../test/support/rabbitmq.js';
import { bytes, text, uniqueName, waitFor } from '../conformance/wait.js';
import { AmqpTransport } from './index.js';
import type { AmqpLogger } from './options.js';
import { deadLetterQueue, shardQueue } from './topology.js';

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

describe('amqp backlog bound on queues declared before it existed', () => {
  let rabbit: RabbitHandle;
  const opened: AmqpTransport[] = [];
  const topic = uniqueName('legacy');

  beforeAll(async () => {
    rabbit = await startRabbit();
  }, 180_000);

  afterAll(async () => {
    for (const transport of opened) await transport.close().catch(() => undefined);
    try {
      const shards = Array.from({ length: 16 }, (_, shard) => shardQueue(topic, 'svc', shard));
      await deleteQueues(rabbit.url, [...shards, deadLetterQueue(topic, 'svc')]);
    } finally {
      await rabbit?.stop();
    }
  }, 60_000);

  it('consumes from the existing unbounded queues and logs the queue and the policy that bounds it', async () => {
    // The old release: the topic is not bounded, its queues get no length arguments.
    const old = await AmqpTransport.connect({ url: rabbit.url });
    opened.push(old);
    await (await old.consumeWork(topic, { group: 'svc' }, async () => undefined)).close();

    const logged: Logged[] = [];
    const upgraded = await AmqpTransport.connect({
      url: rabbit.url,
      logger: recordingLogger(logged),
      topicBounds: { [topic]: { maxMessages: 32 } },
    });
    opened.push(upgraded);
    const seen: string[] = [];
    const consumer = await upgraded.consumeWork(topic, { group: 'svc' }, async (m) => {
      seen.push(text(m.bytes));
    });
    for (let i = 0; i < 5; i++) await upgraded.publishWork(topic, `k${i}`, bytes(`m${i}`));
    await waitFor('the upgraded consumer to handle all 5 messages', () => seen.length === 5);
    await consumer.close();

    // One error for the group, naming its 16 legacy queues and the policy command for the topic's queues.
    const refusals = logged.filter((entry) => entry.level === 'error' && entry.obj.topic === topic);
    expect(refusals).toHaveLength(1);
    const [refusal] = refusals;
    expect(refusal?.obj.queues).toEqual(
      Array.from({ length: 16 }, (_, shard) => shardQueue(topic, 'svc', shard)),
    );
    expect(refusal?.msg).toMatch(/declared before the backlog bound and stay unbounded/);
    expect(refusal?.obj.fix).toContain(`rabbitmqctl set_policy sb-${topic}-backlog`);
    expect(refusal?.obj.fix).toContain('"max-length":2,"overflow":"drop-head"');
  });
});
