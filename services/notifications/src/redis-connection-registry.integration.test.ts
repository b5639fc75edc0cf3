/**
 * RedisConnectionRegistry on a real Redis (REDIS_URL, or a container from test/support/brokers.ts): the
 * registry contract, state shared by two registry instances (two notifications instances), and state kept
 * for a new instance (a restart), also through the service: DELIVERED for a connection whose opened event
 * another instance consumed, and none once its node's lease passed.
 */
import { randomUUID } from 'node:crypto';
import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import {
  type DeliveryReceipt,
  decodeDeliveryReceipt,
  encodeLifecycleEvent,
  encodeOrderEvent,
  ReceiptStatus,
} from '@switchboard/protocol';
import { createLogger } from '@switchboard/service-kit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RedisHandle, startRedis } from '../../../test/support/brokers.js';
import { sleep } from '../../../test/support/wait.js';
import { MemoryInboxStore } from './memory-inbox-store.js';
import { createNotificationsService } from './notifications-service.js';
import { RedisConnectionRegistry } from './redis-connection-registry.js';
import { describeConnectionRegistry } from './testing/connection-registry-contract.js';
import { describeNotificationsResync } from './testing/resync-behaviour.js';

let redis: RedisHandle;
/** One prefix per run: suites share the server with other services' tests; removed at the end. */
const prefix = `sb:notifications:conn:test-${randomUUID()}:`;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  const client = new Redis(redis.url);
  try {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
  } finally {
    await client.quit();
    await redis.stop();
  }
});

const registry = (keyPrefix = prefix) => new RedisConnectionRegistry({ url: redis.url, prefix: keyPrefix });

describeConnectionRegistry('RedisConnectionRegistry', registry);
describeNotificationsResync('RedisConnectionRegistry', () => registry());

describe('RedisConnectionRegistry across instances', () => {
  it('shares connections and node expiry between two instances', async () => {
    const [a, b] = [registry(), registry()];
    const id = randomUUID();
    const [user, node] = [`u-${id}`, `edge-${id}`];
    try {
      await b.heartbeat(node, 30_000, 1_000);
      await a.opened({ nodeId: node, connectionId: `${node}.c1`, userId: user }, 1_000);
      await b.opened({ nodeId: node, connectionId: `${node}.c2`, userId: user }, 1_000);
      expect(await b.connections(user)).toEqual([`${node}.c1`, `${node}.c2`]);
      expect(await a.closed({ nodeId: node, connectionId: `${node}.c2`, userId: user })).toBe(true);
      expect(await b.connections(user)).toEqual([`${node}.c1`]);
      expect((await a.nodes()).find((n) => n.nodeId === node)).toEqual({
        nodeId: node,
        firstSeenMs: 1_000,
        lastHeartbeatMs: 1_000,
        leaseMs: 30_000,
      });
      // Both sweep the dead node at once: exactly one gets its connections.
      const results = await Promise.all([a.expireNode(node, 1_000), b.expireNode(node, 1_000)]);
      expect(results.filter((r) => r !== undefined)).toEqual([
        [{ nodeId: node, connectionId: `${node}.c1`, userId: user }],
      ]);
      expect(await a.connections(user)).toEqual([]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('keeps connections and node heartbeats for a new instance (restart)', async () => {
    const id = randomUUID();
    const [user, node] = [`u-${id}`, `edge-${id}`];
    const first = registry();
    await first.heartbeat(node, 30_000, 5_000);
    await first.opened({ nodeId: node, connectionId: `${node}.c1`, userId: user }, 5_000);
    await first.close();

    const second = registry();
    try {
      expect(await second.connections(user)).toEqual([`${node}.c1`]);
      expect((await second.nodes()).find((n) => n.nodeId === node)?.lastHeartbeatMs).toBe(5_000);
      expect(await second.expireNode(node, 4_999)).toBeUndefined();
      expect(await second.connections(user)).toEqual([`${node}.c1`]);
    } finally {
      await second.close();
    }
  });
});

describe('notifications service on RedisConnectionRegistry', () => {
  it('counts DELIVERED for a connection opened before a restart, none after its node died', async () => {
    const id = randomUUID();
    const [user, node] = [`u-${id}`, `edge-${id}`];
    const transport = new MemoryTransport({ broker: new MemoryBroker() });
    const store = new MemoryInboxStore();
    const clock = { now: 1_000_000 };
    const receipts: DeliveryReceipt[] = [];
    await transport.consumeWork('receipts', { group: 'test' }, async (m) => {
      receipts.push(decodeDeliveryReceipt(m.bytes));
    });
    let ids = 0;
    const servicePrefix = `${prefix}service-${id}:`; // only this test's nodes, for sweepNodes()
    const start = async () => {
      const reg = registry(servicePrefix);
      const service = createNotificationsService({
        transport,
        store,
        registry: reg,
        logger: createLogger('test', { level: 'silent' }),
        httpPort: false,
        sweepIntervalMs: 0,
        leaseMs: 10_000,
        graceMs: 0,
        nodeSweepIntervalMs: 0,
        now: () => clock.now,
        newId: () => `n${++ids}`,
      });
      await service.start();
      return {
        service,
        reg,
        async stop() {
          await service.stop();
          await reg.close();
        },
      };
    };
    const publishOrder = (eventId: string) =>
      transport.publishWork(
        'orders',
        user,
        encodeOrderEvent({
          eventId: `${id}-${eventId}`,
          orderId: 'o1',
          userId: user,
          timeMs: 1,
          created: {},
        }),
      );
    const summary = () =>
      receipts.map(
        (r) => `${r.notificationId}:${ReceiptStatus[r.status]}${r.connectionId ? `@${r.connectionId}` : ''}`,
      );

    const before = await start();
    await transport.publishWork(
      'lifecycle',
      node,
      encodeLifecycleEvent({
        nodeId: node,
        timeMs: 1,
        heartbeat: { connections: 1, startedAtMs: 1, leaseMs: 0 },
      }),
    );
    await transport.publishWork(
      'lifecycle',
      `${node}.c1`,
      encodeLifecycleEvent({
        nodeId: node,
        timeMs: 1,
        connectionOpened: { connectionId: `${node}.c1`, userId: user },
      }),
    );
    await vi.waitFor(async () => expect(await before.reg.connections(user)).toEqual([`${node}.c1`]));
    await before.stop();

    const after = await start(); // a new instance: fresh process memory, same Redis
    try {
      await publishOrder('e1');
      await vi.waitFor(() => expect(receipts).toHaveLength(2));
      expect(summary()).toEqual(['n1:STORED', `n1:DELIVERED@${node}.c1`]);

      clock.now += 10_000; // the node's lease passed without a heartbeat
      expect((await after.service.sweepNodes()).map((e) => e.nodeId)).toEqual([node]);
      await publishOrder('e2');
      await vi.waitFor(() => expect(receipts).toHaveLength(3));
      await sleep(50);
      expect(summary().slice(2)).toEqual(['n2:STORED']);
    } finally {
      await after.stop();
      await store.close();
      await transport.close();
    }
  });
});
