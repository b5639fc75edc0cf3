/** The ConnectionRegistry contract, run against every implementation (memory: unit, Redis: integration). */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectionRegistry } from '../connection-registry.js';

export type RegistryFactory = () => Promise<ConnectionRegistry> | ConnectionRegistry;

export function describeConnectionRegistry(name: string, factory: RegistryFactory): void {
  describe(`${name}: ConnectionRegistry contract`, () => {
    let registry: ConnectionRegistry;
    // Unique ids, so suites can share one Redis.
    let user: string;
    let other: string;
    let nodeA: string;
    let nodeB: string;
    beforeEach(async () => {
      registry = await factory();
      const id = randomUUID();
      user = `u-${id}`;
      other = `v-${id}`;
      nodeA = `a-${id}`;
      nodeB = `b-${id}`;
    });
    afterEach(async () => {
      await registry.close();
    });

    const ref = (nodeId: string, connectionId: string, userId: string) => ({ nodeId, connectionId, userId });

    it('tracks open connections per user, idempotently', async () => {
      await registry.opened(ref(nodeA, `${nodeA}.c2`, user), 1_000);
      await registry.opened(ref(nodeA, `${nodeA}.c1`, user), 1_000);
      await registry.opened(ref(nodeA, `${nodeA}.c1`, user), 1_001);
      await registry.opened(ref(nodeB, `${nodeB}.c1`, other), 1_000);
      expect(await registry.connections(user)).toEqual([`${nodeA}.c1`, `${nodeA}.c2`]);
      expect(await registry.connections(other)).toEqual([`${nodeB}.c1`]);
      expect(await registry.connections(`nobody-${user}`)).toEqual([]);
    });

    it('unregisters a closed connection once', async () => {
      await registry.opened(ref(nodeA, `${nodeA}.c1`, user), 1_000);
      await registry.opened(ref(nodeA, `${nodeA}.c2`, user), 1_000);
      expect(await registry.closed(ref(nodeA, `${nodeA}.c1`, user))).toBe(true);
      expect(await registry.closed(ref(nodeA, `${nodeA}.c1`, user))).toBe(false);
      expect(await registry.connections(user)).toEqual([`${nodeA}.c2`]);
      // The registered user wins over the event's.
      expect(await registry.closed(ref(nodeA, `${nodeA}.c2`, ''))).toBe(true);
      expect(await registry.connections(user)).toEqual([]);
    });

    it('moves a connection re-opened with another user or node', async () => {
      await registry.opened(ref(nodeA, 'shared.c1', user), 1_000);
      await registry.opened(ref(nodeB, 'shared.c1', other), 1_000);
      expect(await registry.connections(user)).toEqual([]);
      expect(await registry.connections(other)).toEqual(['shared.c1']);
      expect(await registry.expireNode(nodeA)).toEqual([]);
      expect(await registry.connections(other)).toEqual(['shared.c1']);
      await registry.closed(ref(nodeB, 'shared.c1', other));
    });

    it('records nodes: first seen, last heartbeat and lease', async () => {
      await registry.opened(ref(nodeA, `${nodeA}.c1`, user), 1_000);
      await registry.heartbeat(nodeB, 45_000, 2_000);
      await registry.heartbeat(nodeB, 30_000, 3_000);
      const nodes = (await registry.nodes()).filter((n) => n.nodeId === nodeA || n.nodeId === nodeB);
      expect(nodes.sort((x, y) => (x.nodeId < y.nodeId ? -1 : 1))).toEqual([
        { nodeId: nodeA, firstSeenMs: 1_000, lastHeartbeatMs: 0, leaseMs: 0 },
        { nodeId: nodeB, firstSeenMs: 2_000, lastHeartbeatMs: 3_000, leaseMs: 30_000 },
      ]);
    });

    it('expires a node with its connections, only when silent since aliveBefore, once', async () => {
      await registry.heartbeat(nodeA, 0, 1_000);
      await registry.opened(ref(nodeA, `${nodeA}.c1`, user), 1_500);
      await registry.opened(ref(nodeA, `${nodeA}.c2`, other), 1_500);
      await registry.opened(ref(nodeB, `${nodeB}.c1`, user), 1_500);
      await registry.heartbeat(nodeA, 0, 5_000);
      expect(await registry.expireNode(nodeA, 4_999)).toBeUndefined(); // the heartbeat won
      expect(await registry.expireNode(nodeA, 5_000)).toEqual([
        ref(nodeA, `${nodeA}.c1`, user),
        ref(nodeA, `${nodeA}.c2`, other),
      ]);
      expect(await registry.expireNode(nodeA, 5_000)).toBeUndefined();
      expect(await registry.connections(user)).toEqual([`${nodeB}.c1`]);
      expect(await registry.connections(other)).toEqual([]);
      expect((await registry.nodes()).map((n) => n.nodeId)).not.toContain(nodeA);
      // A node never heard from is judged by its first-seen time.
      expect(await registry.expireNode(nodeB, 1_499)).toBeUndefined();
      expect(await registry.expireNode(nodeB, 1_500)).toEqual([ref(nodeB, `${nodeB}.c1`, user)]);
    });

    it('lists the connections of a node and keeps lifecycle cursors', async () => {
      await registry.opened(ref(nodeA, `${nodeA}.c2`, user), 1_000);
      await registry.opened(ref(nodeA, `${nodeA}.c1`, other), 1_000);
      await registry.opened(ref(nodeB, `${nodeB}.c1`, user), 1_000);
      expect(await registry.nodeConnections(nodeA)).toEqual([`${nodeA}.c1`, `${nodeA}.c2`]);
      await registry.closed(ref(nodeA, `${nodeA}.c1`, other));
      expect(await registry.nodeConnections(nodeA)).toEqual([`${nodeA}.c2`]);
      expect(await registry.cursors.advance(nodeA, { incarnation: 'i1', seq: 4 })).toBeUndefined();
      expect(await registry.cursors.advance(nodeA, { incarnation: 'i1', seq: 3 })).toEqual({
        incarnation: 'i1',
        seq: 4,
      });
      expect(await registry.cursors.get(nodeA)).toEqual({ incarnation: 'i1', seq: 4 });
      await registry.cursors.forget(nodeA);
      expect(await registry.cursors.get(nodeA)).toBeUndefined();
    });
  });
}
