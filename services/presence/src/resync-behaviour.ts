/**
 * Presence after lifecycle events were lost, for every PresenceStore (run by the memory unit test and the
 * Redis integration test). The loss is real: the service's transport bounds `lifecycle` as RabbitMQ's
 * x-max-length with drop-head would, and the edge publishes while presence is away. Presence must notice
 * (sequence numbers) and be right again once the node re-announced, instead of keeping a wrong picture
 * until the node dies. Only imported by tests.
 */
import { channelRoute } from '@switchboard/bus';
import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import { type Delivery, decodeDelivery } from '@switchboard/protocol';
import { SequencedEdge } from '@switchboard/service-kit/testing';
import { expect, it, vi } from 'vitest';
import { PresenceService } from './presence-service.js';
import type { PresenceStore } from './presence-store.js';

const LEASE = 15_000;
const ROOM = 'presence-room';

export function presenceResyncBehaviour(makeStore: () => Promise<PresenceStore>): void {
  const setUp = async (bound: number) => {
    let clock = 1_000_000;
    const broker = new MemoryBroker();
    const edgeTransport = new MemoryTransport({ broker });
    const store = await makeStore();
    const edge = new SequencedEdge(edgeTransport, 'nodeA');
    await edge.listen();
    const deliveries: Delivery[] = [];
    const watcher = await edgeTransport.openNode('watcher', (bytes) =>
      deliveries.push(decodeDelivery(bytes)),
    );
    await watcher.addInterest(channelRoute(ROOM));
    const running: { presence: PresenceService; transport: MemoryTransport }[] = [];
    const start = async () => {
      const transport = new MemoryTransport({ broker, topicBounds: { lifecycle: { maxMessages: bound } } });
      const presence = new PresenceService({ transport, store, leaseMs: LEASE, now: () => clock });
      await presence.start();
      running.push({ presence, transport });
      return presence;
    };
    const stop = async () => {
      for (const { presence, transport } of running.splice(0)) {
        await presence.stop();
        await transport.close();
      }
    };
    const members = async () => (await store.members(ROOM)).map((m) => `${m.userId}@${m.connectionId}`);
    const bodies = (body: 'join' | 'leave') =>
      deliveries.filter((d) => d.body === body).map((d) => d[body]?.info?.connectionId);
    return {
      broker,
      store,
      edge,
      start,
      stop,
      members,
      bodies,
      tick: (ms: number) => {
        clock += ms;
      },
      close: async () => {
        await stop();
        await edge.stop();
        await watcher.close();
        await edgeTransport.close();
        await store.close();
      },
    };
  };

  it('events dropped by the bound while presence was away: right again after the node re-announces', async () => {
    const t = await setUp(2);
    try {
      const first = await t.start();
      // One connection at a time: the bound of 2 applies to a live consumer's queue too.
      await t.edge.open('nodeA.c1', 'alice', [ROOM]);
      await vi.waitFor(async () => expect(await t.members()).toEqual(['alice@nodeA.c1']));
      await t.edge.open('nodeA.c2', 'bob', [ROOM]);
      await vi.waitFor(async () => expect(await t.members()).toHaveLength(2));
      await t.edge.heartbeat(LEASE);
      await vi.waitFor(async () => expect(await t.members()).toEqual(['alice@nodeA.c1', 'bob@nodeA.c2']));
      expect(t.edge.requests).toEqual([]); // an unbroken stream asks for nothing
      await first.stop();

      // Away: alice leaves, carol comes; the bound keeps only the last two messages (heartbeats).
      await t.edge.close('nodeA.c1');
      await t.edge.open('nodeA.c3', 'carol', [ROOM]);
      await t.edge.heartbeat(LEASE);
      await t.edge.heartbeat(LEASE);
      expect(t.broker.group('lifecycle', 'presence').dropped).toBe(3); // alice's close, carol's open and join

      t.tick(60_000);
      const second = await t.start();
      // The heartbeats say seq 7 was sent; presence applied 4: one heartbeat of grace, then a re-sync.
      await vi.waitFor(() => expect(t.edge.requests).toEqual(['presence']));
      await t.edge.answered();
      await vi.waitFor(async () => expect(await t.members()).toEqual(['bob@nodeA.c2', 'carol@nodeA.c3']));
      expect(await t.store.nodeConnections('nodeA')).toEqual(['nodeA.c2', 'nodeA.c3']);
      await vi.waitFor(() => expect(t.bodies('leave')).toEqual(['nodeA.c1']));
      expect(t.bodies('join')).toContain('nodeA.c3');
      const metrics = await second.service.metrics.metrics();
      expect(metrics).toMatch(
        /switchboard_service_lifecycle_gaps_total\{[^}]*reason="behind_heartbeat"[^}]*\} 1/,
      );
      expect(metrics).toMatch(/switchboard_service_lifecycle_resyncs_total\{[^}]*stage="applied"[^}]*\} 1/);
    } finally {
      await t.close();
    }
  });

  it('a hole in the sequence is re-synced at once, and a flood of holes asks the node once per lease', async () => {
    const t = await setUp(1_000);
    try {
      const presence = await t.start();
      await t.edge.open('nodeA.c1', 'alice', [ROOM]);
      await t.edge.heartbeat(LEASE);
      await vi.waitFor(async () => expect(await t.members()).toEqual(['alice@nodeA.c1']));
      // bob's open and subscribe never reach the bus (the edge's publish failed); the next message shows it.
      await t.edge.unpublished(() => t.edge.open('nodeA.c2', 'bob', [ROOM]));
      await t.edge.subscribe('nodeA.c2', 'news');
      await vi.waitFor(() => expect(t.edge.requests).toEqual(['presence']));
      await t.edge.answered();
      await vi.waitFor(async () => expect(await t.members()).toEqual(['alice@nodeA.c1', 'bob@nodeA.c2']));
      // A flood of holes within the lease (alice's close among the lost): no second request meanwhile.
      await t.edge.unpublished(() => t.edge.close('nodeA.c1'));
      for (let i = 0; i < 3; i++) {
        await t.edge.unpublished(() => t.edge.subscribe('nodeA.c2', `presence-y${i}`));
        await t.edge.subscribe('nodeA.c2', `news-${i}`);
      }
      const gaps = async () =>
        (await presence.service.metrics.metrics()).match(
          /switchboard_service_lifecycle_gaps_total\{[^}]*reason="hole"[^}]*\} (\d+)/,
        )?.[1];
      await vi.waitFor(async () => expect(await gaps()).toBe('4'));
      expect(t.edge.requests).toEqual(['presence']);
      expect(await t.members()).toContain('alice@nodeA.c1'); // still wrong: the node was not asked again yet
      // A lease later the node's heartbeat finds it still out of sync: asked again, presence is right.
      t.tick(LEASE);
      await t.edge.heartbeat(LEASE);
      await vi.waitFor(() => expect(t.edge.requests).toEqual(['presence', 'presence']));
      await t.edge.answered();
      await vi.waitFor(async () => expect(await t.members()).toEqual(['bob@nodeA.c2']));
      expect((await t.store.members('presence-y2')).map((m) => m.connectionId)).toEqual(['nodeA.c2']);
    } finally {
      await t.close();
    }
  });

  it("a restarted node (new incarnation) replaces the old one's connections", async () => {
    const t = await setUp(1_000);
    try {
      await t.start();
      await t.edge.open('nodeA.c1', 'alice', [ROOM]);
      await vi.waitFor(async () => expect(await t.members()).toEqual(['alice@nodeA.c1']));
      // The edge process died and came back at once: its closes were never published.
      t.edge.restart('nodeA-i2');
      await t.edge.heartbeat(LEASE);
      await vi.waitFor(() => expect(t.edge.requests).toEqual(['presence']));
      await t.edge.answered();
      await vi.waitFor(async () => expect(await t.members()).toEqual([]));
      expect(await t.store.nodeConnections('nodeA')).toEqual([]);
    } finally {
      await t.close();
    }
  });
}
