/** The trust-boundary scenarios on RabbitMQ + Redis, each service on a connection of its own. */
import { useRabbitAndRedis } from '../support/rabbit-redis-suite.js';
import { runTrustBoundaryScenarios } from './trust-boundary.js';

const suite = useRabbitAndRedis();
runTrustBoundaryScenarios('amqp', suite.makeTransport, suite.redisUrl);
