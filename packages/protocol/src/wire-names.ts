/**
 * Names that cross tiers — work topics (= service names) and Inbound message types — defined once, so an
 * edge, a service and the HTTP API cannot drift apart: a rename here breaks the build, not the wire.
 */
import { switchboard } from './gen/switchboard.js';

/** Work topics of the built-in services (a service's name is its topic and its consumer group). */
export const ServiceNames = {
  chat: 'chat',
  history: 'history',
  presence: 'presence',
  notifications: 'notifications',
  /** Lifecycle events of every edge (LifecycleEvent, not Inbound). */
  lifecycle: 'lifecycle',
  /** Order events from backends (OrderEvent), consumed by the notifications service. */
  orders: 'orders',
} as const;

/** Inbound types the chat service handles; all of them are client-callable. */
export const ChatTypes = {
  join: 'chat.join',
  leave: 'chat.leave',
  send: 'chat.send',
  edit: 'chat.edit',
  delete: 'chat.delete',
  typing: 'chat.typing',
  private: 'chat.private',
  rooms: 'chat.rooms',
} as const;

/** Internal types: only an edge (or a backend) may send them, never a client's Send. */
export const HistoryTypes = {
  publish: 'history.publish',
  recover: 'history.recover',
  query: 'history.query',
} as const;
export const PresenceTypes = {
  query: 'presence.query',
  /** Live edge nodes with their connections and busiest channels (the HTTP API's admin view). */
  nodes: 'presence.nodes',
} as const;
export const NotificationTypes = { ack: 'inbox.ack' } as const;

/**
 * Message headers on the broker (docs/bus-contract.md), read by backends in any language. Kafka carries
 * them as they are; AMQP prefixes them `x-` (`amqpHeader`), the broker's convention for custom headers.
 */
export const BusHeaders = {
  /** The ordering key of a work message (room, order, user). */
  key: 'sb-key',
  /** The route of a delivery (channel, user, connection, all). */
  route: 'sb-route',
  /** Handler attempts so far of a work message. */
  attempts: 'sb-attempts',
  /** Why a message was dead-lettered. */
  error: 'sb-error',
  /** The work topic and the consumer group of a dead-lettered message. */
  topic: 'sb-topic',
  group: 'sb-group',
} as const;

/** The AMQP form of a bus header: `x-sb-key`. */
export function amqpHeader(name: (typeof BusHeaders)[keyof typeof BusHeaders]): `x-${typeof name}` {
  return `x-${name}`;
}

/** Who put an Inbound on the bus (see bus.proto `Origin`). */
export const Origin = switchboard.v1.Origin;

/**
 * What a client's `Send` may reach when the edge is not configured otherwise: the chat service's types.
 * Entries are `<service>/<type>`, or `<service>/*` for every type a service declares client-callable.
 */
export const DEFAULT_CLIENT_CALLABLE: readonly string[] = Object.freeze(
  Object.values(ChatTypes).map((type) => `${ServiceNames.chat}/${type}`),
);
