/**
 * The services' guarantees on RabbitMQ + Redis (scenarios.ts). The services' queues have fixed names (the
 * service names are their topics and groups), so afterwards every queue of those topics is deleted, with
 * the test's own receipts group; Redis keys live under the run's prefix and are deleted by the stack.
 */
import { afterAll, beforeAll } from 'vitest';
import { AmqpTransport } from '../../packages/bus/src/amqp/index.js';
import { type RabbitHandle, type RedisHandle, startRabbit, startRedis } from '../support/brokers.js';
import { deleteQueues } from '../support/rabbitmq.js';
import { runServiceScenarios } from './scenarios.js';

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
    await deleteQueues(rabbit.url, queues);
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
