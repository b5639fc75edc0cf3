/**
 * The services' guarantees on the Redis bus (issue 9): the same scenarios as on RabbitMQ and Kafka, with
 * Redis Streams carrying work and Pub/Sub carrying deliveries, and the services' stores on the same Redis
 * (their keys live under the run's prefix and are deleted by the stack). The Redis comes from
 * test/support/brokers.ts: a throwaway container (or REDIS_URL), so the bus's fixed stream names do not
 * outlive the run.
 */
import { afterAll, beforeAll } from 'vitest';
import { RedisTransport } from '../../packages/bus/src/redis/index.js';
import { type RedisHandle, startRedis } from '../support/brokers.js';
import { runServiceScenarios } from './scenarios.js';

let redis: RedisHandle | undefined;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis?.stop();
});

runServiceScenarios(
  'redis',
  (name) => {
    if (!redis) throw new Error('Redis is not started');
    // Short leases so a killed instance's shards move within the scenarios' patience.
    return RedisTransport.connect({ url: redis.url, connectionName: name, visibilityTimeoutMs: 5_000 });
  },
  () => redis?.url,
);
