/**
 * A notifications service on the in-process bus whose `lifecycle` topic is bounded to `maxMessages` (as
 * RabbitMQ's x-max-length with drop-head would): the set-up of the tests where lifecycle events are lost
 * while the service is away (lifecycle-overflow.test.ts, resync-behaviour.ts). Sweeps are off; the tests
 * drive the clock.
 */
import { type MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import type { ConnectionRegistry } from '../connection-registry.js';
import type { InboxStore } from '../inbox-store.js';
import { createNotificationsService, type NotificationsService } from '../notifications-service.js';

export interface BoundedServiceOptions {
  readonly broker: MemoryBroker;
  readonly store: InboxStore;
  readonly registry: ConnectionRegistry;
  readonly maxMessages: number;
  readonly leaseMs: number;
  readonly now: () => number;
}

export async function startBoundedNotifications(
  options: BoundedServiceOptions,
): Promise<{ service: NotificationsService; transport: MemoryTransport }> {
  const { broker, store, registry, maxMessages, leaseMs, now } = options;
  const transport = new MemoryTransport({ broker, topicBounds: { lifecycle: { maxMessages } } });
  const service = createNotificationsService({
    transport,
    store,
    registry,
    leaseMs,
    nodeSweepIntervalMs: 0,
    sweepIntervalMs: 0,
    now,
    httpPort: false,
  });
  await service.start();
  return { service, transport };
}
