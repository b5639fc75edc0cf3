/**
 * The services' guarantees on RabbitMQ + Redis (scenarios.ts). The services' queues have fixed names (the
 * service names are their topics and groups), so afterwards every queue of those topics is deleted, with
 * the test's own receipts group; Redis keys live under the run's prefix and are deleted by the stack.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll } from 'vitest';
import type * as Amqplib from '../../packages/bus/node_modules/@types/amqplib/index.js';
import { AmqpTransport } from '../../packages/bus/src/amqp/index.js';
import { type RabbitHandle, type RedisHandle, startRabbit, startRedis } from '../support/brokers.js';
import { runServiceScenarios } from './scenarios.js';

// amqplib is a dependency of packages/bus only, so it is loaded from there.
const amqplib = createRequire(new URL('../../packages/bus/package.json', import.meta.url))(
  'amqplib',
) as typeof Amqplib;

/** Durable queues this suite creates: the services' groups on their topics, and the receipts reader. */
const SUITE_QUEUE =
  /^sb\.(work|dlq)\.(chat\.chat|history\.history|orders\.notifications|lifecycle\.(notifications|presence)|presence\.presence|notifications\.notifications|receipts\.receipts-it-[0-9a-f]{8})(\.s\d+)?$/;

let rabbit: RabbitHandle | undefined;
let redis: RedisHandle | undefined;

beforeAll(async () => {
  rabbit = await startRabbit();
  redis = await startRedis();
});

afterAll(async () => {
  try {
    if (!rabbit) return;
    const queues = (await rabbit.listQueues()).filter((name) => SUITE_QUEUE.test(name));
    if (queues.length > 0) {
      const connection = await amqplib.connect(rabbit.url);
      try {
        const channel = await connection.createChannel();
        for (const queue of queues) await channel.deleteQueue(queue);
        await channel.close();
      } finally {
        await connection.close();
      }
    }
  } finally {
    await rabbit?.stop();
    await redis?.stop();
  }
});

runServiceScenarios(
  'amqp',
  (name) => {
    if (!rabbit) throw new Error('RabbitMQ is not started');
    return AmqpTransport.connect({ url: rabbit.url, connectionName: name, reconnectMaxMs: 1_000 });
  },
  () => redis?.url,
);
