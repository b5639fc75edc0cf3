/**
 * The presence service: builds who-is-online from the edges' lifecycle events, answers presence queries
 * and publishes Join/Leave to `presence-*` channels.
 *
 * - Memberships are tracked for presence channels only (`presence-x`, `ns:presence-x`); subscriptions to
 *   other channels are ignored. Connections are tracked for every channel kind (per user, per node).
 * - Join/Leave: one Delivery per real membership change, to the channel route, body join/leave with
 *   ClientInfo {user_id, connection_id, info}. The joining connection gets its own Join too. A lifecycle
 *   event the bus redelivers (attempt > 1) republishes its Join/Leave even when the store already holds
 *   the change: a duplicate Join/Leave beats a lost one.
 * - `presence.query` (Inbound, payload PresenceRequest, request_id = decimal frame id): answered with a
 *   Delivery {connection: inbound.connection_id, frame_id, presence: PresenceResult}, or {error} for a bad
 *   payload or a non-presence channel. The API asks the same way, with a connection id on its own node.
 * - `presence.nodes` (internal, the HTTP API's admin view): answered with a Delivery {connection, frame_id,
 *   reply: {type: presence.nodes, payload: NodesResult}} — every node with a live lease as its last
 *   heartbeat described it (node-view.ts; the heartbeat is kept in the store, so any instance answers).
 * - Lost lifecycle events: the kit checks each node's sequence (service-kit lifecycle-resync.ts, cursors
 *   kept in the store); a node found out of sync is asked to re-announce, and its snapshot replaces the
 *   store's connections and memberships of the node, with the Join/Leave that makes (node-snapshot.ts).
 * - Expiry: `sweep()` (every `sweepMs`) expires each node whose last sign of life — its last heartbeat,
 *   else the first time it was seen — is older than max(leaseMs, the heartbeat's lease_ms), and publishes
 *   Leave for its memberships. For the first `graceMs` (default leaseMs) after start nothing is expired,
 *   so heartbeats queued while the service was down are read before anyone is declared dead.
 */
import type { Transport } from '@switchboard/bus';
import {
  ErrorCodes,
  type ErrorSpec,
  type IDelivery,
  type LifecycleEvent,
  PresenceTypes,
  parseChannel,
  ServiceNames,
  switchboard,
} from '@switchboard/protocol';
import {
  defineService,
  type InboundContext,
  type LifecycleContext,
  type Service,
} from '@switchboard/service-kit';
import { applySnapshot } from './node-snapshot.js';
import { liveNodes } from './node-view.js';
import type { ConnectionRef, Member, PresenceStore, RemovedConnection } from './presence-store.js';

const v1 = switchboard.v1;
type Logger = Service['log'];

export const PRESENCE_SERVICE = ServiceNames.presence;
export const PRESENCE_QUERY = PresenceTypes.query;
export const PRESENCE_NODES = PresenceTypes.nodes;
const MAX_FRAME_ID = 0xffff_ffff;

export interface PresenceServiceOptions {
  readonly transport: Transport;
  readonly store: PresenceStore;
  /** Minimum lease of a node (ms). */
  readonly leaseMs: number;
  /** Sweep interval (ms); 0 = no timer (call sweep() yourself). Default 0. */
  readonly sweepMs?: number;
  /** Nothing is expired until this long after start(). Default leaseMs. */
  readonly graceMs?: number;
  /** Service clock. Default Date.now. */
  readonly now?: () => number;
  readonly logger?: Logger;
  /** /healthz /metrics port; false = none. Default false. */
  readonly httpPort?: number | false;
  readonly httpHost?: string;
}

export interface ExpiredNode {
  readonly nodeId: string;
  readonly connections: readonly RemovedConnection[];
}

export function isPresenceChannel(channel: string): boolean {
  try {
    return parseChannel(channel).kind === 'presence';
  } catch {
    return false;
  }
}

export class PresenceService {
  readonly service: Service;
  readonly store: PresenceStore;
  readonly #leaseMs: number;
  readonly #sweepMs: number;
  readonly #graceMs: number;
  readonly #now: () => number;
  #startedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<ExpiredNode[]> | undefined;

  constructor(options: PresenceServiceOptions) {
    this.store = options.store;
    this.#leaseMs = options.leaseMs;
    this.#sweepMs = options.sweepMs ?? 0;
    this.#graceMs = options.graceMs ?? options.leaseMs;
    this.#now = options.now ?? Date.now;
    this.service = defineService({
      name: PRESENCE_SERVICE,
      transport: options.transport,
      logger: options.logger,
      httpPort: options.httpPort ?? false,
      httpHost: options.httpHost,
      // Cursors next to the presence state, so a fresh instance on the same store carries on from them.
      lifecycleSequence: {
        cursors: options.store.cursors,
        resyncIntervalMs: options.leaseMs,
        now: this.#now,
      },
    });
    this.service.onLifecycle((event, context) => this.handleLifecycle(event, context));
    this.service.on(PRESENCE_QUERY, (context) => this.#query(context));
    this.service.on(PRESENCE_NODES, (context) => this.#nodesQuery(context));
  }

  get log(): Logger {
    return this.service.log;
  }

  async start(): Promise<void> {
    this.#startedAt = this.#now();
    await this.service.start();
    if (this.#sweepMs > 0) {
      this.#timer = setInterval(() => {
        this.sweep().catch((error: unknown) => this.log.warn({ err: error }, 'presence sweep failed'));
      }, this.#sweepMs);
      this.#timer.unref();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#sweeping?.catch(() => undefined);
    await this.service.stop();
  }

  /** Applies one lifecycle event to the store and publishes the resulting Join/Leave. */
  async handleLifecycle(
    event: LifecycleEvent,
    context?: Pick<LifecycleContext, 'attempt' | 'snapshot'>,
  ): Promise<void> {
    const retry = (context?.attempt ?? 1) > 1;
    const nodeId = event.nodeId;
    const now = this.#now();
    switch (event.event) {
      case 'connectionOpened': {
        const e = event.connectionOpened!;
        const ref = refOf(nodeId, e);
        if (!ref) return;
        await this.store.connectionOpened(ref, e.info ?? new Uint8Array(0), now);
        return;
      }
      case 'connectionClosed': {
        const removed = await this.store.connectionClosed(event.connectionClosed!.connectionId ?? '');
        if (removed) await this.#publishLeaves([removed]);
        return;
      }
      case 'subscribed': {
        const e = event.subscribed!;
        const ref = refOf(nodeId, e);
        const channel = e.channel ?? '';
        if (!ref || !isPresenceChannel(channel)) return;
        const member = await this.store.join(ref, channel, now);
        if (member || retry) await this.#publish(channel, 'join', member ?? ref);
        return;
      }
      case 'unsubscribed': {
        const e = event.unsubscribed!;
        const ref = refOf(nodeId, e);
        const channel = e.channel ?? '';
        if (!ref || !isPresenceChannel(channel)) return;
        const member = await this.store.leave(ref.connectionId, channel);
        if (member || retry) await this.#publish(channel, 'leave', member ?? ref);
        return;
      }
      case 'heartbeat': {
        if (!nodeId) return;
        const heartbeat = event.heartbeat!;
        const status = v1.NodeHeartbeat.encode(heartbeat).finish(); // kept for the admin view
        await this.store.heartbeat(nodeId, heartbeat.leaseMs ?? 0, now, status);
        return;
      }
      case 'snapshot':
        await applySnapshot(this.store, event, context?.snapshot, now, isPresenceChannel, {
          publish: (channel, body, member) => this.#publish(channel, body, member),
          publishLeaves: (removed) => this.#publishLeaves(removed),
        });
        return;
    }
  }

  /**
   * Expires every node silent for longer than its lease and publishes Leave for its memberships. Calls
   * overlapping a running sweep share it. Returns what this call expired.
   */
  sweep(): Promise<ExpiredNode[]> {
    this.#sweeping ??= this.#sweep().finally(() => {
      this.#sweeping = undefined;
    });
    return this.#sweeping;
  }

  async #sweep(): Promise<ExpiredNode[]> {
    const now = this.#now();
    if (now < this.#startedAt + this.#graceMs) return [];
    const expired: ExpiredNode[] = [];
    for (const node of await this.store.nodes()) {
      const lease = Math.max(this.#leaseMs, node.leaseMs);
      const lastAlive = node.lastHeartbeatMs || node.firstSeenMs;
      if (lastAlive + lease > now) continue;
      const connections = await this.store.expireNode(node.nodeId, now - lease);
      if (!connections) continue;
      this.log.warn(
        { nodeId: node.nodeId, connections: connections.length, lastAliveMs: lastAlive, leaseMs: lease },
        'node lease expired; its connections are gone',
      );
      await this.#publishLeaves(connections);
      await this.service.forgetNode(node.nodeId);
      expired.push({ nodeId: node.nodeId, connections });
    }
    return expired;
  }

  async #publishLeaves(removed: readonly RemovedConnection[]): Promise<void> {
    for (const connection of removed)
      for (const channel of connection.channels) await this.#publish(channel, 'leave', connection);
  }

  async #publish(
    channel: string,
    body: 'join' | 'leave',
    member: Pick<Member, 'connectionId' | 'userId'> & { info?: Uint8Array },
  ): Promise<void> {
    const info = { userId: member.userId, connectionId: member.connectionId, info: member.info ?? null };
    await this.service.publisher.send({ channel, publishedAtMs: this.#now(), [body]: { channel, info } });
  }

  /** Sends a query's answer to the asking connection, or undefined when the query names nobody to answer. */
  #answerer(context: InboundContext<Uint8Array>): ((body: Partial<IDelivery>) => Promise<void>) | undefined {
    const inbound = context.inbound;
    const frameId = parseFrameId(inbound.requestId);
    if (!inbound.connectionId || frameId === undefined) {
      context.log.warn(
        { requestId: inbound.requestId, type: inbound.type },
        'presence query without connection id or numeric request id: nobody to answer',
      );
      return undefined;
    }
    return (body) =>
      this.service.publisher.send({
        connection: inbound.connectionId,
        frameId,
        service: this.service.name, // the edge accepts an answer only from the service it asked
        traceId: inbound.traceId,
        publishedAtMs: this.#now(),
        ...body,
      });
  }

  async #nodesQuery(context: InboundContext<Uint8Array>): Promise<void> {
    const answer = this.#answerer(context);
    if (!answer) return;
    const nodes = liveNodes(await this.store.nodes(), this.#now(), this.#leaseMs);
    const payload = v1.NodesResult.encode({ nodes }).finish();
    await answer({ reply: { requestId: context.inbound.requestId, type: PRESENCE_NODES, payload } });
  }

  async #query(context: InboundContext<Uint8Array>): Promise<void> {
    const answer = this.#answerer(context);
    if (!answer) return;
    const fail = (spec: ErrorSpec, message: string) =>
      answer({ error: { code: spec.wire, message, temporary: spec.temporary } });
    let channel: string;
    try {
      channel = v1.PresenceRequest.decode(context.payload).channel;
    } catch {
      return fail(ErrorCodes.BadRequest, 'presence request does not decode');
    }
    if (!isPresenceChannel(channel))
      return fail(ErrorCodes.BadChannel, `presence is tracked on presence- channels only, not "${channel}"`);
    const members = await this.store.members(channel);
    await answer({
      presence: {
        channel,
        clients: members.map((m) => ({ userId: m.userId, connectionId: m.connectionId, info: m.info })),
      },
    });
  }
}

function parseFrameId(requestId: string): number | undefined {
  if (!/^\d{1,10}$/.test(requestId)) return undefined;
  const id = Number(requestId);
  return id > 0 && id <= MAX_FRAME_ID ? id : undefined;
}

function refOf(
  nodeId: string,
  e: { connectionId?: string | null; userId?: string | null },
): ConnectionRef | undefined {
  if (!nodeId || !e.connectionId) return undefined;
  return { nodeId, connectionId: e.connectionId, userId: e.userId ?? '' };
}
