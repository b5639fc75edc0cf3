/** Options of the Redis transport, with named defaults. Library code: nothing here reads the environment. */

import type { Redis } from 'ioredis';
import { resolveTopicBounds, type TopicBound, type TopicBoundsOption } from '../backlog.js';
import { parseRedisUrl } from './redis-connection.js';

type LogFn = (obj: object, msg?: string) => void;

/** pino-like logger the transport writes to. */
export interface RedisBusLogger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

const noop: LogFn = () => undefined;
export const silentLogger: RedisBusLogger = { debug: noop, info: noop, warn: noop, error: noop };

export interface RedisTransportOptions {
  /**
   * `redis://[user:pass@]host:port[/db]`, `rediss://…` (TLS), or a primary watched by Sentinel:
   * `redis+sentinel://[user:pass@]host:port,host:port/primary-name[/db]` (redis-connection.ts).
   */
  readonly url: string;
  /** CLIENT SETNAME of every connection, so CLIENT LIST shows which process it is. Default `switchboard`. */
  readonly connectionName?: string;
  readonly logger?: RedisBusLogger;
  /**
   * Shard streams of a work topic. The first process that publishes to or consumes a topic fixes its count in
   * Redis (`sb:meta:<topic>:shards`); later processes use that count whatever they are configured with.
   * Bounds the parallelism of an ordered group. Default 16.
   */
  readonly shards?: number;
  /** Approximate MAXLEN of each work shard stream (XADD MAXLEN ~): older entries are trimmed. Default 100 000. */
  readonly maxStreamLength?: number;
  /** Approximate MAXLEN of a dead-letter stream. Default 100 000. */
  readonly deadLetterMaxLength?: number;
  /** How long a publish waits for an unreachable Redis before rejecting with BusUnavailableError. Default 10 s. */
  readonly publishTimeoutMs?: number;
  /**
   * Publishes issued while a batch is in flight go out together in the next one, up to about this many bytes
   * (a larger message goes alone). Default 512 KiB.
   */
  readonly publishBatchMaxBytes?: number;
  /**
   * How long a publish already written to Redis waits for the answer before it counts as failed. Its outcome
   * is unknown then (Redis may still apply it), so this is kept well above `publishTimeoutMs`, which bounds
   * only the wait for a connection: it covers a Redis that accepts connections but does not answer. Default 30 s.
   */
  readonly publishAnswerTimeoutMs?: number;
  /** TCP connect timeout of each connection attempt; connect() fails after the first failed attempt. Default 5 s. */
  readonly connectTimeoutMs?: number;
  /**
   * How long an instance may be silent before its work is taken over: unordered groups XAUTOCLAIM entries idle
   * longer than this; ordered groups expire a silent instance's membership and shard leases after it.
   * Default 30 s.
   */
  readonly visibilityTimeoutMs?: number;
  /** Membership heartbeat / lease renewal / rebalance check of ordered groups. Default 1 s. */
  readonly heartbeatIntervalMs?: number;
  /** XREADGROUP BLOCK; an idle consumer notices a new shard or a close within about this. Default 1 s. */
  readonly blockMs?: number;
  /** First in-process retry delay after a handler failure; doubles per attempt. Default 100 ms. */
  readonly retryDelayMs?: number;
  /** Cap of the retry delay. Default 5 s. */
  readonly maxRetryDelayMs?: number;
  /**
   * Backlog bounds per work topic, merged over the default (`lifecycle`: 200,000 messages, 1 h); `null`
   * removes one. The publisher trims each shard stream exactly to ceil(maxMessages / shards) (XADD MAXLEN =)
   * instead of `maxStreamLength`, and entries older than maxAgeMs (XTRIM MINID ~). The streams are shared by
   * every group of the topic, so the bound is per topic: size it for the slowest live group (backlog.ts).
   */
  readonly topicBounds?: TopicBoundsOption;
}

/** What every stream reader of one topic and group gets: the work consumer and the dead-letter reader. */
export interface StreamReaderConfig {
  readonly redis: Redis;
  /** Dedicated connection for the blocking reads; the reader disconnects it on close. */
  readonly reader: Redis;
  readonly options: ResolvedRedisOptions;
  readonly logger: RedisBusLogger;
  readonly topic: string;
  readonly group: string;
}

export interface ResolvedRedisOptions {
  readonly url: string;
  readonly connectionName: string;
  readonly shards: number;
  readonly maxStreamLength: number;
  readonly deadLetterMaxLength: number;
  readonly publishTimeoutMs: number;
  readonly publishBatchMaxBytes: number;
  readonly publishAnswerTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly visibilityTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly blockMs: number;
  readonly retryDelayMs: number;
  readonly maxRetryDelayMs: number;
  readonly topicBounds: ReadonlyMap<string, TopicBound>;
}

export const REDIS_DEFAULTS = {
  connectionName: 'switchboard',
  shards: 16,
  maxStreamLength: 100_000,
  deadLetterMaxLength: 100_000,
  publishTimeoutMs: 10_000,
  publishBatchMaxBytes: 512 * 1024,
  publishAnswerTimeoutMs: 30_000,
  connectTimeoutMs: 5_000,
  visibilityTimeoutMs: 30_000,
  heartbeatIntervalMs: 1_000,
  blockMs: 1_000,
  retryDelayMs: 100,
  maxRetryDelayMs: 5_000,
} as const;

export function resolveRedisOptions(options: RedisTransportOptions): ResolvedRedisOptions {
  parseRedisUrl(options.url, 'RedisTransport url'); // throws RedisUrlError naming the fix
  const resolved: ResolvedRedisOptions = {
    url: options.url,
    connectionName: options.connectionName ?? REDIS_DEFAULTS.connectionName,
    shards: options.shards ?? REDIS_DEFAULTS.shards,
    maxStreamLength: options.maxStreamLength ?? REDIS_DEFAULTS.maxStreamLength,
    deadLetterMaxLength: options.deadLetterMaxLength ?? REDIS_DEFAULTS.deadLetterMaxLength,
    publishTimeoutMs: options.publishTimeoutMs ?? REDIS_DEFAULTS.publishTimeoutMs,
    publishBatchMaxBytes: options.publishBatchMaxBytes ?? REDIS_DEFAULTS.publishBatchMaxBytes,
    publishAnswerTimeoutMs: options.publishAnswerTimeoutMs ?? REDIS_DEFAULTS.publishAnswerTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs ?? REDIS_DEFAULTS.connectTimeoutMs,
    visibilityTimeoutMs: options.visibilityTimeoutMs ?? REDIS_DEFAULTS.visibilityTimeoutMs,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? REDIS_DEFAULTS.heartbeatIntervalMs,
    blockMs: options.blockMs ?? REDIS_DEFAULTS.blockMs,
    retryDelayMs: options.retryDelayMs ?? REDIS_DEFAULTS.retryDelayMs,
    maxRetryDelayMs: options.maxRetryDelayMs ?? REDIS_DEFAULTS.maxRetryDelayMs,
    topicBounds: resolveTopicBounds(options.topicBounds),
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (typeof value === 'number' && !(Number.isInteger(value) && value > 0)) {
      throw new TypeError(`RedisTransport option ${name} must be a positive integer, got ${value}`);
    }
  }
  if (resolved.heartbeatIntervalMs * 3 > resolved.visibilityTimeoutMs) {
    throw new TypeError(
      'RedisTransport option heartbeatIntervalMs must be at most a third of visibilityTimeoutMs',
    );
  }
  if (resolved.blockMs >= resolved.visibilityTimeoutMs) {
    throw new TypeError('RedisTransport option blockMs must be lower than visibilityTimeoutMs');
  }
  return Object.freeze(resolved);
}
