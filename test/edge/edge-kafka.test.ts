/**
 * Edge routing on Kafka (test/support/kafka-broker.ts: a fresh KRaft broker, or KAFKA_BROKERS): every node
 * and the service on its own KafkaTransport. Group timeouts are short, as in the Kafka conformance suite,
 * so the service's work-consumer group settles in seconds.
 */

import { afterAll, beforeAll } from 'vitest';
import { KafkaTransport } from '../../packages/bus/src/kafka/index.js';
import { type KafkaHandle, startKafka } from '../support/brokers.js';
import { QUICK_GROUP_TIMINGS } from '../support/kafka-broker.js';
import { runEdgeRoutingScenarios } from './routing-scenarios.js';

let kafka: KafkaHandle | undefined;

beforeAll(async () => {
  kafka = await startKafka();
});

afterAll(async () => {
  await kafka?.stop();
});

runEdgeRoutingScenarios('kafka', async (name) => {
  if (!kafka) throw new Error('Kafka is not started');
  return new KafkaTransport({
    brokers: kafka.brokers,
    clientId: name,
    ...QUICK_GROUP_TIMINGS,
  });
});
