import type { TimerSet } from '../timer-set.js';
import type { WorkHandler } from '../transport.js';
import type { StreamReaderConfig } from './redis-options.js';
import type { StreamEntry } from './redis-streams.js';

export interface WorkConsumerConfig extends StreamReaderConfig {
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
