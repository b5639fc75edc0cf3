/**
 * Drill 4 of issue 16: a rolling restart of a three-node RabbitMQ cluster under load — each node stopped
 * cleanly and started again in turn (down about 2 s each), the next one only once every work queue has its
 * three members back (cluster-brokers.ts rollingRestart) — while 60 subscribers (50 SDK, 10 protocol-only)
 * receive a durable stream published at 50/s through the API and 10 users' chat requests flow. What must
 * hold (test/failover/outage-scenario.ts, chat-requests.ts): nothing confirmed is lost, streams in order
 * without a jump, every chat request answered with its reply — the SDK sends an idempotent chat.send again
 * after a temporary error (SB_ERR_TIMEOUT: a quorum queue without a leader past the request timeout), and an
 * error left after those retries fails the drill, as does a request left unanswered — and every message
 * answered as sent is in its room in order. Clients see nothing more than reconnects.
 */
import { outageTests } from '../failover/outage-scenario.js';
import { CHAT_LOAD_ENV, chatRequests } from './chat-requests.js';
import { clusterBrokers, rollingRestart } from './cluster-brokers.js';

outageTests('rabbitmq', () => clusterBrokers(5795, rollingRestart), [6], {
  describe: 'RabbitMQ cluster: rolling restart of the three nodes (issue 16, drill 4)',
  title: () =>
    'every node restarted in turn under load: every subscriber gets every confirmed message, every chat request answered',
  env: CHAT_LOAD_ENV,
  // A rolling restart promises clients nothing more than reconnects: a request failing after its retries fails it.
  alongside: chatRequests(10, 200, { errorRepliesFail: true }),
});
