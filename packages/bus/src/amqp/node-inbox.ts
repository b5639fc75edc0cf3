/**
 * openNode(): the edge node's exclusive, auto-delete inbox `sb.node.<node>`, bound to `*`, `n:<node>` and
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
import type { ResolvedOptions } from './options.js';
import { deliveryRoutingKey } from './routing-key.js';
import type { Session } from './session.js';
import { DELIVERY_EXCHANGE, declareNodeQueue, HEADER_ROUTE, nodeQueue } from './topology.js';
import { headerString } from './work-consumer.js';

export class NodeInbox implements SessionResource, NodeSubscription {
  readonly node: string;
  readonly #manager: ConnectionManager;
  readonly #options: ResolvedOptions;
  readonly #handler: DeliveryHandler;
  /** routing key -> route, for every interest added and not removed (besides the two permanent ones). */
  readonly #interests = new Map<string, Route>();
  readonly #refusals: DeliveryRefusals;
  #channel: Channel | undefined;
  #sessionId = 0;
  #closed = false;

  constructor(manager: ConnectionManager, options: ResolvedOptions, node: string, handler: DeliveryHandler) {
    this.#manager = manager;
    this.#options = options;
    this.node = node;
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
      const queue = await declareNodeQueue(channel, this.node);
      for (const key of [...this.#interests.keys()]) await channel.bindQueue(queue, DELIVERY_EXCHANGE, key);
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
      await (await session.control()).bindQueue(nodeQueue(this.node), DELIVERY_EXCHANGE, key);
    });
  }

  async removeInterest(route: Route): Promise<void> {
    if (this.#closed) return;
    const key = deliveryRoutingKey(route);
    this.#interests.delete(key);
    if (route.kind === 'all' || (route.kind === 'node' && route.node === this.node)) return; // permanent
    await this.#manager.run(`unbind ${routeKey(route)}`, async (session) => {
      if (this.#interests.has(key)) return; // added back meanwhile
      await (await session.control()).unbindQueue(nodeQueue(this.node), DELIVERY_EXCHANGE, key);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#manager.unregister(this);
    this.#interests.clear();
    const channel = this.#channel;
    this.#channel = undefined;
    // Cancelling the only consumer auto-deletes the queue and its bindings.
    await channel?.close().catch(() => undefined);
  }

  #onMessage(channel: Channel, message: ConsumeMessage | null): void {
    if (!message || this.#closed || this.#channel !== channel) return;
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
