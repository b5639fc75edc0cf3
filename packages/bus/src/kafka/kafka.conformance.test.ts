import { type KafkaHandle, startKafka } from '../../../../test/support/kafka-broker.js';
import { runTransportConformance } from '../conformance/index.js';
import { KafkaTransport } from './index.js';

/**
 * Against a real broker from test/support/kafka-broker.ts (or KAFKA_BROKERS). Group timeouts are short so
 * rebalances (a member joining, leaving or stuck in a handler) take seconds: the broker's minimum session
 * timeout is 6 s. Idle consumers long-poll 250 ms, so they notice a rebalance quickly.
 */
runTransportConformance('kafka', async () => {
  const kafka: KafkaHandle = await startKafka();
  return {
    patienceMs: 30_000,
    connect: async () =>
      new KafkaTransport({
        brokers: kafka.brokers,
        sessionTimeoutMs: 6_000,
        rebalanceTimeoutMs: 8_000,
        heartbeatIntervalMs: 500,
        maxWaitTimeMs: 250,
        joinTimeoutMs: 30_000,
        publishTimeoutMs: 10_000,
      }),
    restart: () => kafka.restart(),
    dispose: () => kafka.stop(),
  };
});
