/**
 * A suite on RabbitMQ + Redis from test/support/brokers.ts: starts both before the suite, and afterwards
 * deletes the durable queues the suite created (the services' queues have fixed names: service = topic =
 * group) and stops the brokers. `makeTransport` gives each service its own connection.
 */
import { afterAll, beforeAll } from 'vitest';
import { AmqpTransport } from '../../packages/bus/src/amqp/index.js';
import type { Transport } from '../../packages/bus/src/index.js';
import { type RabbitHandle, type RedisHandle, startRabbit, startRedis } from './brokers.js';
import { deleteQueues } from './rabbitmq.js';

/** The durable queues of the built-in services' groups on their topics (and their dead letters). */
export const SERVICE_QUEUES =
  /^sb\.(work|dlq)\.(chat\.chat|history\.history|orders\.notifications|lifecycle\.(notifications|presence)|presence\.presence|notifications\.notifications)(\.s\d+)?$/;

export interface RabbitRedisSuite {
  makeTransport(name: string): Promise<Transport>;
  redisUrl(): string | undefined;
}

/** Registers the suite's beforeAll/afterAll; `queues` matches every durable queue the suite leaves behind. */
export function useRabbitAndRedis(queues: RegExp = SERVICE_QUEUES): RabbitRedisSuite {
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
        (await rabbit.listQueues()).filter((name) => queues.test(name)),
      );
    } finally {
      await rabbit?.stop();
      await redis?.stop();
    }
  });
  return {
    makeTransport: (name) => {
      if (!rabbit) throw new Error('RabbitMQ is not started');
      return AmqpTransport.connect({ url: rabbit.url, connectionName: name, reconnectMaxMs: 1_000 });
    },
    redisUrl: () => redis?.url,
  };
}
