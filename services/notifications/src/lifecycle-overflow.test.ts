/**
 * The lifecycle topic is bounded (@switchboard/bus backlog.ts): while notifications is away its queue keeps
 * only the newest events. The connection registry must not depend on that backlog: a node that died while
 * the service was away stops counting as open (DELIVERED) within one lease of the service coming back,
 * whether or not its last events survived; a live node's connections stay.
 *
 * The overflow is real: the service's transport bounds `lifecycle` at 4 messages per group (drop-head).
 */
import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import { encodeLifecycleEvent, type ILifecycleEvent } from '@switchboard/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryConnectionRegistry } from './memory-connection-registry.js';
import { MemoryInboxStore } from './memory-inbox-store.js';
import { startBoundedNotifications } from './testing/bounded-service.js';

const LEASE = 10_000;
const BOUND = 4;

describe('notifications after lifecycle events were dropped by the backlog bound', () => {
  const closing: { close(): Promise<void> }[] = [];

  afterEach(async () => {
    for (const resource of closing.splice(0).reverse()) await resource.close();
  });

  it('counts only live nodes’ connections again within one lease of coming back', async () => {
    let clock = 1_000_000;
    const broker = new MemoryBroker();
    const edge = new MemoryTransport({ broker });
    const store = new MemoryInboxStore();
    const registry = new MemoryConnectionRegistry();
    closing.push(edge, registry);
    const start = async () => {
      const { service, transport } = await startBoundedNotifications({
        broker,
        store,
        registry,
        maxMessages: BOUND,
        leaseMs: LEASE,
        now: () => clock,
      });
      closing.push(transport, { close: () => service.stop() });
      return service;
    };
    const lifecycle = (key: string, event: ILifecycleEvent) =>
      edge.publishWork('lifecycle', key, encodeLifecycleEvent({ timeMs: clock, ...event }));
    const opened = (nodeId: string, connectionId: string, userId: string) =>
      lifecycle(connectionId, { nodeId, connectionOpened: { connectionId, userId } });
    const heartbeat = (nodeId: string) =>
      lifecycle(nodeId, { nodeId, heartbeat: { connections: 1, startedAtMs: 1, leaseMs: LEASE } });

    const first = await start();
    await opened('nodeA', 'nodeA.c1', 'alice');
    await opened('nodeB', 'nodeB.c2', 'alice');
    await heartbeat('nodeA');
    await heartbeat('nodeB');
    await vi.waitFor(async () =>
      expect(await registry.connections('alice')).toEqual(['nodeA.c1', 'nodeB.c2']),
    );
    await first.stop();

    // Away for ten minutes: nodeA heartbeats once more, opens a connection, and dies; nodeB keeps beating.
    clock += 600_000;
    await heartbeat('nodeA');
    await opened('nodeA', 'nodeA.c3', 'alice');
    for (let i = 0; i < 6; i++) await heartbeat('nodeB');
    const queue = broker.group('lifecycle', 'notifications');
    expect(queue.dropped).toBe(4); // nodeA's heartbeat and connection, two of nodeB's heartbeats
    expect(queue.queue).toHaveLength(BOUND);

    const back = clock;
    const second = await start();
    await vi.waitFor(() => expect(queue.queue).toHaveLength(0));
    clock = back + LEASE - 1; // within the grace after a start nothing expires
    expect(await second.sweepNodes()).toEqual([]);
    await heartbeat('nodeB'); // nodeB is alive
    await vi.waitFor(async () =>
      expect((await registry.nodes()).find((n) => n.nodeId === 'nodeB')?.lastHeartbeatMs).toBe(clock),
    );
    clock = back + LEASE;
    expect((await second.sweepNodes()).map((node) => node.nodeId)).toEqual(['nodeA']);
    expect(await registry.connections('alice')).toEqual(['nodeB.c2']);
  });
});
