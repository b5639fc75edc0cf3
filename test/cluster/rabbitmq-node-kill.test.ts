/**
 * Drill 1 of issue 16: a three-node RabbitMQ cluster (processes on this machine, rabbitmq-cluster.ts), the
 * node leading the work queues SIGKILLed while 200 clients (150 SDK, 50 written from docs/protocol.md)
 * receive a durable stream published at 50/s through the API and 10 users' chat requests flow. The node
 * stays dead 10 s, then rejoins. What must hold (test/failover/outage-scenario.ts, chat-requests.ts): no
 * confirmed publication lost, each subscriber's stream in order without a jump, every chat request answered
 * or failed with an error reply, every chat message answered as sent in its room in order. Printed: the
 * scenario's figures, among them the recovery time (first fresh 202 and live delivery after the kill).
 */
import { outageTests } from '../failover/outage-scenario.js';
import { CHAT_LOAD_ENV, chatRequests } from './chat-requests.js';
import { clusterBrokers, killWorkQueueLeader } from './cluster-brokers.js';

outageTests('rabbitmq', () => clusterBrokers(5790, killWorkQueueLeader), [10], {
  describe: 'RabbitMQ cluster: one node of three lost (issue 16, drill 1)',
  title: (s) =>
    `SIGKILL of the node leading the work queues (down ${s} s): 200 subscribers get every confirmed message, chat requests all answered`,
  sdkSubscribers: 150,
  protocolSubscribers: 50,
  env: CHAT_LOAD_ENV,
  alongside: chatRequests(10, 200),
});
