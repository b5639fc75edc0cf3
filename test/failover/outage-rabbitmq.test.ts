/**
 * RabbitMQ down mid-stream for 5, 15 and 30 s (issue 18): see outage-scenario.ts. The outage is `rabbitmqctl
 * stop_app` / `start_app` (broker-outage.ts). RabbitMQ and Redis are this file's own containers (or the
 * host's RabbitMQ with SWITCHBOARD_TEST_BROKERS=local); needs nginx(-light) like test/topology.
 */
import { startBrokers } from './harness.js';
import { outageTests } from './outage-scenario.js';

outageTests('rabbitmq', () => startBrokers('rabbitmq'), [5, 15, 30]);
