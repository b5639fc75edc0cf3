import { type KafkaHandle, startKafka } from '../../../../test/support/brokers.js';
import { QUICK_GROUP_TIMINGS, startKafkaProcess } from '../../../../test/support/kafka-broker.js';
import { runTransportConformance } from '../conformance/index.js';
import { KafkaTransport } from './index.js';

/**
 * Against real brokers: the one test/support/brokers.ts gives (a container, or KAFKA_BROKERS), and a
 * Kafka 4.1.1 JVM process the kit starts on this machine (the path for machines without a container
 * engine), with short group timeouts (QUICK_GROUP_TIMINGS).
 */
function suite(name: string, start: () => Promise<KafkaHandle>): void {
  runTransportConformance(
    name,
    async () => {
      const kafka = await start();
      return {
        patienceMs: 30_000,
        connect: async (options) =>
          new KafkaTransport({
            brokers: kafka.brokers,
            ...QUICK_GROUP_TIMINGS,
            publishTimeoutMs: options?.publishTimeoutMs ?? 10_000,
          }),
        restart: () => kafka.restart(),
        dispose: () => kafka.stop(),
      };
      // A log has no message-count bound, and deletes by age per segment on the broker's schedule (minutes):
      // Kafka's retention.ms is tested in kafka-backlog.integration.test.ts.
    },
    { boundsMessageCount: false, boundsAge: false },
  );
}

suite('kafka', startKafka);
if (!process.env.KAFKA_BROKERS) suite('kafka (broker process started by the test kit)', startKafkaProcess);
