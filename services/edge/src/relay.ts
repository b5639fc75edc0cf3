/**
 * Client -> service relay. A client command becomes an Inbound envelope on the service's work topic,
 * published with broker confirmation, stamped by the edge alone: origin, connection, user, node, time.
 *
 * Requests that expect an answer get a correlation id the edge generates (never the client's own id, which
 * the client controls): the answer must carry it back (Reply.request_id or Delivery.frame_id), come from the
 * service the request went to (Delivery.service), be addressed to the asking connection, have the body the
 * request expects, and arrive once, before the timeout. Only then is it written, with the client's own ids
 * put back. Anything else is dropped: a client cannot make another request's answer (another channel's
 * history, a presence list) arrive as the answer to one of its own. The timeout answers for the service, so
 * the client never waits in silence, and a bound on pending requests per connection keeps one client from
 * holding unbounded timers.
 *
 * Tracing: with tracing on, each request is the root span of a trace (`relay <service>/<type>`, ended when
 * the broker confirmed), and its W3C traceparent goes in Inbound.trace_id for the service's handler span to
 * continue. With tracing off, trace_id still gets a fresh traceparent, flagged not sampled: logs correlate by
 * it, and services downstream record nothing.
 */
import type { Transport } from '@switchboard/bus';
import {
  type Delivery,
  ErrorCodes,
  encodeInbound,
  type IServerFrame,
  Origin,
  SwitchboardError,
} from '@switchboard/protocol';
import { NO_TRACING, type Tracing, unsampledTraceparent } from '@switchboard/runtime';
import type { Connection } from './connection.js';

/** How the answer to a request comes back to the client. */
export type Expected =
  /** A `Send` with a request id: a Reply, written with the client's request id. */
  | { readonly kind: 'reply'; readonly requestId: string }
  /** History, presence, recovery: one of `bodies` (or an Error), written with the client's frame id. */
  | { readonly kind: 'frame'; readonly frameId: number; readonly bodies: readonly AnswerBody[] };

export type AnswerBody = 'subscribed' | 'history' | 'presence';

export interface RelayRequest {
  readonly service: string;
  readonly type: string;
  readonly payload: Uint8Array;
  readonly key?: string;
  /** `client`: a client's Send (only client-callable types reach here); `edge`: a command the edge checked. */
  readonly origin: 'client' | 'edge';
  /** Set when an answer is awaited; `onTimeout` then answers for a service that stays silent. */
  readonly expect?: Expected;
  readonly onTimeout?: () => IServerFrame;
}

/** The connection already has `maxPendingRequests` requests awaiting an answer: nothing was published. */
export class TooManyPendingError extends SwitchboardError {
  constructor(limit: number) {
    super(ErrorCodes.TooManyPending, String(limit));
    this.name = 'TooManyPendingError';
  }
}

interface Pending {
  readonly timer: NodeJS.Timeout;
  readonly connection: Connection;
  readonly service: string;
  readonly expect: Expected;
}

/** Correlation ids travel as Delivery.frame_id (uint32) too, so they stay in 1 … 2^32-1. */
const MAX_CORRELATION = 0xffff_ffff;

export class Relay {
  readonly #transport: Transport;
  readonly #nodeId: string;
  readonly #timeoutMs: number;
  readonly #maxPending: number;
  readonly #pending = new Map<number, Pending>();
  readonly #byConnection = new Map<Connection, Set<number>>();
  /** Also the tracing of the delivery fan-out (fan-out.ts): one per edge node. */
  readonly tracing: Tracing;
  #lastCorrelation = 0;

  constructor(
    transport: Transport,
    nodeId: string,
    timeoutMs: number,
    maxPendingPerConnection = 32,
    tracing: Tracing = NO_TRACING,
  ) {
    this.#transport = transport;
    this.#nodeId = nodeId;
    this.#timeoutMs = timeoutMs;
    this.#maxPending = maxPendingPerConnection;
    this.tracing = tracing;
  }

  get pending(): number {
    return this.#pending.size;
  }

  /**
   * Publishes the envelope; resolves once the broker accepted it, rejects with the bus error, or with
   * TooManyPendingError before publishing anything.
   */
  async publish(connection: Connection, request: RelayRequest): Promise<void> {
    const correlation = request.expect ? this.#register(connection, request) : 0;
    const span = this.tracing.enabled
      ? this.tracing.startSpan(`relay ${request.service}/${request.type}`, undefined, {
          kind: 'producer',
          attributes: {
            'messaging.destination.name': request.service,
            'switchboard.type': request.type,
            'switchboard.connection': connection.id,
            'switchboard.node': this.#nodeId,
          },
        })
      : undefined;
    const bytes = encodeInbound({
      connectionId: connection.id,
      userId: connection.userId,
      nodeId: this.#nodeId,
      timeMs: Date.now(),
      traceId: span?.traceparent ?? unsampledTraceparent(),
      service: request.service,
      type: request.type,
      payload: request.payload,
      requestId: correlation ? String(correlation) : '',
      key: request.key ?? '',
      origin: request.origin === 'client' ? Origin.ORIGIN_CLIENT : Origin.ORIGIN_EDGE,
    });
    try {
      await this.#transport.publishWork(request.service, request.key || connection.id, bytes);
    } catch (error) {
      if (correlation) this.#clear(correlation);
      span?.fail(error);
      throw error;
    } finally {
      span?.end();
    }
  }

  /**
   * An answer delivery (a Reply, or a body with frame_id) arrived: the frame to write to the asking
   * connection, with the client's ids put back — or undefined when it answers nothing this edge awaits
   * (late, forged, from another service, for another connection, or of the wrong kind): drop it.
   */
  answer(delivery: Delivery): { connection: Connection; frame: IServerFrame } | undefined {
    const body = delivery.body;
    const correlation = body === 'reply' ? toCorrelation(delivery.reply?.requestId) : delivery.frameId;
    const pending = correlation ? this.#pending.get(correlation) : undefined;
    if (!pending || !body) return undefined;
    if (pending.connection.id !== delivery.connection || pending.service !== delivery.service)
      return undefined;
    const { expect } = pending;
    let frame: IServerFrame;
    if (expect.kind === 'reply') {
      if (body !== 'reply') return undefined;
      frame = { reply: { ...delivery.reply, requestId: expect.requestId } };
    } else {
      if (body !== 'error' && !expect.bodies.includes(body as AnswerBody)) return undefined;
      frame = { id: expect.frameId, [body]: delivery[body] };
    }
    this.#clear(correlation);
    return { connection: pending.connection, frame };
  }

  /** Forgets a closed connection's pending answers. */
  cancel(connection: Connection): void {
    for (const correlation of [...(this.#byConnection.get(connection) ?? [])]) this.#clear(correlation);
  }

  close(): void {
    for (const correlation of [...this.#pending.keys()]) this.#clear(correlation);
  }

  #register(connection: Connection, request: RelayRequest): number {
    const own = this.#byConnection.get(connection);
    if (own && own.size >= this.#maxPending) throw new TooManyPendingError(this.#maxPending);
    const correlation = this.#nextCorrelation();
    const onTimeout = request.onTimeout;
    const timer = setTimeout(() => {
      if (this.#clear(correlation) && onTimeout) connection.send(onTimeout());
    }, this.#timeoutMs);
    this.#pending.set(correlation, {
      timer,
      connection,
      service: request.service,
      expect: request.expect as Expected,
    });
    if (own) own.add(correlation);
    else this.#byConnection.set(connection, new Set([correlation]));
    return correlation;
  }

  #nextCorrelation(): number {
    // At most maxPending × connections ids are in use, far below 2^32: the loop ends within a few steps.
    do {
      this.#lastCorrelation = this.#lastCorrelation >= MAX_CORRELATION ? 1 : this.#lastCorrelation + 1;
    } while (this.#pending.has(this.#lastCorrelation));
    return this.#lastCorrelation;
  }

  #clear(correlation: number): boolean {
    const pending = this.#pending.get(correlation);
    if (!pending) return false;
    clearTimeout(pending.timer);
    this.#pending.delete(correlation);
    const own = this.#byConnection.get(pending.connection);
    own?.delete(correlation);
    if (own?.size === 0) this.#byConnection.delete(pending.connection);
    return true;
  }
}

function toCorrelation(requestId: string | undefined | null): number {
  if (!requestId || !/^[1-9]\d{0,9}$/.test(requestId)) return 0;
  const value = Number(requestId);
  return value <= MAX_CORRELATION ? value : 0;
}
