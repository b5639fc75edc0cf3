import { switchboard } from '@switchboard/protocol';
import { describe, expect, it } from 'vitest';
import { liveNodes, MAX_NODE_CHANNELS } from './node-view.js';
import type { NodeRecord } from './presence-store.js';

const LEASE = 15_000;
const status = (heartbeat: switchboard.v1.INodeHeartbeat) =>
  switchboard.v1.NodeHeartbeat.encode(heartbeat).finish();
const record = (nodeId: string, fields: Partial<NodeRecord> = {}): NodeRecord => ({
  nodeId,
  firstSeenMs: 0,
  lastHeartbeatMs: 0,
  leaseMs: 0,
  connections: 0,
  ...fields,
});

describe('liveNodes', () => {
  it('describes each node by its last heartbeat, ordered by node id', () => {
    const nodes = liveNodes(
      [
        record('edge-b', { lastHeartbeatMs: 2_000, leaseMs: 3_000, connections: 1 }),
        record('edge-a', {
          lastHeartbeatMs: 1_000,
          leaseMs: 3_000,
          connections: 1,
          status: status({
            connections: 2,
            startedAtMs: 7,
            leaseMs: 3_000,
            busiestChannels: [{ channel: 'room', subscribers: 2 }],
          }),
        }),
      ],
      2_000,
      LEASE,
    );
    expect(nodes).toEqual([
      {
        nodeId: 'edge-a',
        connections: 2, // the node's own count, not the store's
        startedAtMs: 7,
        leaseMs: 3_000,
        lastHeartbeatMs: 1_000,
        busiestChannels: [{ channel: 'room', subscribers: 2 }],
      },
      // No status yet: the connections the store holds, no channels.
      {
        nodeId: 'edge-b',
        connections: 1,
        startedAtMs: 0,
        leaseMs: 3_000,
        lastHeartbeatMs: 2_000,
        busiestChannels: [],
      },
    ]);
  });

  it('leaves out a node once max(minimum lease, its lease) has passed since its last sign of life', () => {
    const records = [
      record('short', { lastHeartbeatMs: 1, leaseMs: 1_000 }), // the minimum lease applies: 15 s
      record('long', { lastHeartbeatMs: 1, leaseMs: LEASE * 2 }),
      record('unheard', { firstSeenMs: 1 }), // never heartbeated: first seen counts
    ];
    const ids = (now: number) => liveNodes(records, now, LEASE).map((n) => n.nodeId);
    expect(ids(LEASE)).toEqual(['long', 'short', 'unheard']);
    expect(ids(LEASE + 1)).toEqual(['long']);
    expect(ids(LEASE * 2 + 1)).toEqual([]);
  });

  it('bounds the channels per node, skips unnamed ones, and survives a status that does not decode', () => {
    const busiestChannels = [
      { channel: '', subscribers: 99 },
      ...Array.from({ length: 25 }, (_, i) => ({ channel: `c${i}`, subscribers: 25 - i })),
    ];
    const [many, broken] = liveNodes(
      [
        record('many', { lastHeartbeatMs: 1, status: status({ busiestChannels }) }),
        record('zbroken', { lastHeartbeatMs: 1, connections: 4, status: new Uint8Array([0xff, 0xff, 0xff]) }),
      ],
      1,
      LEASE,
    );
    expect(many?.busiestChannels).toHaveLength(MAX_NODE_CHANNELS);
    expect(many?.busiestChannels[0]).toEqual({ channel: 'c0', subscribers: 25 });
    expect(broken).toMatchObject({ nodeId: 'zbroken', connections: 4, busiestChannels: [] });
  });
});
