import type { NodeSubscription } from '@switchboard/bus';
import type { MemoryTransport } from '@switchboard/bus/memory';
import {
  type Delivery,
  decodeDelivery,
  ErrorCodes,
  encodeInbound,
  encodeLifecycleEvent,
  type ILifecycleEvent,
  Origin,
  PresenceTypes,
  switchboard,
} from '@switchboard/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PresenceService } from './presence-service.js';
import { type PresenceOnMemoryBus, startPresenceOnMemoryBus } from './testing/memory-bus.js';

const LEASE = 15_000;

describe('presence.nodes on the memory bus', () => {
  let clock: number;
  let edge: MemoryTransport;
  let serviceTransport: MemoryTransport;
  let presence: PresenceService;
  let asker: NodeSubscription;
  let answers: Delivery[];
  let bus: PresenceOnMemoryBus;

  beforeEach(async () => {
    clock = 1_000_000;
    bus = await startPresenceOnMemoryBus(LEASE, () => clock);
    ({ edge, serviceTransport, presence } = bus);
    answers = [];
    asker = await edge.openNode('api-1', (bytes) => answers.push(decodeDelivery(bytes)));
  });

  afterEach(async () => {
    await asker.close();
    await bus.close();
  });

  const lifecycle = (event: ILifecycleEvent) =>
    edge.publishWork('lifecycle', event.nodeId ?? '', encodeLifecycleEvent({ timeMs: clock, ...event }));
  const askNodes = (frameId: number, origin = Origin.ORIGIN_BACKEND) =>
    edge.publishWork(
      'presence',
      'nodes',
      encodeInbound({
        connectionId: 'api-1.q1',
        nodeId: 'api-1',
        service: 'presence',
        type: PresenceTypes.nodes,
        requestId: String(frameId),
        origin,
        payload: new Uint8Array(0),
      }),
    );
  const nodesOf = (delivery: Delivery | undefined) =>
    switchboard.v1.NodesResult.decode(delivery?.reply?.payload ?? new Uint8Array(0)).nodes.map((n) => ({
      nodeId: n.nodeId,
      connections: n.connections,
      startedAtMs: n.startedAtMs,
      leaseMs: n.leaseMs,
      lastHeartbeatMs: n.lastHeartbeatMs,
      busiestChannels: (n.busiestChannels ?? []).map((c) => [c.channel, c.subscribers]),
    }));

  it('answers with every live node, its connections and busiest channels', async () => {
    await lifecycle({
      nodeId: 'edge-b',
      heartbeat: {
        connections: 3,
        startedAtMs: 500,
        leaseMs: 3_000,
        busiestChannels: [
          { channel: 'news', subscribers: 3 },
          { channel: 'sport', subscribers: 1 },
        ],
      },
    });
    await lifecycle({ nodeId: 'edge-a', heartbeat: { connections: 0, startedAtMs: 400, leaseMs: 3_000 } });
    await vi.waitFor(async () => expect(await presence.store.nodes()).toHaveLength(2));
    await askNodes(7);
    await vi.waitFor(() => expect(answers).toHaveLength(1));
    expect(answers[0]).toMatchObject({
      target: 'connection',
      connection: 'api-1.q1',
      frameId: 7,
      service: 'presence',
      body: 'reply',
    });
    expect(answers[0]?.reply?.type).toBe(PresenceTypes.nodes);
    expect(nodesOf(answers[0])).toEqual([
      {
        nodeId: 'edge-a',
        connections: 0,
        startedAtMs: 400,
        leaseMs: 3_000,
        lastHeartbeatMs: clock,
        busiestChannels: [],
      },
      {
        nodeId: 'edge-b',
        connections: 3,
        startedAtMs: 500,
        leaseMs: 3_000,
        lastHeartbeatMs: clock,
        busiestChannels: [
          ['news', 3],
          ['sport', 1],
        ],
      },
    ]);
  });

  it('answers from the store: another instance on the same store knows the nodes it never heard', async () => {
    await lifecycle({
      nodeId: 'edge-a',
      heartbeat: { connections: 2, leaseMs: 3_000, busiestChannels: [{ channel: 'news', subscribers: 2 }] },
    });
    await vi.waitFor(async () => expect(await presence.store.nodes()).toHaveLength(1));
    await presence.stop();
    const other = new PresenceService({
      transport: serviceTransport,
      store: presence.store,
      leaseMs: LEASE,
      now: () => clock,
    });
    await other.start();
    try {
      await askNodes(11);
      await vi.waitFor(() => expect(answers).toHaveLength(1));
      expect(nodesOf(answers[0]).map((n) => [n.nodeId, n.connections, n.busiestChannels])).toEqual([
        ['edge-a', 2, [['news', 2]]],
      ]);
    } finally {
      await other.stop();
    }
  });

  it('leaves out a node whose lease ran out', async () => {
    await lifecycle({ nodeId: 'edge-a', heartbeat: { connections: 1, leaseMs: 3_000 } });
    await vi.waitFor(async () => expect(await presence.store.nodes()).toHaveLength(1));
    clock += LEASE;
    await askNodes(8);
    await vi.waitFor(() => expect(answers).toHaveLength(1));
    expect(nodesOf(answers[0])).toEqual([]);
  });

  it('is not client-callable: a client-originated query is refused without the node list', async () => {
    await lifecycle({ nodeId: 'edge-a', heartbeat: { connections: 1, leaseMs: 3_000 } });
    await vi.waitFor(async () => expect(await presence.store.nodes()).toHaveLength(1));
    await askNodes(9, Origin.ORIGIN_CLIENT);
    await vi.waitFor(() => expect(answers).toHaveLength(1));
    expect(answers[0]?.reply?.error?.code).toBe(ErrorCodes.NotCallable.wire);
    expect(answers[0]?.reply?.payload ?? new Uint8Array(0)).toHaveLength(0);
  });
});
