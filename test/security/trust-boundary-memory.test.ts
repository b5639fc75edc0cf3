/** The trust-boundary scenarios on the in-process bus (what `pnpm start` runs), with in-memory stores. */
import { MemoryBroker, MemoryTransport } from '../../packages/bus/src/memory/index.js';
import { runTrustBoundaryScenarios } from './trust-boundary.js';

const broker = new MemoryBroker();
runTrustBoundaryScenarios(
  'memory',
  async () => new MemoryTransport({ broker }),
  () => undefined,
);
