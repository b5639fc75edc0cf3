/**
 * The services' guarantees on RabbitMQ + Redis (scenarios.ts). The services' queues have fixed names (the
 * service names are their topics and groups), so afterwards every queue of those topics is deleted, with
 * the test's own receipts group; Redis keys live under the run's prefix and are deleted by the stack.
 */
import { SERVICE_QUEUES, useRabbitAndRedis } from '../support/rabbit-redis-suite.js';
import { runServiceScenarios } from './scenarios.js';

/** The services' queues, and the receipts reader's group of this suite. */
const SUITE_QUEUE = new RegExp(
  `(?:${SERVICE_QUEUES.source})|(?:^sb\\.(work|dlq)\\.receipts\\.receipts-it-[0-9a-f]{8}(\\.s\\d+)?$)`,
);

const suite = useRabbitAndRedis(SUITE_QUEUE);
runServiceScenarios('amqp', suite.makeTransport, suite.redisUrl);
