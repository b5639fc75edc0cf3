import { channelRoute, type NodeSubscription } from '@switchboard/bus';
import type { MemoryTransport } from '@switchboard/bus/memory';
import {
  type Delivery,
  decodeDelivery,
  ErrorCodes,
  encodeInbound,
  encodeLifecycleEvent,
  type ILifecycleEvent,
  switchboard,
} from '@switchboard/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryPresenceStore } from './memory-presence-store.js';
import { PresenceService } from './presence-service.js';
import { type PresenceOnMemoryBus, startPresenceOnMemoryBus } from './testing/memory-bus.js';

const LEASE = 15_000;

interface Observer {
  readonly deliveries: Delivery[];
  readonly node: NodeSubscription;
}

describe('PresenceService on the memory bus', () => {
  let clock: number;
  let edge: MemoryTransport;
  let serviceTransport: MemoryTransport;
  let presence: PresenceService;
  let bus: PresenceOnMemoryBus;
  const nodes: NodeSubscription[] = [];

  beforeEach(async () => {
    clock = 1_000_000;
    bus = await startPresenceOnMemoryBus(LEASE, () => clock);
    ({ edge, serviceTransport, presence } = bus);
  });

  afterEach(async () => {
    for (const node of nodes.splice(0)) await node.close();
    await bus.close();
  });

  async function observe(nodeId: string, ...channels: string[]): Promise<Observer> {
    const deliveries: Delivery[] = [];
    const node = await edge.openNode(nodeId, (bytes) => deliveries.push(decodeDelivery(bytes)));
    nodes.push(node);
    for (const channel of channels) await node.addInterest(channelRoute(channel));
    return { deliveries, node };
  }

  const lifecycle = (key: string, event: ILifecycleEvent) =>
    edge.publishWork('lifecycle', key, encodeLifecycleEvent({ timeMs: clock, ...event }));
  const opened = (nodeId: string, connectionId: string, userId: string) =>
    lifecycle(connectionId, { nodeId, connectionOpened: { connectionId, userId } });
  const subscribed = (nodeId: string, connectionId: string, userId: string, channel: string) =>
    lifecycle(connectionId, { nodeId, subscribed: { connectionId, userId, channel } });
  const unsubscribed = (nodeId: string, connectionId: string, userId: string, channel: string) =>
    lifecycle(connectionId, { nodeId, unsubscribed: { connectionId, userId, channel } });
  const closed = (nodeId: string, connectionId: string, userId: string) =>
    lifecycle(connectionId, { nodeId, connectionClosed: { connectionId, userId, code: 1000 } });
  const heartbeat = (nodeId: string, leaseMs = 0) =>
    lifecycle(nodeId, { nodeId, heartbeat: { connections: 1, startedAtMs: 1, leaseMs } });
  const query = (connectionId: string, frameId: number, channel: string) =>
    edge.publishWork(
      'presence',
      channel,
      encodeInbound({
        connectionId,
        userId: 'someone',
        service: 'presence',
        type: 'presence.query',
        requestId: String(frameId),
        traceId: 't1',
        payload: switchboard.v1.PresenceRequest.encode({ channel }).finish(),
      }),
    );
  const bodies = (o: Observer) =>
    o.deliveries.map((d) => {
      const body = d.body === 'join' ? d.join : d.leave;
      return [d.body, d.channel, body?.info?.userId, body?.info?.connectionId];
    });
  const membersOf = async (channel: string) =>
    (await presence.store.members(channel)).map((m) => `${m.userId}@${m.connectionId}`);

  it('lists the members of a channel across two nodes', async () => {
    await opened('nodeA', 'nodeA.c1', 'alice');
    await opened('nodeB', 'nodeB.c2', 'bob');
    await subscribed('nodeA', 'nodeA.c1', 'alice', 'presence-room');
    await subscribed('nodeB', 'nodeB.c2', 'bob', 'presence-room');
    await subscribed('nodeB', 'nodeB.c3', 'alice', 'presence-room'); // second tab, no opened seen
    await vi.waitFor(async () =>
      expect(await membersOf('presence-room')).toEqual(['alice@nodeA.c1', 'bob@nodeB.c2', 'alice@nodeB.c3']),
    );
    expect(await presence.store.userOnline('bob')).toBe(true);
    expect((await presence.store.nodes()).map((n) => [n.nodeId, n.connections]).sort()).toEqual([
      ['nodeA', 1],
      ['nodeB', 2],
    ]);
  });

  it('publishes Join and Leave for presence- channels only', async () => {
    const watcher = await observe('watcher', 'presence-room', 'chat:presence-lobby', 'room');
    await opened('nodeA', 'nodeA.c1', 'alice');
    await subscribed('nodeA', 'nodeA.c1', 'alice', 'room');
    await subscribed('nodeA', 'nodeA.c1', 'alice', 'presence-room');
    await subscribed('nodeA', 'nodeA.c1', 'alice', 'presence-room'); // duplicate: one Join
    await subscribed('nodeA', 'nodeA.c1', 'alice', 'chat:presence-lobby');
    await unsubscribed('nodeA', 'nodeA.c1', 'alice', 'room');
    await unsubscribed('nodeA', 'nodeA.c1', 'alice', 'presence-room');
    await vi.waitFor(() => expect(watcher.deliveries).toHaveLength(3));
    expect(bodies(watcher)).toEqual([
      ['join', 'presence-room', 'alice', 'nodeA.c1'],
      ['join', 'chat:presence-lobby', 'alice', 'nodeA.c1'],
      ['leave', 'presence-room', 'alice', 'nodeA.c1'],
    ]);
    expect(watcher.deliveries[0]?.join?.channel).toBe('presence-room');
    expect(await membersOf('room')).toEqual([]);
    expect(await membersOf('chat:presence-lobby')).toEqual(['alice@nodeA.c1']);
  });

  it('answers a query to the asking connection with its frame id', async () => {
    const asker = await observe('nodeA');
    const other = await observe('nodeB');
    await opened('nodeA', 'nodeA.c1', 'alice');
    await subscribed('nodeA', 'nodeA.c1', 'alice', 'presence-room');
    await subscribed('nodeB', 'nodeB.c2', 'bob', 'presence-room');
    await vi.waitFor(async () => expect(await membersOf('presence-room')).toHaveLength(2));
    await query('nodeA.c1', 42, 'presence-room');
    await query('nodeA.c1', 43, 'room');
    await vi.waitFor(() => expect(asker.deliveries).toHaveLength(2));
    const [answer, refusal] = asker.deliveries;
    expect(answer).toMatchObject({
      target: 'connection',
      connection: 'nodeA.c1',
      frameId: 42,
      body: 'presence',
    });
    expect(answer?.presence?.channel).toBe('presence-room');
    expect(answer?.presence?.clients?.map((c) => [c.userId, c.connectionId])).toEqual([
      ['alice', 'nodeA.c1'],
      ['bob', 'nodeB.c2'],
    ]);
    expect(refusal).toMatchObject({ connection: 'nodeA.c1', frameId: 43, body: 'error' });
    expect(refusal?.error?.code).toBe(ErrorCodes.BadChannel.wire);
    expect(other.deliveries).toEqual([]);
  });

  it('expires the users of a node whose heartbeat stops within the lease and publishes Leave', async () => {
    const watcher = await observe('watcher', 'presence-room');
    await heartbeat('nodeA');
    await heartbeat('nodeB');
    await subscribed('nodeA', 'nodeA.c1', 'alice', 'presence-room');
    await subscribed('nodeB', 'nodeB.c2', 'bob', 'presence-room');
    await vi.waitFor(() => expect(watcher.deliveries).toHaveLength(2));
    clock += LEASE - 1_000;
    await heartbeat('nodeA'); // nodeA keeps beating, nodeB went silent at 1_000_000
    await vi.waitFor(async () =>
      expect((await presence.store.nodes()).find((n) => n.nodeId === 'nodeA')?.lastHeartbeatMs).toBe(clock),
    );
    clock = 1_000_000 + LEASE - 1;
    expect(await presence.sweep()).toEqual([]); // still inside nodeB's lease
    clock = 1_000_000 + LEASE;
    const expired = await presence.sweep();
    expect(expired.map((e) => [e.nodeId, e.connections.map((c) => c.userId)])).toEqual([['nodeB', ['bob']]]);
    expect(await membersOf('presence-room')).toEqual(['alice@nodeA.c1']);
    expect(await presence.store.userOnline('bob')).toBe(false);
    await vi.waitFor(() => expect(watcher.deliveries).toHaveLength(3));
    expect(bodies(watcher)[2]).toEqual(['leave', 'presence-room', 'bob', 'nodeB.c2']);
    expect(await presence.sweep()).toEqual([]); // once
  });

  it('expires a node never heard from by first-seen time, and honours a longer heartbeat lease', async () => {
    await subscribed('silent', 'silent.c1', 'carol', 'presence-room'); // no heartbeat ever
    await heartbeat('slow', LEASE * 2); // announces a lease twice ours
    await subscribed('slow', 'slow.c1', 'dave', 'presence-room');
    await vi.waitFor(async () => expect(await membersOf('presence-room')).toHaveLength(2));
    clock += LEASE;
    expect((await presence.sweep()).map((e) => e.nodeId)).toEqual(['silent']);
    clock += LEASE - 1;
    expect(await presence.sweep()).toEqual([]);
    clock += 1;
    expect((await presence.sweep()).map((e) => e.nodeId)).toEqual(['slow']);
    expect(await membersOf('presence-room')).toEqual([]);
  });

  it('expires nothing during the grace period after start', async () => {
    const store = new MemoryPresenceStore();
    await store.join(
      { nodeId: 'old', connectionId: 'old.c1', userId: 'eve' },
      'presence-room',
      clock - LEASE * 10,
    );
    const late = new PresenceService({
      transport: serviceTransport,
      store,
      leaseMs: LEASE,
      now: () => clock,
    });
    // A restarted instance finds a node silent for 10 leases: its heartbeats may still be queued.
    await late.start();
    try {
      expect(await late.sweep()).toEqual([]);
      clock += LEASE;
      expect((await late.sweep()).map((e) => e.nodeId)).toEqual(['old']);
    } finally {
      await late.stop();
    }
  });

  it('a closed connection leaves all its channels', async () => {
    const watcher = await observe('watcher', 'presence-a', 'presence-b');
    await opened('nodeA', 'nodeA.c1', 'alice');
    await subscribed('nodeA', 'nodeA.c1', 'alice', 'presence-a');
    await subscribed('nodeA', 'nodeA.c1', 'alice', 'presence-b');
    await subscribed('nodeA', 'nodeA.c1', 'alice', 'public');
    await closed('nodeA', 'nodeA.c1', 'alice');
    await vi.waitFor(() => expect(watcher.deliveries).toHaveLength(4));
    expect(bodies(watcher).slice(2).sort()).toEqual([
      ['leave', 'presence-a', 'alice', 'nodeA.c1'],
      ['leave', 'presence-b', 'alice', 'nodeA.c1'],
    ]);
    expect(await membersOf('presence-a')).toEqual([]);
    expect(await membersOf('presence-b')).toEqual([]);
    expect(await presence.store.userOnline('alice')).toBe(false);
  });
});
