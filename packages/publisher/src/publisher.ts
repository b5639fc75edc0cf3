/**
 * The SDK any Node backend uses to reach clients through the bus. Every method builds one `Delivery`
 * (bus.proto), encodes it once and publishes it on the route of its target; the promise resolves when the
 * broker has accepted the message (publisher confirm) and rejects with the transport's BusError otherwise.
 * Argument errors are thrown as PublisherError before anything is sent.
 *
 * Bodies: a channel gets a `Publication` (what subscribers of the channel receive); a user, a single
 * connection or everyone gets a `Push` with an id (the client's `push` event; the id is what the client
 * acks when the push `requiresAck`).
 *
 * Durable channel publications do not go to the edges directly: they need an offset and an epoch, which
 * only the channel's single writer can assign in order. With `durable: true` the Delivery is wrapped in an
 * `Inbound` (service `history`, type `history.publish`, key = channel) and published as work on the
 * `history` topic; the history service (consuming it ordered, so one channel is handled by one instance at
 * a time) assigns offset + epoch to the Publication, stores it and publishes the Delivery to the channel.
 * The whole Delivery travels, not just the Publication, so `except_connection`, `trace_id` and
 * `published_at_ms` survive the detour. Without a history service running, durable publications wait in
 * the history queue (once the service has declared it by running once; before that, like any topic
 * nobody consumes, the broker drops them).
 */
import type { Transport } from '@switchboard/bus';
import {
  CloseCode,
  encodeDelivery,
  encodeInbound,
  HistoryTypes,
  type IDelivery,
  ServiceNames,
  type switchboard,
} from '@switchboard/protocol';
import { PublisherError, PublisherErrorCodes } from './errors.js';
import { type Payload, toPayloadBytes } from './payload.js';
import { assertChannel, assertUser, nodeOfConnection, routeOf } from './targets.js';

type IClientInfo = switchboard.v1.IClientInfo;
type IDisconnect = switchboard.v1.IDisconnect;

/** Work topic and Inbound type of durable publications on their way to the history service. */
export const HISTORY_TOPIC = ServiceNames.history;
export const HISTORY_PUBLISH_TYPE = HistoryTypes.publish;

/** Close codes used when `disconnect` is given none (see CloseCode in @switchboard/protocol). */
const FORCE_RECONNECT = CloseCode.ForceReconnect;
const FORCE_DISCONNECT = CloseCode.ForceDisconnect;

export interface PublisherOptions {
  readonly transport: Transport;
  /** Clock for `published_at_ms` / `time_ms`. Default Date.now. */
  readonly now?: () => number;
  /** Id generator for pushes without an explicit id. Default crypto.randomUUID. */
  readonly newId?: () => string;
}

interface Common {
  /** Correlates logs and traces across edge and services. */
  readonly traceId?: string;
}

export interface ChannelPublishOptions extends Common {
  /** Connection that must not receive the publication (usually the sender). */
  readonly except?: string;
  /** Recoverable publication: gets an offset/epoch from the history service (see above). */
  readonly durable?: boolean;
  /** Who published, as subscribers see it. */
  readonly from?: IClientInfo;
}

export interface PushOptions extends Common {
  /** Connection that must not receive the push. */
  readonly except?: string;
  /** Push id (for acks and dedup on the client). Default: a new UUID. */
  readonly id?: string;
  /** The client should ack the id (user notifications kept in an inbox). */
  readonly requiresAck?: boolean;
}

export interface DisconnectOptions extends Common {
  /** WebSocket close code. Default 3003 (reconnect) or 3502 (do not reconnect) following `reconnect`. */
  readonly code?: number;
  readonly reason?: string;
  /** May the client come back with the same credentials? Default true. */
  readonly reconnect?: boolean;
  /** Hint for the client's reconnect delay. */
  readonly reconnectDelayMs?: number;
}

export type DisconnectTarget = { readonly connection: string } | { readonly user: string };

export class Publisher {
  readonly #transport: Transport;
  readonly #now: () => number;
  readonly #newId: () => string;

  constructor(options: PublisherOptions | Transport) {
    const opts: PublisherOptions = 'transport' in options ? options : { transport: options };
    this.#transport = opts.transport;
    this.#now = opts.now ?? Date.now;
    this.#newId = opts.newId ?? (() => crypto.randomUUID());
  }

  /** Publishes to every subscriber of `channel`. */
  async toChannel(
    channel: string,
    type: string,
    payload: Payload,
    options: ChannelPublishOptions = {},
  ): Promise<void> {
    assertChannel(channel);
    assertType(type);
    const now = this.#now();
    const delivery: IDelivery = {
      channel,
      exceptConnection: options.except ?? '',
      durable: options.durable ?? false,
      publishedAtMs: now,
      traceId: options.traceId ?? '',
      publication: {
        channel,
        type,
        payload: toPayloadBytes(payload),
        timeMs: now,
        from: options.from ?? null,
      },
    };
    if (!options.durable) return this.send(delivery);
    const inbound = encodeInbound({
      service: HISTORY_TOPIC,
      type: HISTORY_PUBLISH_TYPE,
      key: channel,
      timeMs: now,
      traceId: options.traceId ?? '',
      // A fresh id per publication: the history service stores a redelivered publish once, at its first offset.
      requestId: this.#newId(),
      payload: encodeDelivery(delivery),
    });
    await this.#transport.publishWork(HISTORY_TOPIC, channel, inbound);
  }

  /** Pushes to every connection of `user`, on every node. Resolves with the push id. */
  async toUser(user: string, type: string, payload: Payload, options: PushOptions = {}): Promise<string> {
    assertUser(user);
    return this.#push({ user }, type, payload, options);
  }

  /** Pushes to one connection (routed to the node embedded in its id). Resolves with the push id. */
  async toConnection(
    connectionId: string,
    type: string,
    payload: Payload,
    options: Omit<PushOptions, 'except'> = {},
  ): Promise<string> {
    nodeOfConnection(connectionId);
    return this.#push({ connection: connectionId }, type, payload, options);
  }

  /** Pushes to every connection on every node. Resolves with the push id. */
  async toAll(type: string, payload: Payload, options: PushOptions = {}): Promise<string> {
    return this.#push({ all: true }, type, payload, options);
  }

  /** Closes a connection, or every connection of a user, with a close code and a reconnect hint. */
  async disconnect(target: DisconnectTarget, options: DisconnectOptions = {}): Promise<void> {
    const reconnect = options.reconnect ?? true;
    const code = options.code ?? (reconnect ? FORCE_RECONNECT : FORCE_DISCONNECT);
    if (!Number.isInteger(code) || code < 1000 || code > 4999)
      throw new PublisherError(
        PublisherErrorCodes.BadDisconnect,
        `close code ${code} is outside 1000–4999 (3003 reconnect, 3502 do not reconnect)`,
      );
    const disconnect: IDisconnect = {
      code,
      reason: options.reason ?? '',
      reconnect,
      reconnectDelayMs: options.reconnectDelayMs ?? 0,
    };
    const to = 'connection' in target ? { connection: target.connection } : { user: target.user };
    await this.send({ ...to, publishedAtMs: this.#now(), traceId: options.traceId ?? '', disconnect });
  }

  /**
   * Publishes a Delivery as given (any body: reply, error, history, presence…), on the route of its
   * target. The building block of the methods above and of service replies.
   */
  async send(delivery: IDelivery): Promise<void> {
    const route = routeOf(delivery);
    await this.#transport.publishDelivery(route, encodeDelivery(delivery));
  }

  async #push(
    target: Pick<IDelivery, 'user' | 'connection' | 'all'>,
    type: string,
    payload: Payload,
    options: PushOptions,
  ): Promise<string> {
    assertType(type);
    const id = options.id ?? this.#newId();
    const now = this.#now();
    await this.send({
      ...target,
      exceptConnection: options.except ?? '',
      publishedAtMs: now,
      traceId: options.traceId ?? '',
      push: {
        id,
        type,
        payload: toPayloadBytes(payload),
        timeMs: now,
        requiresAck: options.requiresAck ?? false,
      },
    });
    return id;
  }
}

function assertType(type: string): void {
  if (typeof type !== 'string' || type.length === 0)
    throw new PublisherError(PublisherErrorCodes.BadType, 'message type must be a non-empty string');
}
