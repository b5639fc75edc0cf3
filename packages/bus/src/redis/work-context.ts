/**
 * What the parts of one Redis work consumer share (work-consumer.ts builds it): its configuration, its name
 * in the consumer group, the topic's shard streams, its timers and whether it is closed; and the unit of
 * work the readers hand to the delivery code.
 */
import type { Redis } from 'ioredis';
import type { TimerSet } from '../timer-set.js';
import type { WorkHandler } from '../transport.js';
import type { RedisBusLogger, ResolvedRedisOptions } from './redis-options.js';
import type { StreamEntry } from './redis-streams.js';

export interface WorkConsumerConfig {
  readonly redis: Redis;
  /** Dedicated connection for the blocking reads; the consumer disconnects it on close. */
  readonly reader: Redis;
  readonly options: ResolvedRedisOptions;
  readonly logger: RedisBusLogger;
  readonly topic: string;
  readonly group: string;
  readonly shards: number;
  readonly ordered: boolean;
  readonly prefetch: number;
  readonly maxAttempts: number;
  readonly handler: WorkHandler;
}

export interface WorkContext {
  readonly config: WorkConsumerConfig;
  /** The consumer's name in the Redis consumer group (and in the membership of an ordered group). */
  readonly name: string;
  /** The topic's shard streams, shard by shard. */
  readonly streams: readonly string[];
  readonly timers: TimerSet;
  /** True once close() was called. */
  readonly closed: () => boolean;
}

/** An entry to handle, with the attempt it is on. */
export interface Queued {
  readonly entry: StreamEntry;
  readonly attempt: number;
  readonly redelivered: boolean;
}
