/**
 * The lifecycle topic is bounded (@switchboard/bus backlog.ts): while presence is away its queue keeps only
 * the newest events and drops the oldest. Presence must not depend on that backlog to be right again: a node
 * that died while presence was away is expired by lease — whether or not its last heartbeats and events
 * survived — within one lease of presence coming back, while live nodes keep their members.
 *
 * The overflow is real: the service's transport bounds `lifecycle` at 4 messages per group, as RabbitMQ's
 * x-max-length with drop-head would.
 */
import { channelRoute, type NodeSubscription } from '@switchboard/bus';
import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import {
  type Delivery,
  decodeDelivery,
  encodeLifecycleEvent,
  type ILifecycleEvent,
} from '@switchboard/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryPresenceStore } from './memory-presence-store.js';
import { PresenceService } from './presence-service.js';

const LEASE = 15_000;
const BOUND = 4;

describe('presence after lifecycle events were dropped by the backlog bound', () => {
  const closing: { close(): Promise<void> }[] = [];

  afterEach(async () => {
    for (const resource of closing.splice(0).reverse()) await resource.close();
  });

  it('is right again within one lease of coming back: dead nodes expired, live nodes kept', async () => {
    let clock = 1_000_000;
    const broker = new MemoryBroker();
    const edge = new MemoryTransport({ broker });
    const bounds = { lifecycle: { maxMessages: BOUND } };
    const store = new MemoryPresenceStore();
    closing.push(edge, store);
    const startPresence = async () => {
      const transport = new MemoryTransport({ broker, topicBounds: bounds });
      const presence = new PresenceService({ transport, store, leaseMs: LEASE, now: () => clock });
      await presence.start();
      closing.push(transport, { close: () => presence.stop() });
      return presence;
    };
    const lifecycle = (key: string, event: ILifecycleEvent) =>
      edge.publishWork('lifecycle', key, encodeLifecycleEvent({ timeMs: clock, ...event }));
    const join = async (nodeId: string, connectionId: string, userId: string) => {
      await lifecycle(connectionId, { nodeId, connectionOpened: { connectionId, userId } });
      await lifecycle(connectionId, {
        nodeId,
        subscribed: { connectionId, userId, channel: 'presence-room' },
      });
    };
    const heartbeat = (nodeId: string) =>
      lifecycle(nodeId, { nodeId, heartbeat: { connections: 1, startedAtMs: 1, leaseMs: LEASE } });
    const members = async () =>
      (await store.members('presence-room')).map((m) => `${m.userId}@${m.connectionId}`);

    const deliveries: Delivery[] = [];
    const watcher: NodeSubscription = await edge.openNode('watcher', (bytes) =>
      deliveries.push(decodeDelivery(bytes)),
    );
    closing.push(watcher);
    await watcher.addInterest(channelRoute('presence-room'));

    const first = await startPresence();
    await join('nodeA', 'nodeA.c1', 'alice');
    await join('nodeB', 'nodeB.c2', 'bob');
    await heartbeat('nodeA');
    await heartbeat('nodeB');
    await vi.waitFor(async () => expect(await members()).toEqual(['alice@nodeA.c1', 'bob@nodeB.c2']));
    await first.stop();

    // Away for ten minutes: nodeA heartbeats once more, gets carol, and dies; nodeB goes on heartbeating.
    clock += 600_000;
    await heartbeat('nodeA');
    await join('nodeA', 'nodeA.c3', 'carol');
    for (let i = 0; i < 6; i++) await heartbeat('nodeB');
    const queue = broker.group('lifecycle', 'presence');
    expect(queue.dropped).toBe(5); // nodeA's heartbeat, carol's two events, two of nodeB's heartbeats
    expect(queue.queue).toHaveLength(BOUND);

    const back = clock;
    const second = await startPresence();
    await vi.waitFor(() => expect(queue.queue).toHaveLength(0));
    // Within the grace after a start nothing expires: queued heartbeats are read first.
    clock = back + LEASE - 1;
    expect(await second.sweep()).toEqual([]);
    // nodeB is alive: its heartbeats keep coming after presence is back.
    await heartbeat('nodeB');
    await vi.waitFor(async () =>
      expect((await store.nodes()).find((n) => n.nodeId === 'nodeB')?.lastHeartbeatMs).toBe(clock),
    );
    clock = back + LEASE;
    const expired = await second.sweep();
    expect(expired.map((node) => node.nodeId)).toEqual(['nodeA']);
    expect(await members()).toEqual(['bob@nodeB.c2']);
    await vi.waitFor(() =>
      expect(deliveries.filter((d) => d.body === 'leave').map((d) => d.leave?.info?.connectionId)).toEqual([
        'nodeA.c1',
      ]),
    );
  });
});
