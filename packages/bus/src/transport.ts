/**
 * The one interface every bus implementation provides. Transports move opaque bytes; they know neither
 * sockets nor business. Two traffic shapes exist:
 *
 * 1. Work streams (edge -> services, service -> service): `publishWork(topic, key, bytes)`. Every consumer
 *    *group* consuming a topic gets each message once, handled by exactly one instance of that group
 *    (competing consumers). Messages with the same key are handled in order when the group consumes with
 *    `ordered: true`. Handlers ack by resolving; a rejected handler is retried up to `maxAttempts`, then
 *    the message goes to the group's dead-letter stream. Delivery is at least once.
 *
 * 2. Deliveries (services -> edges): `publishDelivery(route, bytes)`. Every *node* that declared interest
 *    in the route gets a copy; nodes without interest get nothing (or, for transports that cannot filter
 *    on the broker, drop it before the handler). Fire-and-forget fan-out: at most once per node.
 */

/** Where a delivery goes. Connection-targeted deliveries route to the node embedded in the connection id. */
export type Route =
  | { readonly kind: 'channel'; readonly channel: string }
  | { readonly kind: 'user'; readonly user: string }
  | { readonly kind: 'node'; readonly node: string }
  | { readonly kind: 'all' };

export interface WorkMessage {
  readonly topic: string;
  readonly key: string;
  readonly bytes: Uint8Array;
  /** 1 on first delivery; counts handler failures seen so far + 1 (where the broker allows, redeliveries too). */
  readonly attempt: number;
  /** The broker says this may have been delivered before (consumer died before acking). */
  readonly redelivered: boolean;
}

export type WorkHandler = (message: WorkMessage) => Promise<void>;

export interface WorkConsumerOptions {
  /** Consumer group (usually the service name). Each group gets every message of the topic once. */
  readonly group: string;
  /** Handle one key at a time and in publish order across all instances of the group. Default true. */
  readonly ordered?: boolean;
  /** Messages in flight per consumer instance (AMQP prefetch). Default 16. */
  readonly prefetch?: number;
  /** Failed handler attempts before the message goes to the dead-letter stream. Default 5. */
  readonly maxAttempts?: number;
}

export interface DeadLetter {
  readonly topic: string;
  readonly group: string;
  readonly key: string;
  readonly bytes: Uint8Array;
  readonly attempts: number;
  /** The last handler error's message. */
  readonly error: string;
}

export type DeadLetterHandler = (letter: DeadLetter) => Promise<void>;

export type DeliveryHandler = (bytes: Uint8Array, route: Route) => void;

export interface Closable {
  close(): Promise<void>;
}

/** A node's inbox for deliveries. Interest changes are idempotent per route. */
export interface NodeSubscription extends Closable {
  readonly node: string;
  /** Start routing `route` to this node; resolves when the broker applies it. */
  addInterest(route: Route): Promise<void>;
  /**
   * Start routing every one of `routes` to this node in one broker round trip where the broker allows
   * (AMQP: pipelined bindings); resolves when the broker applies them all. Optional: without it callers
   * add the routes one by one (InterestIndex batches a turn's new routes through it).
   */
  addInterests?(routes: readonly Route[]): Promise<void>;
  /** Stop routing `route` to this node. */
  removeInterest(route: Route): Promise<void>;
}

export type TransportEvent =
  | { readonly type: 'disconnected'; readonly error?: Error }
  | { readonly type: 'reconnected' }
  /**
   * A node's inbox dropped a delivery whose route it could not tell (no valid route header, and the bytes
   * are not a Delivery with a target). Reported for every such message; the transport also logs it,
   * rate-limited (refusals.ts).
   */
  | { readonly type: 'delivery-refused'; readonly node: string; readonly reason: 'no_route' };

export interface Transport extends Closable {
  readonly kind: string;
  /** Resolves once the broker has accepted the message (publisher confirm / acks=all). Rejects with BusError. */
  publishWork(topic: string, key: string, bytes: Uint8Array): Promise<void>;
  consumeWork(topic: string, options: WorkConsumerOptions, handler: WorkHandler): Promise<Closable>;
  consumeDeadLetters(topic: string, group: string, handler: DeadLetterHandler): Promise<Closable>;
  /** Resolves once the broker has accepted the message. Rejects with BusError. */
  publishDelivery(route: Route, bytes: Uint8Array): Promise<void>;
  /** Opens the node's delivery inbox. It always has interest in `all` and in its own node route. */
  openNode(node: string, handler: DeliveryHandler): Promise<NodeSubscription>;
  /** Connection state changes (for metrics and logs). */
  on(event: 'event', listener: (event: TransportEvent) => void): void;
  /** Closes every connection, consumer and timer the transport opened. Idempotent. */
  close(): Promise<void>;
}
