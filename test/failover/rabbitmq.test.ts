/**
 * Failover tests of the production topology on RabbitMQ (issue 6): see scenarios.ts. RabbitMQ and Redis
 * are this file's own containers (or the host's RabbitMQ with a vhost per topology when
 * SWITCHBOARD_TEST_BROKERS=local); needs nginx(-light) like test/topology.
 */
import { startBrokers } from './harness.js';
import { failoverTests } from './scenarios.js';

failoverTests('rabbitmq', () => startBrokers('rabbitmq'));
