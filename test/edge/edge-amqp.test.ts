/**
 * Edge routing on RabbitMQ (test/support/rabbitmq.ts): every node and the service on its own AMQP
 * connection. Afterwards the durable work queues of the scenarios' echo services are deleted.
 */
import { afterAll, beforeAll } from 'vitest';
import { AmqpTransport } from '../../packages/bus/src/amqp/index.js';
import { type RabbitHandle, startRabbit } from '../support/brokers.js';
import { deleteQueues } from '../support/rabbitmq.js';
import { runEdgeRoutingScenarios } from './routing-scenarios.js';

/** Queues of the scenarios' `echo-amqp-<run>` service topics; nothing else on the broker matches. */
const SCENARIO_QUEUE = /^sb\.(work|dlq)\.echo-amqp-[0-9a-f]{8}\./;

let rabbit: RabbitHandle | undefined;

beforeAll(async () => {
  rabbit = await startRabbit();
});

afterAll(async () => {
  if (!rabbit) return;
  try {
    const queues = (await rabbit.listQueues()).filter((name) => SCENARIO_QUEUE.test(name));
    await deleteQueues(rabbit.url, queues);
  } finally {
    await rabbit.stop();
  }
});

runEdgeRoutingScenarios('amqp', (name) => {
  if (!rabbit) throw new Error('RabbitMQ is not started');
  return AmqpTransport.connect({ url: rabbit.url, connectionName: name, reconnectMaxMs: 1_000 });
});
