import { startRabbit } from '../../../../test/support/brokers.js';
import { deleteQueues } from '../../../../test/support/rabbitmq.js';
import { runTransportConformance } from '../conformance/index.js';
import type { Transport } from '../transport.js';
import { AmqpTransport } from './index.js';

runTransportConformance('amqp', async () => {
  const rabbit = await startRabbit();
  const groups = new GroupRecorder();
  return {
    // Short backoff cap so the restart case reconnects promptly; the default is for production.
    connect: async (options) =>
      groups.record(await AmqpTransport.connect({ url: rabbit.url, reconnectMaxMs: 1_000, ...options })),
    restart: () => rabbit.restart(),
    // Runs after every transport of the suite is closed, so no consumer of ours holds these queues any more.
    dispose: async () => {
      try {
        await deleteQueues(rabbit.url, groups.queuesAmong(await rabbit.listQueues()));
      } finally {
        await rabbit.stop();
      }
    },
  };
});

/**
 * Remembers every (topic, group) this run consumed, so that only the durable queues it declared (16 shards
 * or one group queue, plus the DLQ) are deleted afterwards — never those of a concurrent run on the same
 * broker, which use other unique topic names.
 */
class GroupRecorder {
  readonly #bases = new Set<string>();

  record(transport: Transport): Transport {
    const consumeWork = transport.consumeWork.bind(transport);
    const consumeDeadLetters = transport.consumeDeadLetters.bind(transport);
    transport.consumeWork = (topic, options, handler) => {
      this.#add(topic, options.group);
      return consumeWork(topic, options, handler);
    };
    transport.consumeDeadLetters = (topic, group, handler) => {
      this.#add(topic, group);
      return consumeDeadLetters(topic, group, handler);
    };
    return transport;
  }

  /** Of `queues` (every queue on the broker), the ones this run's groups declared. */
  queuesAmong(queues: readonly string[]): string[] {
    return queues.filter((queue) => {
      const base = queue.replace(/^sb\.(work|dlq)\./, '').replace(/\.s\d+$/, '');
      return /^sb\.(work|dlq)\./.test(queue) && this.#bases.has(base);
    });
  }

  #add(topic: string, group: string): void {
    this.#bases.add(`${topic}.${group}`);
  }
}
