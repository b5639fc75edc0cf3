/**
 * The trust-boundary scenarios on RabbitMQ + Redis, each service on a connection of its own. The services'
 * queues have fixed names (service = topic = group), so they are deleted afterwards.
 */
import { afterAll, beforeAll } from 'vitest';
import { AmqpTransport } from '../../packages/bus/src/amqp/index.js';
import { type RabbitHandle, type RedisHandle, startRabbit, startRedis } from '../support/brokers.js';
import { deleteQueues } from '../support/rabbitmq.js';
import { runTrustBoundaryScenarios } from './trust-boundary.js';

const SUITE_QUEUE =
  /^sb\.(work|dlq)\.(chat\.chat|history\.history|orders\.notifications|lifecycle\.(notifications|presence)|presence\.presence|notifications\.notifications)(\.s\d+)?$/;

let rabbit: RabbitHandle | undefined;
let redis: RedisHandle | undefined;

beforeAll(async () => {
  rabbit = await startRabbit();
  redis = await startRedis();
});

afterAll(async () => {
  try {
    if (!rabbit) return;
    await deleteQueues(
      rabbit.url,
      (await rabbit.listQueues()).filter((name) => SUITE_QUEUE.test(name)),
    );
  } finally {
    await rabbit?.stop();
    await redis?.stop();
  }
});

runTrustBoundaryScenarios(
  'amqp',
  (name) => {
    if (!rabbit) throw new Error('RabbitMQ is not started');
    return AmqpTransport.connect({ url: rabbit.url, connectionName: name, reconnectMaxMs: 1_000 });
  },
  () => redis?.url,
);
