/**
 * Edge routing on RabbitMQ (test/support/rabbitmq.ts): every node and the service on its own AMQP
 * connection. Afterwards the durable work queues of the scenarios' echo services are deleted.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll } from 'vitest';
import type * as Amqplib from '../../packages/bus/node_modules/@types/amqplib/index.js';
import { AmqpTransport } from '../../packages/bus/src/amqp/index.js';
import { type RabbitHandle, startRabbit } from '../support/brokers.js';
import { runEdgeRoutingScenarios } from './routing-scenarios.js';

// amqplib is a dependency of packages/bus only, so it is loaded from there.
const amqplib = createRequire(new URL('../../packages/bus/package.json', import.meta.url))(
  'amqplib',
) as typeof Amqplib;

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
    await rabbit.stop();
  }
});

runEdgeRoutingScenarios('amqp', (name) => {
  if (!rabbit) throw new Error('RabbitMQ is not started');
  return AmqpTransport.connect({ url: rabbit.url, connectionName: name, reconnectMaxMs: 1_000 });
});
