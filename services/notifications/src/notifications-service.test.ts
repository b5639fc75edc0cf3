import { userRoute } from '@switchboard/bus';
import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import {
  type Delivery,
  type DeliveryReceipt,
  decodeDelivery,
  decodeDeliveryReceipt,
  encodeInbound,
  encodeLifecycleEvent,
  encodeOrderEvent,
  type IDelivery,
  type IOrderEvent,
  ReceiptStatus,
  switchboard,
} from '@switchboard/protocol';
import { Publisher } from '@switchboard/publisher';
import { createLogger } from '@switchboard/service-kit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConnectionRegistry } from './connection-registry.js';
import { MemoryConnectionRegistry } from './memory-connection-registry.js';
import { MemoryInboxStore } from './memory-inbox-store.js';
import { createNotificationsService, type NotificationsService } from './notifications-service.js';

const TTL_MS = 60_000;
const LEASE_MS = 10_000;
const S = ReceiptStatus;

interface Harness {
  transport: MemoryTransport;
  store: MemoryInboxStore;
  registry: ConnectionRegistry;
  notifications: NotificationsService;
  /** Stops the service and starts a new one on the same bus, inbox and registry (a restart, or a second instance). */
  restart(): Promise<void>;
  deliveries: Delivery[];
  receipts: DeliveryReceipt[];
  warnings: string[];
  clock: { now: number };
}

let h: Harness;

async function setup(publisher?: (transport: MemoryTransport) => Publisher): Promise<Harness> {
  const transport = new MemoryTransport({ broker: new MemoryBroker() });
  const store = new MemoryInboxStore();
  // Shared by the service instances of a test, as the Redis registry is shared by real instances.
  const registry = new MemoryConnectionRegistry();
  const clock = { now: 1_000_000 };
  let ids = 0;
  const warnings: string[] = [];
  const logger = createLogger('test', {
    level: 'warn',
    pretty: false,
    destination: { write: (line: string) => void warnings.push(line) },
  });
  const create = () =>
    createNotificationsService({
      transport,
      store,
      registry,
      logger,
      httpPort: false,
      ttlMs: TTL_MS,
      sweepIntervalMs: 0,
      leaseMs: LEASE_MS,
      nodeSweepIntervalMs: 0,
      now: () => clock.now,
      newId: () => `n${++ids}`,
      ...(publisher ? { publisher: publisher(transport) } : {}),
    });
  const notifications = create();
  const deliveries: Delivery[] = [];
  const receipts: DeliveryReceipt[] = [];
  // As an edge node would: its own node route is always bound; user routes once a user is connected there.
  const node = await transport.openNode('edge1', (bytes) => deliveries.push(decodeDelivery(bytes)));
  await node.addInterest(userRoute('alice'));
  await transport.consumeWork('receipts', { group: 'test' }, async (m) => {
    receipts.push(decodeDeliveryReceipt(m.bytes));
  });
  await notifications.start();
  const harness: Harness = {
    transport,
    store,
    registry,
    notifications,
    deliveries,
    receipts,
    warnings,
    clock,
    async restart() {
      await harness.notifications.stop();
      harness.notifications = create();
      await harness.notifications.start();
    },
  };
  return harness;
}

afterEach(async () => {
  await h.notifications.stop();
  await h.store.close();
  await h.transport.close();
});

const order = (user: string, eventId: string, extra: IOrderEvent = {}): Uint8Array =>
  encodeOrderEvent({
    eventId,
    orderId: `o-${eventId}`,
    userId: user,
    timeMs: 1,
    shipped: { carrier: 'DHL' },
    ...extra,
  });

const publishOrder = (user: string, eventId: string) =>
  h.transport.publishWork('orders', user, order(user, eventId));

const opened = (user: string, connectionId: string, nodeId = 'edge1') =>
  h.transport.publishWork(
    'lifecycle',
    connectionId,
    encodeLifecycleEvent({ nodeId, timeMs: 1, connectionOpened: { connectionId, userId: user } }),
  );

const heartbeat = (nodeId: string, leaseMs = 0) =>
  h.transport.publishWork(
    'lifecycle',
    nodeId,
    encodeLifecycleEvent({ nodeId, timeMs: 1, heartbeat: { connections: 1, startedAtMs: 1, leaseMs } }),
  );

const ack = (user: string, connectionId: string, ids: string[]) =>
  h.transport.publishWork(
    'notifications',
    user,
    encodeInbound({
      service: 'notifications',
      type: 'inbox.ack',
      key: user,
      userId: user,
      connectionId,
      nodeId: 'edge1',
      payload: switchboard.v1.Ack.encode({ ids }).finish(),
    }),
  );

const summary = (statuses: DeliveryReceipt[]) =>
  statuses.map((r) => `${r.notificationId}:${S[r.status]}${r.connectionId ? `@${r.connectionId}` : ''}`);

const pushes = () => h.deliveries.filter((d) => d.body === 'push');

describe('notifications service', () => {
  beforeEach(async () => {
    h = await setup();
  });

  it('pushes an order event to an online user (requires ack) with STORED then DELIVERED', async () => {
    await opened('alice', 'edge1.c1');
    await publishOrder('alice', 'e1');
    await vi.waitFor(() => expect(h.receipts).toHaveLength(2));
    expect(summary(h.receipts)).toEqual(['n1:STORED', 'n1:DELIVERED@edge1.c1']);
    expect(h.receipts[0]).toMatchObject({
      eventId: 'e1',
      orderId: 'o-e1',
      userId: 'alice',
      timeMs: 1_000_000,
    });
    const [push] = pushes();
    expect(push).toMatchObject({
      user: 'alice',
      push: { id: 'n1', type: 'order.shipped', requiresAck: true },
    });
    expect(JSON.parse(new TextDecoder().decode(push!.push!.payload!))).toEqual({
      type: 'order.shipped',
      title: 'Order shipped',
      body: 'Order o-e1 shipped with DHL.',
      orderId: 'o-e1',
    });
  });

  it('stores for an offline user, delivers in order on connect, keeps until acked, then ACKED', async () => {
    for (const id of ['e1', 'e2', 'e3']) await publishOrder('bob', id);
    await vi.waitFor(() => expect(h.receipts).toHaveLength(3));
    expect(summary(h.receipts)).toEqual(['n1:STORED', 'n2:STORED', 'n3:STORED']);
    expect(pushes()).toEqual([]); // nobody has interest in bob's route: no edge got anything

    await opened('bob', 'edge1.b1');
    await vi.waitFor(() => expect(h.receipts).toHaveLength(6));
    expect(summary(h.receipts.slice(3))).toEqual([
      'n1:DELIVERED@edge1.b1',
      'n2:DELIVERED@edge1.b1',
      'n3:DELIVERED@edge1.b1',
    ]);
    expect(pushes().map((d) => [d.connection, d.push!.id, d.push!.requiresAck])).toEqual([
      ['edge1.b1', 'n1', true],
      ['edge1.b1', 'n2', true],
      ['edge1.b1', 'n3', true],
    ]);

    // Not acked: a new connection gets them again.
    await opened('bob', 'edge1.b2');
    await vi.waitFor(() => expect(h.receipts).toHaveLength(9));
    expect(
      pushes()
        .slice(3)
        .map((d) => `${d.connection}/${d.push!.id}`),
    ).toEqual(['edge1.b2/n1', 'edge1.b2/n2', 'edge1.b2/n3']);

    await ack('bob', 'edge1.b2', ['n1', 'n3', 'n1']);
    await vi.waitFor(() => expect(h.receipts).toHaveLength(11));
    expect(summary(h.receipts.slice(9))).toEqual(['n1:ACKED@edge1.b2', 'n3:ACKED@edge1.b2']);
    expect((await h.store.unacked('bob')).map((n) => n.id)).toEqual(['n2']);
  });

  it('makes one notification of a duplicate event id (one push, one STORED)', async () => {
    await publishOrder('alice', 'e1');
    await publishOrder('alice', 'e1');
    await publishOrder('alice', 'e2');
    await vi.waitFor(() => expect(h.receipts.map((r) => r.eventId)).toContain('e2'));
    expect(h.receipts.map((r) => `${r.eventId}:${S[r.status]}`)).toEqual(['e1:STORED', 'e2:STORED']);
    expect(pushes()).toHaveLength(2);
    expect((await h.store.unacked('alice')).map((n) => n.eventId)).toEqual(['e1', 'e2']);
  });

  it('expires unacked notifications with EXPIRED', async () => {
    await publishOrder('carol', 'e1');
    await vi.waitFor(() => expect(h.receipts).toHaveLength(1));
    h.clock.now += TTL_MS - 1;
    expect(await h.notifications.sweep()).toBe(0);
    h.clock.now += 1;
    expect(await h.notifications.sweep()).toBe(1);
    await vi.waitFor(() => expect(h.receipts).toHaveLength(2));
    expect(summary(h.receipts)).toEqual(['n1:STORED', 'n1:EXPIRED']);
    expect(await h.store.unacked('carol')).toEqual([]);
  });

  it('logs a malformed order event once and handles the next one', async () => {
    await h.transport.publishWork('orders', 'alice', new Uint8Array([0xff, 0xff, 0xff, 0xff]));
    await h.transport.publishWork('orders', 'alice', encodeOrderEvent({ eventId: 'x', userId: 'alice' }));
    await publishOrder('alice', 'e1');
    await vi.waitFor(() => expect(h.receipts).toHaveLength(1));
    expect(summary(h.receipts)).toEqual(['n1:STORED']);
    const dropped = h.warnings.filter((line) => line.includes('dropping malformed order event'));
    expect(dropped).toHaveLength(2);
  });

  it('does not count a push as DELIVERED after the connection closed', async () => {
    await opened('alice', 'edge1.c1');
    await h.transport.publishWork(
      'lifecycle',
      'edge1.c1',
      encodeLifecycleEvent({
        nodeId: 'edge1',
        timeMs: 2,
        connectionClosed: { connectionId: 'edge1.c1', userId: 'alice' },
      }),
    );
    await publishOrder('alice', 'e1');
    await publishOrder('alice', 'e2');
    await vi.waitFor(() => expect(h.receipts).toHaveLength(2));
    expect(summary(h.receipts)).toEqual(['n1:STORED', 'n2:STORED']);
  });
});

describe('notifications service connection registry', () => {
  beforeEach(async () => {
    h = await setup();
  });

  it('counts DELIVERED for a connection whose opened event a previous instance consumed (restart)', async () => {
    await opened('alice', 'edge1.c1');
    await vi.waitFor(async () => expect(await h.registry.connections('alice')).toEqual(['edge1.c1']));
    await h.restart();
    await publishOrder('alice', 'e1');
    await vi.waitFor(() => expect(h.receipts).toHaveLength(2));
    expect(summary(h.receipts)).toEqual(['n1:STORED', 'n1:DELIVERED@edge1.c1']);
  });

  it('drops the connections of a node whose lease passed: no more DELIVERED for them', async () => {
    await heartbeat('edge1');
    await heartbeat('edge2');
    await opened('alice', 'edge1.c1', 'edge1');
    await opened('alice', 'edge2.c1', 'edge2');
    await vi.waitFor(async () =>
      expect(await h.registry.connections('alice')).toEqual(['edge1.c1', 'edge2.c1']),
    );
    await publishOrder('alice', 'e1');
    await vi.waitFor(() => expect(h.receipts).toHaveLength(3));
    expect(summary(h.receipts)).toEqual(['n1:STORED', 'n1:DELIVERED@edge1.c1', 'n1:DELIVERED@edge2.c1']);

    h.clock.now += LEASE_MS - 1_000;
    await heartbeat('edge1'); // edge1 keeps beating; edge2 went silent at 1_000_000
    await vi.waitFor(async () =>
      expect((await h.registry.nodes()).find((n) => n.nodeId === 'edge1')?.lastHeartbeatMs).toBe(h.clock.now),
    );
    h.clock.now = 1_000_000 + LEASE_MS - 1;
    expect(await h.notifications.sweepNodes()).toEqual([]); // still inside edge2's lease
    h.clock.now = 1_000_000 + LEASE_MS;
    expect(await h.notifications.sweepNodes()).toEqual([
      { nodeId: 'edge2', connections: [{ nodeId: 'edge2', connectionId: 'edge2.c1', userId: 'alice' }] },
    ]);
    expect(await h.notifications.sweepNodes()).toEqual([]); // once

    await publishOrder('alice', 'e2');
    await vi.waitFor(() => expect(h.receipts).toHaveLength(5));
    expect(summary(h.receipts.slice(3))).toEqual(['n2:STORED', 'n2:DELIVERED@edge1.c1']);
    expect(h.warnings.some((line) => line.includes('node lease expired'))).toBe(true);
  });

  it('honours a longer heartbeat lease and expires a node never heard from by first-seen time', async () => {
    await heartbeat('slow', LEASE_MS * 2);
    await opened('alice', 'slow.c1', 'slow');
    await opened('bob', 'silent.c1', 'silent'); // no heartbeat ever
    await vi.waitFor(async () => expect(await h.registry.connections('bob')).toEqual(['silent.c1']));
    h.clock.now += LEASE_MS;
    expect((await h.notifications.sweepNodes()).map((e) => e.nodeId)).toEqual(['silent']);
    h.clock.now += LEASE_MS - 1;
    expect(await h.notifications.sweepNodes()).toEqual([]);
    h.clock.now += 1;
    expect((await h.notifications.sweepNodes()).map((e) => e.nodeId)).toEqual(['slow']);
    expect(await h.registry.connections('alice')).toEqual([]);
    expect(await h.registry.connections('bob')).toEqual([]);
  });

  it('expires nothing during the grace period after a (re)start', async () => {
    await opened('alice', 'edge1.c1');
    await vi.waitFor(async () => expect(await h.registry.connections('alice')).toEqual(['edge1.c1']));
    h.clock.now += LEASE_MS * 10; // the service was down for a long time
    await h.restart();
    h.clock.now += LEASE_MS - 1;
    expect(await h.notifications.sweepNodes()).toEqual([]);
    await heartbeat('edge1'); // queued while it was down, read now
    await vi.waitFor(async () => expect((await h.registry.nodes())[0]?.lastHeartbeatMs).toBe(h.clock.now));
    h.clock.now += 1;
    expect(await h.notifications.sweepNodes()).toEqual([]);
    expect(await h.registry.connections('alice')).toEqual(['edge1.c1']);
  });
});

describe('notifications service on a failed push', () => {
  it('redelivers: stores once, then pushes and emits receipts on the retry', async () => {
    let failures = 1;
    h = await setup(
      (transport) =>
        new (class extends Publisher {
          override async send(delivery: IDelivery): Promise<void> {
            if (delivery.push && failures-- > 0) throw new Error('broker said no');
            return super.send(delivery);
          }
        })(transport),
    );
    await publishOrder('alice', 'e1');
    await vi.waitFor(() => expect(h.receipts).toHaveLength(1));
    expect(summary(h.receipts)).toEqual(['n1:STORED']);
    expect(pushes().map((d) => d.push!.id)).toEqual(['n1']);
    expect((await h.store.unacked('alice')).map((n) => n.id)).toEqual(['n1']);
  });
});
