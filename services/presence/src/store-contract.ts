/**
 * Behaviour every PresenceStore must have; run by the memory store's unit test and the Redis store's
 * integration test. Only imported by tests.
 */
import { expect, it } from 'vitest';
import type { PresenceStore } from './presence-store.js';

const a1 = { nodeId: 'nodeA', connectionId: 'nodeA.c1', userId: 'alice' };
const a2 = { nodeId: 'nodeB', connectionId: 'nodeB.c2', userId: 'alice' };
const b1 = { nodeId: 'nodeB', connectionId: 'nodeB.c3', userId: 'bob' };

export function presenceStoreContract(make: () => Promise<PresenceStore>): void {
  const withStore = (test: (store: PresenceStore) => Promise<void>) => async () => {
    const store = await make();
    try {
      await test(store);
    } finally {
      await store.close();
    }
  };

  it(
    'lists members per connection across nodes, with the info of ConnectionOpened',
    withStore(async (store) => {
      await store.connectionOpened(a1, new Uint8Array([1, 2, 3]), 10);
      expect(await store.join(a1, 'presence-room', 10)).toEqual({
        connectionId: 'nodeA.c1',
        userId: 'alice',
        info: new Uint8Array([1, 2, 3]),
      });
      expect(await store.join(a1, 'presence-room', 11)).toBeUndefined(); // same connection twice: one member
      expect(await store.join(a2, 'presence-room', 12)).toMatchObject({ connectionId: 'nodeB.c2' });
      expect(await store.join(b1, 'presence-room', 12)).toMatchObject({ userId: 'bob' });
      const members = await store.members('presence-room');
      expect(members.map((m) => [m.connectionId, m.userId])).toEqual([
        ['nodeA.c1', 'alice'],
        ['nodeB.c2', 'alice'],
        ['nodeB.c3', 'bob'],
      ]);
      expect((await store.userConnections('alice')).map((m) => m.connectionId)).toEqual([
        'nodeA.c1',
        'nodeB.c2',
      ]);
      expect(await store.userOnline('bob')).toBe(true);
      expect(await store.userOnline('carol')).toBe(false);
      expect(await store.members('presence-other')).toEqual([]);
    }),
  );

  it(
    'leave removes one membership once; close removes the connection from every channel and the user',
    withStore(async (store) => {
      await store.join(a1, 'presence-x', 1);
      await store.join(a1, 'presence-y', 1);
      expect(await store.leave('nodeA.c1', 'presence-x')).toMatchObject({ userId: 'alice' });
      expect(await store.leave('nodeA.c1', 'presence-x')).toBeUndefined();
      await store.join(a1, 'presence-x', 2);
      const removed = await store.connectionClosed('nodeA.c1');
      expect(removed).toMatchObject({ connectionId: 'nodeA.c1', nodeId: 'nodeA', userId: 'alice' });
      expect(removed?.channels).toEqual(['presence-x', 'presence-y']);
      expect(await store.connectionClosed('nodeA.c1')).toBeUndefined();
      expect(await store.members('presence-x')).toEqual([]);
      expect(await store.members('presence-y')).toEqual([]);
      expect(await store.userOnline('alice')).toBe(false);
    }),
  );

  it(
    'tracks nodes: first seen, last heartbeat, lease and connection count',
    withStore(async (store) => {
      await store.connectionOpened(a1, new Uint8Array(0), 100);
      await store.heartbeat('nodeB', 9_000, 200);
      await store.join(b1, 'presence-room', 250);
      await store.heartbeat('nodeB', 9_000, 300);
      const nodes = (await store.nodes()).sort((x, y) => x.nodeId.localeCompare(y.nodeId));
      expect(nodes).toEqual([
        { nodeId: 'nodeA', firstSeenMs: 100, lastHeartbeatMs: 0, leaseMs: 0, connections: 1 },
        { nodeId: 'nodeB', firstSeenMs: 200, lastHeartbeatMs: 300, leaseMs: 9_000, connections: 1 },
      ]);
    }),
  );

  it(
    'keeps the last heartbeat status of a node, and drops it with the node',
    withStore(async (store) => {
      await store.heartbeat('nodeB', 9_000, 200, new Uint8Array([1, 2, 3]));
      await store.heartbeat('nodeB', 9_000, 300); // a heartbeat without status keeps the last one
      expect((await store.nodes()).map((n) => [n.nodeId, n.status && [...n.status]])).toEqual([
        ['nodeB', [1, 2, 3]],
      ]);
      await store.heartbeat('nodeB', 9_000, 400, new Uint8Array([0, 255]));
      expect((await store.nodes()).map((n) => n.status && [...n.status])).toEqual([[0, 255]]);
      await store.expireNode('nodeB');
      await store.heartbeat('nodeB', 9_000, 500);
      expect((await store.nodes()).map((n) => n.status)).toEqual([undefined]);
    }),
  );

  it(
    'expireNode removes the node with its connections, only when silent since aliveBefore, once',
    withStore(async (store) => {
      await store.join(a1, 'presence-room', 100);
      await store.join(a2, 'presence-room', 100);
      await store.join(b1, 'presence-room', 100);
      await store.heartbeat('nodeB', 0, 500);
      expect(await store.expireNode('nodeB', 499)).toBeUndefined(); // a heartbeat at 500 keeps it alive
      const removed = await store.expireNode('nodeB', 500);
      expect(removed?.map((r) => [r.connectionId, r.userId, r.channels])).toEqual([
        ['nodeB.c2', 'alice', ['presence-room']],
        ['nodeB.c3', 'bob', ['presence-room']],
      ]);
      expect(await store.expireNode('nodeB', 500)).toBeUndefined(); // already gone: nobody else gets them
      expect((await store.members('presence-room')).map((m) => m.connectionId)).toEqual(['nodeA.c1']);
      expect(await store.userOnline('bob')).toBe(false);
      expect(await store.userOnline('alice')).toBe(true);
      expect((await store.nodes()).map((n) => n.nodeId)).toEqual(['nodeA']);
      expect(await store.expireNode('nodeA')).toHaveLength(1); // unconditional
      expect(await store.nodes()).toEqual([]);
    }),
  );

  it(
    "lists a node's connections and a connection's channels, and keeps lifecycle cursors",
    withStore(async (store) => {
      await store.join(a2, 'presence-y', 1);
      await store.join(a2, 'presence-x', 1);
      await store.connectionOpened(b1, new Uint8Array(0), 1);
      expect(await store.nodeConnections('nodeB')).toEqual(['nodeB.c2', 'nodeB.c3']);
      expect(await store.nodeConnections('nodeZ')).toEqual([]);
      expect(await store.connectionChannels('nodeB.c2')).toEqual(['presence-x', 'presence-y']);
      expect(await store.connectionChannels('nodeB.c3')).toEqual([]);
      expect(await store.cursors.advance('nodeB', { incarnation: 'i1', seq: 3 })).toBeUndefined();
      expect(await store.cursors.advance('nodeB', { incarnation: 'i1', seq: 2 })).toEqual({
        incarnation: 'i1',
        seq: 3,
      });
      expect(await store.cursors.get('nodeB')).toEqual({ incarnation: 'i1', seq: 3 }); // never backwards
      await store.cursors.advance('nodeB', { incarnation: 'i2', seq: 1 });
      expect(await store.cursors.get('nodeB')).toEqual({ incarnation: 'i2', seq: 1 });
      await store.cursors.forget('nodeB');
      expect(await store.cursors.get('nodeB')).toBeUndefined();
    }),
  );
}
