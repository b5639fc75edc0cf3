/**
 * RedisPresenceStore on a real Redis (REDIS_URL, or a container from test/support/brokers.ts): the store
 * contract, state shared by two store instances (two presence instances), and a restart of the store
 * keeping the data. Every test uses its own key prefix and deletes its keys afterwards.
 */
import { randomUUID } from 'node:crypto';
import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import { encodeLifecycleEvent, type ILifecycleEvent } from '@switchboard/protocol';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RedisHandle, startRedis } from '../../../test/support/brokers.js';
import { PresenceService } from './presence-service.js';
import { RedisPresenceStore } from './redis-presence-store.js';
import { presenceResyncBehaviour } from './resync-behaviour.js';
import { presenceStoreContract } from './store-contract.js';

let redis: RedisHandle;
const prefixes: string[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  const client = new Redis(redis.url);
  try {
    for (const prefix of prefixes) {
      const keys = await client.keys(`${prefix}*`);
      if (keys.length > 0) await client.del(...keys);
    }
  } finally {
    await client.quit();
    await redis.stop();
  }
});

function newPrefix(): string {
  const prefix = `sb:presence:test-${randomUUID()}:`;
  prefixes.push(prefix);
  return prefix;
}

describe('RedisPresenceStore', () => {
  presenceStoreContract(async () => RedisPresenceStore.connect(redis.url, { prefix: newPrefix() }));

  it('shares state between two store instances and keeps it across a reconnect', async () => {
    const prefix = newPrefix();
    const one = RedisPresenceStore.connect(redis.url, { prefix });
    const two = RedisPresenceStore.connect(redis.url, { prefix });
    try {
      await one.join({ nodeId: 'nodeA', connectionId: 'nodeA.c1', userId: 'alice' }, 'presence-room', 1);
      await two.join({ nodeId: 'nodeB', connectionId: 'nodeB.c2', userId: 'bob' }, 'presence-room', 2);
      expect((await two.members('presence-room')).map((m) => m.userId)).toEqual(['alice', 'bob']);
      expect(await one.userOnline('bob')).toBe(true);
      // Both instances sweep the same dead node at once: exactly one gets its connections.
      const results = await Promise.all([one.expireNode('nodeB', 10), two.expireNode('nodeB', 10)]);
      expect(results.filter((r) => r !== undefined).map((r) => r?.map((c) => c.connectionId))).toEqual([
        ['nodeB.c2'],
      ]);
      await one.close();
      const three = RedisPresenceStore.connect(redis.url, { prefix }); // "restarted" instance
      try {
        expect((await three.members('presence-room')).map((m) => m.userId)).toEqual(['alice']);
      } finally {
        await three.close();
      }
    } finally {
      await one.close();
      await two.close();
    }
  });
});

describe('two presence services on one Redis', () => {
  it('answer queries from state built by the other instance and expire a dead node once', async () => {
    const prefix = newPrefix();
    const broker = new MemoryBroker();
    let clock = 1_000_000;
    const transports = [0, 1, 2].map(() => new MemoryTransport({ broker }));
    const [edge, t1, t2] = transports as [MemoryTransport, MemoryTransport, MemoryTransport];
    const stores = [
      RedisPresenceStore.connect(redis.url, { prefix }),
      RedisPresenceStore.connect(redis.url, { prefix }),
    ];
    const services = [t1, t2].map(
      (transport, i) =>
        new PresenceService({ transport, store: stores[i]!, leaseMs: 5_000, now: () => clock }),
    );
    try {
      for (const service of services) await service.start();
      const leaves: string[] = [];
      const node = await edge.openNode('observer', () => leaves.push('delivery'));
      await node.addInterest({ kind: 'channel', channel: 'presence-room' });
      const publish = (key: string, event: ILifecycleEvent) =>
        edge.publishWork('lifecycle', key, encodeLifecycleEvent({ timeMs: clock, ...event }));
      await publish('nodeA', { nodeId: 'nodeA', heartbeat: { connections: 1, leaseMs: 3_000 } });
      await publish('nodeB', { nodeId: 'nodeB', heartbeat: { connections: 1, leaseMs: 3_000 } });
      await publish('nodeA.c1', {
        nodeId: 'nodeA',
        subscribed: { connectionId: 'nodeA.c1', userId: 'alice', channel: 'presence-room' },
      });
      await publish('nodeB.c2', {
        nodeId: 'nodeB',
        subscribed: { connectionId: 'nodeB.c2', userId: 'bob', channel: 'presence-room' },
      });
      await vi.waitFor(async () => {
        expect((await services[0]!.store.members('presence-room')).map((m) => m.userId)).toEqual([
          'alice',
          'bob',
        ]);
        expect((await services[1]!.store.nodes()).map((n) => n.lastHeartbeatMs)).toEqual([clock, clock]);
      });
      await vi.waitFor(() => expect(leaves).toHaveLength(2)); // two Joins
      clock += 5_001;
      await publish('nodeA', { nodeId: 'nodeA', heartbeat: { connections: 1, leaseMs: 3_000 } });
      await vi.waitFor(async () =>
        expect((await stores[0]!.nodes()).find((n) => n.nodeId === 'nodeA')?.lastHeartbeatMs).toBe(clock),
      );
      const [first, second] = await Promise.all(services.map((s) => s.sweep()));
      expect([...(first ?? []), ...(second ?? [])].map((e) => e.nodeId)).toEqual(['nodeB']);
      await vi.waitFor(() => expect(leaves).toHaveLength(3)); // one Leave, not two
      expect((await stores[1]!.members('presence-room')).map((m) => m.userId)).toEqual(['alice']);
    } finally {
      for (const service of services) await service.stop();
      for (const store of stores) await store.close();
      for (const transport of transports) await transport.close();
    }
  });
});

describe('presence re-syncs a node after lost lifecycle events (Redis store)', () => {
  presenceResyncBehaviour(async () => RedisPresenceStore.connect(redis.url, { prefix: newPrefix() }));
});
