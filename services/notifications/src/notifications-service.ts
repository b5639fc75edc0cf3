/**
 * The notifications service: order events in, user notifications kept in an inbox until a client acks
 * them, delivery receipts out.
 *
 * - Work topic `orders` (group `notifications`, ordered by key; order systems should key by user id): each
 *   OrderEvent becomes a notification (order-notifications.ts), is added to the user's inbox (idempotent
 *   by event id), pushed to the user route (Push.id = notification id, requires_ack) and acknowledged by
 *   receipts STORED, then DELIVERED once per open connection of the user. Malformed or incomplete events
 *   are logged once and acked. A duplicate event id yields nothing, unless it is a redelivery (attempt > 1
 *   or redelivered) of an event whose notification is still unacked: then the push and the receipts are
 *   sent again, so a crash between storing and publishing loses no receipt.
 * - Lifecycle: connection_opened registers the connection (with its node) and pushes every unacked
 *   notification of its user to that connection, in order, each followed by DELIVERED; connection_closed
 *   unregisters it; heartbeat records the node's last sign of life and its lease. The registry is shared
 *   (Redis) or per process (memory): see connection-registry.ts.
 * - Lost lifecycle events: the kit checks each node's sequence (service-kit lifecycle-resync.ts, cursors
 *   kept in the registry); a node found out of sync is asked to re-announce, and its snapshot replaces the
 *   registry's connections of the node (node-snapshot.ts).
 * - Node expiry: `sweepNodes()` (every `nodeSweepIntervalMs`) drops the connections of every node whose
 *   last sign of life — its last heartbeat, else the first time it was seen — is older than
 *   max(leaseMs, the heartbeat's lease_ms), so a dead edge's connections stop counting as DELIVERED. For
 *   the first `graceMs` (default leaseMs) after start nothing is expired, so heartbeats queued while the
 *   service was down are read before a node is declared dead.
 * - Inbound `inbox.ack` (relayed by the edge, payload Ack{ids}): removes the ids from the sender's inbox,
 *   ACKED with the acking connection id for each one actually removed.
 * - A periodic sweep removes expired notifications: EXPIRED (also for ones evicted by the per-user cap).
 */
import type { Closable, WorkMessage } from '@switchboard/bus';
import {
  decodeOrderEvent,
  type LifecycleEvent,
  NotificationTypes,
  type OrderEvent,
  ServiceNames,
  switchboard,
} from '@switchboard/protocol';
import {
  defineService,
  type LifecycleContext,
  type Service,
  type ServiceOptions,
} from '@switchboard/service-kit';
import type { ConnectionRef, ConnectionRegistry } from './connection-registry.js';
import type { InboxStore, Notification } from './inbox-store.js';
import { MemoryConnectionRegistry } from './memory-connection-registry.js';
import { applySnapshot } from './node-snapshot.js';
import { orderNotification } from './order-notifications.js';
import { ReceiptPublisher } from './receipts.js';

export const NOTIFICATIONS_SERVICE = ServiceNames.notifications;
export const ORDERS_TOPIC = ServiceNames.orders;
export const INBOX_ACK_TYPE = NotificationTypes.ack;
const SEVEN_DAYS_MS = 7 * 24 * 60 * 60 * 1000;
export const DEFAULT_LEASE_MS = 15_000;
export const DEFAULT_NODE_SWEEP_INTERVAL_MS = 1_000;

export interface NotificationsServiceOptions extends Omit<ServiceOptions, 'name'> {
  readonly store: InboxStore;
  /** Open connections per user (not closed by stop()). Default a new MemoryConnectionRegistry. */
  readonly registry?: ConnectionRegistry;
  /** Minimum lease of an edge node (ms); a node's lease is max(this, its heartbeat's lease_ms). Default 15 000. */
  readonly leaseMs?: number;
  /** Node expiry sweep interval; 0 = no timer (call sweepNodes() yourself). Default 1 000. */
  readonly nodeSweepIntervalMs?: number;
  /** No node is expired until this long after start(). Default leaseMs. */
  readonly graceMs?: number;
  /** How long a notification waits for an ack. Default 7 days. */
  readonly ttlMs?: number;
  /** Expiry sweep interval; 0 = no timer (call sweep() yourself). Default 60 000. */
  readonly sweepIntervalMs?: number;
  /** Clock for notification and receipt times, for expiry and for node leases. Default Date.now. */
  readonly now?: () => number;
  /** Notification ids. Default crypto.randomUUID. */
  readonly newId?: () => string;
}

export interface NotificationsService {
  readonly service: Service;
  start(): Promise<void>;
  /** Stops the sweep, the orders consumer (after its in-flight handlers) and the kit service. */
  stop(): Promise<void>;
  /** One expiry pass; resolves with how many notifications expired. */
  sweep(): Promise<number>;
  /** One node-lease pass; resolves with the nodes expired by this call and their removed connections. */
  sweepNodes(): Promise<ExpiredNode[]>;
}

export interface ExpiredNode {
  readonly nodeId: string;
  readonly connections: readonly ConnectionRef[];
}

export function createNotificationsService(options: NotificationsServiceOptions): NotificationsService {
  const {
    store,
    registry = new MemoryConnectionRegistry(),
    leaseMs = DEFAULT_LEASE_MS,
    nodeSweepIntervalMs = DEFAULT_NODE_SWEEP_INTERVAL_MS,
    graceMs = leaseMs,
    ttlMs = SEVEN_DAYS_MS,
    sweepIntervalMs = 60_000,
    now = Date.now,
    newId = () => crypto.randomUUID(),
    ...serviceOptions
  } = options;
  const transport = serviceOptions.transport;
  const service = defineService({
    ...serviceOptions,
    name: NOTIFICATIONS_SERVICE,
    // Cursors next to the registry, so a fresh instance on the same Redis carries on from them.
    lifecycleSequence: { cursors: registry.cursors, resyncIntervalMs: leaseMs, now },
  });
  const receipts = new ReceiptPublisher(transport, now);
  const log = service.log;
  const inFlight = new Set<Promise<void>>();
  let orders: Closable | undefined;
  let timer: NodeJS.Timeout | undefined;
  let nodeTimer: NodeJS.Timeout | undefined;
  let sweeping: Promise<number> | undefined;
  let sweepingNodes: Promise<ExpiredNode[]> | undefined;
  let startedAt = 0;

  const push = async (notification: Notification, connectionId?: string): Promise<void> => {
    const pushOptions = { id: notification.id, requiresAck: true };
    const payload = new TextEncoder().encode(notification.payload);
    if (connectionId)
      await service.publisher.toConnection(connectionId, notification.type, payload, pushOptions);
    else await service.publisher.toUser(notification.userId, notification.type, payload, pushOptions);
  };

  const handleOrder = async (message: WorkMessage): Promise<void> => {
    let event: OrderEvent;
    let notification: Notification;
    try {
      event = decodeOrderEvent(message.bytes);
      const content = orderNotification(event);
      const createdAtMs = now();
      notification = {
        id: newId(),
        eventId: event.eventId,
        orderId: event.orderId,
        userId: event.userId,
        type: content.type,
        payload: JSON.stringify(content),
        createdAtMs,
        expiresAtMs: createdAtMs + ttlMs,
      };
    } catch (error) {
      log.warn(
        { err: error, topic: message.topic, key: message.key, size: message.bytes.byteLength },
        'dropping malformed order event',
      );
      return;
    }
    const result = await store.add(notification);
    for (const evicted of result.evicted) await receipts.publish(evicted, 'EXPIRED');
    if (!result.created) {
      const retry = message.attempt > 1 || message.redelivered;
      if (!retry || !result.notification) {
        log.debug({ eventId: event.eventId }, 'duplicate order event; no new notification');
        return;
      }
      notification = result.notification;
    }
    await push(notification);
    await receipts.publish(notification, 'STORED');
    for (const connectionId of await registry.connections(notification.userId))
      await receipts.publish(notification, 'DELIVERED', connectionId);
  };

  /** The user's unacked notifications to a connection that just opened, each with DELIVERED. */
  const sendInbox = async ({ connectionId, userId }: ConnectionRef): Promise<void> => {
    for (const notification of await store.unacked(userId)) {
      await push(notification, connectionId);
      await receipts.publish(notification, 'DELIVERED', connectionId);
    }
  };

  const onLifecycle = async (event: LifecycleEvent, context: LifecycleContext): Promise<void> => {
    const nodeId = event.nodeId ?? '';
    if (event.event === 'connectionOpened') {
      const { connectionId, userId } = event.connectionOpened!;
      if (!userId || !connectionId) return;
      await registry.opened({ nodeId, connectionId, userId }, now());
      await sendInbox({ nodeId, connectionId, userId });
    } else if (event.event === 'snapshot') {
      await applySnapshot(registry, event, context.snapshot, now(), sendInbox);
    } else if (event.event === 'connectionClosed') {
      const { connectionId, userId } = event.connectionClosed!;
      if (connectionId) await registry.closed({ nodeId, connectionId, userId: userId ?? '' });
    } else if (event.event === 'heartbeat') {
      if (nodeId) await registry.heartbeat(nodeId, event.heartbeat!.leaseMs ?? 0, now());
    }
  };

  service.onLifecycle(onLifecycle);
  service.on<switchboard.v1.Ack>(
    INBOX_ACK_TYPE,
    async ({ payload, inbound, log: ackLog }) => {
      const userId = inbound.userId || inbound.key;
      const ids = payload.ids.filter((id) => typeof id === 'string' && id.length > 0);
      if (!userId || ids.length === 0) return;
      const removed = await store.ack(userId, ids);
      for (const notification of removed) await receipts.publish(notification, 'ACKED', inbound.connectionId);
      ackLog.debug({ acked: removed.length, asked: ids.length }, 'inbox ack');
    },
    { decode: (bytes) => switchboard.v1.Ack.decode(bytes) },
  );

  const sweep = (): Promise<number> => {
    sweeping ??= (async () => {
      try {
        const expired = await store.expire(now());
        for (const notification of expired) await receipts.publish(notification, 'EXPIRED');
        if (expired.length > 0) log.info({ expired: expired.length }, 'expired unacked notifications');
        return expired.length;
      } finally {
        sweeping = undefined;
      }
    })();
    return sweeping;
  };

  const expireDeadNodes = async (): Promise<ExpiredNode[]> => {
    const at = now();
    if (at < startedAt + graceMs) return [];
    const expired: ExpiredNode[] = [];
    for (const node of await registry.nodes()) {
      const lease = Math.max(leaseMs, node.leaseMs);
      const lastAlive = node.lastHeartbeatMs || node.firstSeenMs;
      if (lastAlive + lease > at) continue;
      const connections = await registry.expireNode(node.nodeId, at - lease);
      if (!connections) continue; // a heartbeat won the race, or another instance expired it
      log.warn(
        { nodeId: node.nodeId, connections: connections.length, lastAliveMs: lastAlive, leaseMs: lease },
        'node lease expired; its connections no longer count as open',
      );
      await service.forgetNode(node.nodeId);
      expired.push({ nodeId: node.nodeId, connections });
    }
    return expired;
  };

  // Calls overlapping a running pass share it (`.finally` runs after the assignment, even for a pass
  // that returns without awaiting).
  const sweepNodes = (): Promise<ExpiredNode[]> => {
    sweepingNodes ??= expireDeadNodes().finally(() => {
      sweepingNodes = undefined;
    });
    return sweepingNodes;
  };

  return {
    service,
    sweep,
    sweepNodes,
    async start() {
      startedAt = now();
      await service.start();
      orders = await transport.consumeWork(
        ORDERS_TOPIC,
        {
          group: NOTIFICATIONS_SERVICE,
          ordered: true,
          prefetch: serviceOptions.prefetch ?? 16,
          maxAttempts: serviceOptions.maxAttempts ?? 5,
        },
        (message) => {
          const run = handleOrder(message).catch((error: unknown) => {
            log.warn({ err: error, attempt: message.attempt }, 'order event failed; the bus will retry');
            throw error;
          });
          const tracked = run.catch(() => undefined);
          inFlight.add(tracked);
          void tracked.finally(() => inFlight.delete(tracked));
          return run;
        },
      );
      if (sweepIntervalMs > 0) {
        timer = setInterval(() => {
          sweep().catch((error: unknown) => log.warn({ err: error }, 'expiry sweep failed'));
        }, sweepIntervalMs);
        timer.unref();
      }
      if (nodeSweepIntervalMs > 0) {
        nodeTimer = setInterval(() => {
          sweepNodes().catch((error: unknown) => log.warn({ err: error }, 'node lease sweep failed'));
        }, nodeSweepIntervalMs);
        nodeTimer.unref();
      }
    },
    async stop() {
      if (timer) clearInterval(timer);
      if (nodeTimer) clearInterval(nodeTimer);
      timer = undefined;
      nodeTimer = undefined;
      await Promise.all(inFlight);
      await orders?.close();
      orders = undefined;
      await sweeping?.catch(() => undefined);
      await sweepingNodes?.catch(() => undefined);
      await service.stop();
    },
  };
}
