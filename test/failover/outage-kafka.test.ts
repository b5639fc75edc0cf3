/**
 * The Kafka bus down mid-stream for 15 s (issue 18: "the same race can happen" on Kafka): see
 * outage-scenario.ts. The outage is the Kafka container stopped and started again
 * (test/support/container-outage.ts).
 */
import { startBrokers } from './harness.js';
import { outageTests } from './outage-scenario.js';

outageTests('kafka', () => startBrokers('kafka'), [15]);
