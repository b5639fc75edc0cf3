import { runTransportConformance } from '../conformance/index.js';
import { MemoryBroker } from './memory-broker.js';
import { MemoryTransport } from './memory-transport.js';

runTransportConformance(
  'memory',
  async () => {
    const broker = new MemoryBroker();
    const transports: MemoryTransport[] = [];
    return {
      outages: false, // simulateRestart has no downtime: no publish can time out
      connect: async (options) => {
        const transport = new MemoryTransport({ broker, topicBounds: options?.topicBounds });
        transports.push(transport);
        return transport;
      },
      // The in-process broker has no process to restart; its connections see a disconnect/reconnect cycle.
      restart: async () => {
        for (const transport of transports) await transport.simulateRestart();
      },
    };
  },
  { boundsAge: false }, // maxAgeMs is not enforced in memory (backlog.ts)
);
