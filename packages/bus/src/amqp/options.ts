/** Typed options of the RabbitMQ transport. The library never reads the environment; services pass these in. */
import { resolveTopicBounds, type TopicBound, type TopicBoundsOption } from '../backlog.js';
import { parseAmqpUrls } from './broker-urls.js';

/** The subset of pino's API the transport logs through. */
export interface AmqpLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface AmqpTransportOptions {
  /**
   * amqp(s)://user:pass@host:port/vhost, or the nodes of a cluster as full URLs separated by commas: tried in
   * order, the transport reconnects to any node that answers (broker-urls.ts).
   */
  readonly url: string;
  /** Injected logger; silent by default. */
  readonly logger?: AmqpLogger;
  /** How long a publish (or an interest change) waits for a lost connection to come back. Default 10 s. */
  readonly publishTimeoutMs?: number;
  /** Reconnect backoff: full jitter over base * 2^attempt, capped. Defaults 200 ms and 5 s. */
  readonly reconnectBaseMs?: number;
  readonly reconnectMaxMs?: number;
  /** Shard queues per ordered consumer group (1..16). Default 16. */
  readonly shards?: number;
  /** Pause before the in-process retry of a failed handler: base * 2^(attempt-1), capped. Defaults 100 ms, 5 s. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /** AMQP heartbeat in seconds. Default 10. */
  readonly heartbeatSeconds?: number;
  /** Connection name shown in the management UI. */
  readonly connectionName?: string;
  /**
   * Backlog bounds per work topic, merged over the default (`lifecycle`: 200,000 messages per group, 1 h);
   * `null` removes one. Applied as queue arguments when a group's queues are first declared (backlog.ts).
   */
  readonly topicBounds?: TopicBoundsOption;
  /**
   * Type of the durable work, shard and dead-letter queues. `quorum` (default) replicates them over the
   * cluster's nodes, so losing one node of three loses nothing; it works on a single node too. `classic`
   * is what versions before quorum queues declared (queue-declarer.ts handles queues declared so).
   */
  readonly queueType?: QueueType;
  /**
   * Quorum queues: how often the broker may hand a work message out again (its consumer died, or gave it
   * back) before dead-lettering it — the net for a message that crashes whatever handles it, which the
   * in-process retry count cannot see. Handler failures are still counted in-process (maxAttempts).
   * Default 20: also covers the hand-backs of shard moves, which the broker counts too.
   */
  readonly deliveryLimit?: number;
}

export type QueueType = 'quorum' | 'classic';

export interface ResolvedOptions {
  /** The broker nodes, in the order they are tried. */
  readonly urls: readonly string[];
  readonly logger: AmqpLogger;
  readonly publishTimeoutMs: number;
  readonly reconnectBaseMs: number;
  readonly reconnectMaxMs: number;
  readonly shards: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly heartbeatSeconds: number;
  readonly connectionName: string;
  readonly topicBounds: ReadonlyMap<string, TopicBound>;
  readonly queueType: QueueType;
  readonly deliveryLimit: number;
}

const noop = () => undefined;
export const silentLogger: AmqpLogger = { debug: noop, info: noop, warn: noop, error: noop };

export const BUCKETS = 16;
export const DEFAULT_DELIVERY_LIMIT = 20;

export function resolveOptions(options: AmqpTransportOptions): ResolvedOptions {
  const shards = options.shards ?? BUCKETS;
  if (!Number.isInteger(shards) || shards < 1 || shards > BUCKETS) {
    throw new RangeError(`shards must be an integer in 1..${BUCKETS}, got ${shards}`);
  }
  const queueType = options.queueType ?? 'quorum';
  if (queueType !== 'quorum' && queueType !== 'classic') {
    throw new RangeError(`queueType must be quorum or classic, got ${String(queueType)}`);
  }
  const deliveryLimit = options.deliveryLimit ?? DEFAULT_DELIVERY_LIMIT;
  if (!Number.isInteger(deliveryLimit) || deliveryLimit < 1) {
    throw new RangeError(`deliveryLimit must be a positive integer, got ${deliveryLimit}`);
  }
  return Object.freeze({
    urls: Object.freeze(parseAmqpUrls(options.url)),
    logger: options.logger ?? silentLogger,
    publishTimeoutMs: options.publishTimeoutMs ?? 10_000,
    reconnectBaseMs: options.reconnectBaseMs ?? 200,
    reconnectMaxMs: options.reconnectMaxMs ?? 5_000,
    shards,
    retryBaseMs: options.retryBaseMs ?? 100,
    retryMaxMs: options.retryMaxMs ?? 5_000,
    heartbeatSeconds: options.heartbeatSeconds ?? 10,
    connectionName: options.connectionName ?? 'switchboard-bus',
    topicBounds: resolveTopicBounds(options.topicBounds),
    queueType,
    deliveryLimit,
  });
}
