/**
 * The contract of a service built with `defineService`: its options, what a handler gets, and the Service
 * object. The implementation is service.ts.
 */
import type { Transport } from '@switchboard/bus';
import type { ErrorName, ErrorSpec, Inbound, LifecycleEvent } from '@switchboard/protocol';
import type { Payload, Publisher } from '@switchboard/publisher';
import type { Tracing } from '@switchboard/runtime';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { LifecycleCursorStore } from './lifecycle-sequence.js';
import type { PayloadDecoder } from './payloads.js';

export interface ServiceOptions {
  /** Service name: its work topic, its consumer group, and the `service` metrics label. */
  readonly name: string;
  readonly transport: Transport;
  /** Default: silent. The service logs through `logger.child({ service: name })`. */
  readonly logger?: Logger;
  /** Default: a new Registry (see `service.metrics`). */
  readonly metricsRegistry?: Registry;
  /** Port of /healthz, /readyz, /metrics; 0 = any free port; false = no HTTP server. Default 0. */
  readonly httpPort?: number | false;
  /** Default: every interface. */
  readonly httpHost?: string;
  /** Messages in flight per instance (bus prefetch). Default 16. */
  readonly prefetch?: number;
  /** Handler attempts before a message is dead-lettered. Default 5. */
  readonly maxAttempts?: number;
  /** How long stop() waits for in-flight handlers. Default 10 000 ms. */
  readonly stopTimeoutMs?: number;
  /** Default: a Publisher on `transport`. */
  readonly publisher?: Publisher;
  /** Handler and reply spans (tracing.ts). Default: the process's, from the environment. */
  readonly tracing?: Tracing;
  /** Gap detection on the lifecycle topic (lifecycle-resync.ts). */
  readonly lifecycleSequence?: LifecycleSequenceOptions;
}

export interface LifecycleSequenceOptions {
  /**
   * Where the per-node cursors live: next to the consumer's state (RedisLifecycleCursors when that is on
   * Redis). Default: in memory.
   */
  readonly cursors?: LifecycleCursorStore;
  /** Least time between two re-announce requests to one node (its heartbeat's lease when longer). Default 15 000. */
  readonly resyncIntervalMs?: number;
  /** Clock of the rate limit. Default Date.now. */
  readonly now?: () => number;
}

/** How far a node's snapshot (LifecycleEvent.snapshot) got, given with each of its chunks. */
export interface SnapshotProgress {
  /** This chunk is the snapshot's last. */
  readonly last: boolean;
  /**
   * The last chunk, and every chunk of the snapshot arrived in order: the node's connections are exactly
   * `connectionIds`, so the handler drops the others. False: upsert what the chunk holds, drop nothing.
   */
  readonly complete: boolean;
  /** Connection ids of the snapshot's chunks so far (this one included). */
  readonly connectionIds: ReadonlySet<string>;
}

/** What a handler gets for one Inbound message. */
export interface InboundContext<T> {
  readonly type: string;
  readonly payload: T;
  /** The decoded envelope: connection id, user id, node id, request id, key, trace id… */
  readonly inbound: Inbound;
  readonly attempt: number;
  readonly redelivered: boolean;
  /** Child logger bound to the connection, user, type and trace. */
  readonly log: Logger;
  /** Replies to the request; resolves false (sending nothing) when the message carries no request id. */
  reply(type: string, payload: Payload): Promise<boolean>;
  replyError(code: ErrorName | ErrorSpec, message?: string): Promise<boolean>;
}

export type InboundHandler<T> = (message: InboundContext<T>) => Promise<void> | void;

export interface LifecycleContext {
  readonly attempt: number;
  readonly redelivered: boolean;
  readonly log: Logger;
  /** On a snapshot chunk only. */
  readonly snapshot?: SnapshotProgress;
}

export type LifecycleHandler = (event: LifecycleEvent, context: LifecycleContext) => Promise<void> | void;

export interface HandlerOptions<T> {
  /** Turns the payload bytes into T (e.g. `json<MyType>(validate)`); a throw makes the message bad. */
  readonly decode?: PayloadDecoder<T>;
  /**
   * Clients may send this type through an edge (`Send{service, type}`). Default false: the type is internal
   * and an Inbound the edge stamped as client-originated is refused with SB_ERR_NOT_CALLABLE, unhandled —
   * the second wall behind the edge's allow-list. Handlers of client-callable types must treat the payload
   * as hostile and act only as `inbound.userId` may.
   */
  readonly clientCallable?: boolean;
}

export interface Service {
  readonly name: string;
  readonly log: Logger;
  readonly metrics: Registry;
  readonly publisher: Publisher;
  /** True between a successful start() and stop(). */
  readonly ready: boolean;
  /** The HTTP port once started (undefined without a server). */
  readonly httpPort: number | undefined;
  on<T = Uint8Array>(type: string, handler: InboundHandler<T>, options?: HandlerOptions<T>): Service;
  onLifecycle(handler: LifecycleHandler): Service;
  /**
   * A node expired (its lease ran out): forgets its lifecycle cursor, so the node, if it comes back, is
   * re-synced instead of trusted.
   */
  forgetNode(nodeId: string): Promise<void>;
  reply(inbound: Inbound, type: string, payload: Payload): Promise<boolean>;
  replyError(inbound: Inbound, code: ErrorName | ErrorSpec, message?: string): Promise<boolean>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
