/**
 * openNode(): the edge node's exclusive, auto-delete inbox `sb.node.<node>` (a fresh `.r<n>` name for each
 * re-declaration: topology.ts nodeQueue), bound to `*`, `n:<node>` and
 * one binding per interest. Consumed with noAck: fan-out is at most once, and the broker then pushes
 * without waiting for acks (prefetch does not apply to noAck consumers). The exclusive queue dies with
 * the connection, so every reconnect re-declares it and re-binds every interest still held.
 *
 * The route handed to the handler comes from the routing key the message was bound by (see #routeOf), so
 * a delivery published without the `x-sb-route` header — as a backend in another language naturally does
 * (docs/bus-contract.md) — is delivered like any other; one whose route cannot be told is refused loudly.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import { routeOfDeliveryBytes } from '../delivery-route.js';
import { DeliveryRefusals } from '../refusals.js';
import { parseRouteKey, routeKey } from '../routes.js';
import type { DeliveryHandler, NodeSubscription, Route } from '../transport.js';
import type { ConnectionManager, SessionResource } from './connection-manager.js';
import { headerString } from './message-headers.js';
import type { ResolvedOptions } from './options.js';
import { bindPipelined } from './pipelined-bind.js';
import { deliveryRoutingKey } from './routing-key.js';
import type { Session } from './session.js';
import { DELIVERY_EXCHANGE, declareNodeQueue, HEADER_ROUTE, nodeQueue } from './topology.js';

/** Channels a large binding batch is spread over, and the fewest bindings worth a channel of their own. */
const BIND_CHANNELS = 4;
const BIND_CHUNK = 32;

export class NodeInbox implements SessionResource, NodeSubscription {
  readonly node: string;
  readonly #manager: ConnectionManager;
  readonly #options: ResolvedOptions;
  readonly #handler: DeliveryHandler;
  /** routing key -> route, for every interest added and not removed (besides the two permanent ones). */
  readonly #interests = new Map<string, Route>();
  readonly #refusals: DeliveryRefusals;
  /** Extra channels for large binding batches, by index (1…BIND_CHANNELS-1; 0 is the session's control). */
  readonly #binders = new Map<number, { sessionId: number; channel: Promise<Channel> }>();
  #channel: Channel | undefined;
  /** The inbox's current queue name, and how many declarations were tried (the next one's suffix). */
  #queue: string;
  #declarations = 0;
  #sessionId = 0;
  #closed = false;

  constructor(manager: ConnectionManager, options: ResolvedOptions, node: string, handler: DeliveryHandler) {
    this.#manager = manager;
    this.#options = options;
    this.node = node;
    this.#queue = nodeQueue(node);
    this.#handler = handler;
    this.#refusals = new DeliveryRefusals(
      node,
      (event) => manager.events.emit('event', event),
      options.logger,
    );
  }

  async attach(session: Session): Promise<void> {
    if (this.#closed || this.#sessionId === session.id) return;
    const channel = await session.openChannel(`node ${this.node}`);
    // Set before consuming: deliveries may arrive while the remaining queues are still being consumed.
    const previous = this.#channel;
    this.#channel = channel;
    try {
      const queue = await declareNodeQueue(channel, this.node, this.#declarations++);
      // Set before binding the interests: an interest added from now on binds to this queue itself.
      this.#queue = queue;
      await bindPipelined(channel, queue, DELIVERY_EXCHANGE, [...this.#interests.keys()]);
      await channel.consume(queue, (message) => this.#onMessage(channel, message), { noAck: true });
    } catch (error) {
      if (this.#channel === channel) this.#channel = previous;
      await channel.close().catch(() => undefined);
      throw error;
    }
    if (this.#closed) {
      await channel.close().catch(() => undefined);
      return;
    }
    this.#sessionId = session.id;
  }

  async addInterest(route: Route): Promise<void> {
    if (this.#closed) return;
    const key = deliveryRoutingKey(route);
    this.#interests.set(key, route);
    await this.#manager.run(`bind ${routeKey(route)}`, async (session) => {
      if (!this.#interests.has(key)) return; // removed meanwhile
      await (await session.control()).bindQueue(this.#queue, DELIVERY_EXCHANGE, key);
    });
  }

  /**
   * One round trip for the lot (see pipelined-bind.ts): a connect storm's user routes, a turn at a time.
   * RabbitMQ applies one channel's bindings one after another (~0.4–0.7 ms each here, a metadata
   * transaction per binding), so a large batch is spread over up to BIND_CHANNELS channels of its own.
   */
  async addInterests(routes: readonly Route[]): Promise<void> {
    if (this.#closed) return;
    const keys = routes.map((route) => {
      const key = deliveryRoutingKey(route);
      this.#interests.set(key, route);
      return key;
    });
    await this.#manager.run(`bind ${keys.length} routes`, async (session) => {
      const wanted = keys.filter((key) => this.#interests.has(key)); // removed meanwhile
      const parts = Math.min(BIND_CHANNELS, Math.ceil(wanted.length / BIND_CHUNK));
      await Promise.all(
        Array.from({ length: parts }, async (_, i) => {
          const chunk = wanted.filter((_key, at) => at % parts === i);
          const channel = i === 0 ? await session.control() : await this.#binder(session, i);
          await bindPipelined(channel, this.#queue, DELIVERY_EXCHANGE, chunk);
        }),
      );
    });
  }

  /** The `i`th extra binding channel of this session (opened on first use, forgotten when it closes). */
  #binder(session: Session, i: number): Promise<Channel> {
    const cached = this.#binders.get(i);
    if (cached && cached.sessionId === session.id) return cached.channel;
    const channel = session.openChannel(`bind ${this.node} #${i}`);
    const entry = { sessionId: session.id, channel };
    this.#binders.set(i, entry);
    const forget = () => {
      if (this.#binders.get(i) === entry) this.#binders.delete(i);
    };
    channel.then((c) => c.once('close', forget), forget);
    return channel;
  }

  async removeInterest(route: Route): Promise<void> {
    if (this.#closed) return;
    const key = deliveryRoutingKey(route);
    this.#interests.delete(key);
    if (route.kind === 'all' || (route.kind === 'node' && route.node === this.node)) return; // permanent
    await this.#manager.run(`unbind ${routeKey(route)}`, async (session) => {
      if (this.#interests.has(key)) return; // added back meanwhile
      await (await session.control()).unbindQueue(this.#queue, DELIVERY_EXCHANGE, key);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#manager.unregister(this);
    this.#interests.clear();
    const channel = this.#channel;
    this.#channel = undefined;
    const binders = [...this.#binders.values()];
    this.#binders.clear();
    for (const binder of binders) void binder.channel.then((c) => c.close()).catch(() => undefined);
    // Cancelling the only consumer auto-deletes the queue and its bindings.
    await channel?.close().catch(() => undefined);
  }

  #onMessage(channel: Channel, message: ConsumeMessage | null): void {
    if (!message) {
      if (!this.#closed && this.#channel === channel) void this.#redeclare(channel);
      return;
    }
    if (this.#closed || this.#channel !== channel) return;
    const { content } = message;
    const bytes = new Uint8Array(content.buffer, content.byteOffset, content.byteLength);
    const route = this.#routeOf(message, bytes);
    if (!route) {
      this.#refusals.refuse({ routingKey: message.fields.routingKey, exchange: message.fields.exchange });
      return;
    }
    try {
      this.#handler(bytes, route);
    } catch (error) {
      this.#options.logger.error({ err: error, node: this.node }, 'delivery handler threw');
    }
  }

  /**
   * The broker cancelled our consumer: the inbox was deleted under a live connection. In a cluster this
   * happens after a node is lost (seen in test/cluster's drill, when re-declarations reused the name and the
   * survivors' clean-up of the lost node's exclusive queues removed the new inbox too), or by an operator.
   * Declare it again with every binding on the live session, then report `reconnected` so the edge re-syncs what was
   * published while the inbox was missing.
   */
  async #redeclare(channel: Channel): Promise<void> {
    this.#options.logger.warn(
      { node: this.node },
      'amqp node inbox deleted by the broker; declaring it again',
    );
    this.#sessionId = 0;
    await channel.close().catch(() => undefined);
    try {
      await this.#manager.run(`re-declare node ${this.node}`, (session) => this.attach(session));
      if (!this.#closed) this.#manager.events.emit('event', { type: 'reconnected' });
    } catch (error) {
      // The connection went meanwhile: its reconnect re-attaches the inbox (sessionId was reset).
      this.#options.logger.warn({ err: error, node: this.node }, 'amqp node inbox re-declare failed');
    }
  }

  /**
   * The route a message came on. The broker delivered it here because its routing key matched one of this
   * queue's bindings, so the routing key says it: a plain route key as is, a hashed `h:` key through the
   * interest that bound it. Publishers in other languages send what the contract asks for (exchange and
   * routing key) and need no header. Only a message that matches none of that — an `h:` key whose interest
   * was removed meanwhile, or something sent to the queue by name — falls back to the `x-sb-route` header,
   * then to the Delivery's own target.
   */
  #routeOf(message: ConsumeMessage, bytes: Uint8Array): Route | undefined {
    const routingKey = message.fields.routingKey;
    if (message.fields.exchange === DELIVERY_EXCHANGE) {
      const bound = routingKey.startsWith('h:') ? this.#interests.get(routingKey) : tryParse(routingKey);
      if (bound) return bound;
    }
    const header = headerString(message, HEADER_ROUTE);
    return (header === undefined ? undefined : tryParse(header)) ?? routeOfDeliveryBytes(bytes);
  }
}

function tryParse(key: string): Route | undefined {
  try {
    return parseRouteKey(key);
  } catch {
    return undefined;
  }
}
