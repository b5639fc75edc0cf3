/**
 * Failover tests of the production topology on Kafka (issue 6): see scenarios.ts. Kafka (KRaft, single
 * node) and Redis are this file's own containers (or the Kafka process of test/support/kafka-broker.ts
 * with SWITCHBOARD_TEST_BROKERS=local); needs nginx(-light) like test/topology.
 */
import { startBrokers } from './harness.js';
import { failoverTests } from './scenarios.js';

failoverTests('kafka', () => startBrokers('kafka'));
