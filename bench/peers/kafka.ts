/**
 * A Kafka broker for the benchmark: KAFKA_BROKERS if set, else the KRaft JVM of test/support/kafka-broker.ts
 * on loopback ports. Prints {type:'ready', brokers} over IPC and stops the broker when the runner goes.
 */
import { startKafkaProcess } from '../../test/support/kafka-broker.js';

const kafka = await startKafkaProcess();
process.send?.({ type: 'ready', brokers: kafka.brokers, pid: process.pid });
const stop = () => void kafka.stop().finally(() => process.exit(0));
process.on('disconnect', stop);
process.on('SIGTERM', stop);
