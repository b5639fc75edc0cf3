/**
 * The Redis bus (`SWITCHBOARD_BUS=redis://…`) down mid-stream for 15 s (issue 18: "the same race can
 * happen" on the Redis bus): see outage-scenario.ts. One length only, to keep CI short
 * (outage-rabbitmq.test.ts covers 5, 15 and 30 s; FAILOVER_OUTAGES_S chooses others).
 *
 * The bus has a Redis of its own, apart from the services' stores (harness.ts), as on RabbitMQ and Kafka:
 * the outage takes down the bus only, and what is measured is the race of issue 18 (an edge's inbox gone
 * while publishing goes on), not the history store failing too. The outage is that Redis's container
 * stopped (Redis saves its data set on SIGTERM) and started again (test/support/container-outage.ts):
 * containers only — with REDIS_URL or SWITCHBOARD_TEST_BROKERS=local the outage is refused, naming that.
 * Needs nginx(-light) like test/topology.
 */
import { startBrokers } from './harness.js';
import { outageTests } from './outage-scenario.js';

outageTests('redis', () => startBrokers('redis'), [15]);
