/**
 * The set-up the presence tests on the memory bus share: one broker, a transport standing for the edges
 * (and other publishers), and a started PresenceService on its own transport with a MemoryPresenceStore
 * and the test's clock. `close` stops and closes all of it, in that order. Only imported by tests.
 */
import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import { MemoryPresenceStore } from '../memory-presence-store.js';
import { PresenceService } from '../presence-service.js';

export interface PresenceOnMemoryBus {
  /** Publishes as the edges would; open node inboxes on it to watch deliveries. */
  readonly edge: MemoryTransport;
  /** The service's own transport (for a second instance on the same bus). */
  readonly serviceTransport: MemoryTransport;
  readonly presence: PresenceService;
  close(): Promise<void>;
}

export async function startPresenceOnMemoryBus(
  leaseMs: number,
  now: () => number,
): Promise<PresenceOnMemoryBus> {
  const broker = new MemoryBroker();
  const edge = new MemoryTransport({ broker });
  const serviceTransport = new MemoryTransport({ broker });
  const presence = new PresenceService({
    transport: serviceTransport,
    store: new MemoryPresenceStore(),
    leaseMs,
    now,
  });
  await presence.start();
  return {
    edge,
    serviceTransport,
    presence,
    close: async () => {
      await presence.stop();
      await presence.store.close();
      await serviceTransport.close();
      await edge.close();
    },
  };
}
