/**
 * The services' guarantees on Kafka + Redis (scenarios.ts). Group timeouts are short, as in the edge and
 * conformance suites, so the services' consumer groups settle in seconds. Redis keys live under the run's
 * prefix and are deleted by the stack.
 */

import { afterAll, beforeAll } from 'vitest';
import { KafkaTransport } from '../../packages/bus/src/kafka/index.js';
import { type KafkaHandle, type RedisHandle, startKafka, startRedis } from '../support/brokers.js';
import { QUICK_GROUP_TIMINGS } from '../support/kafka-broker.js';
import { runServiceScenarios } from './scenarios.js';

let kafka: KafkaHandle | undefined;
let redis: RedisHandle | undefined;

beforeAll(async () => {
  kafka = await startKafka();
  redis = await startRedis();
});

afterAll(async () => {
  try {
    await kafka?.stop();
  } finally {
    await redis?.stop();
  }
});

runServiceScenarios(
  'kafka',
  async (name) => {
    if (!kafka) throw new Error('Kafka is not started');
    return new KafkaTransport({
      brokers: kafka.brokers,
      clientId: name,
      ...QUICK_GROUP_TIMINGS,
    });
  },
  () => redis?.url,
);
