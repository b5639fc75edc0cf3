/**
 * Publishing on Redis (XADD for work, PUBLISH for deliveries) over a connection of its own that has no offline
 * queue and never re-sends unanswered commands after a reconnect. ioredis would otherwise keep a publish made
 * while Redis is down and flush it on reconnect, after its caller got BusUnavailableError: a message the client
 * was told failed would still be delivered.
 *
 * Every publish goes through one OrderedSender: call order is kept (also when callers do not await each one,
 * and across retries), what is issued while a batch is in flight goes out together in the next batch, and a
 * publish still waiting at its deadline rejects and is never sent.
 */
import type { Redis } from 'ioredis';
import { perShard } from '../backlog.js';
import { BusRejectedError, BusUnavailableError } from '../errors.js';
import { OrderedSender } from '../ordered-sender.js';
import type { Route } from '../transport.js';
import { deliveryChannel, shardOf, workStream } from './redis-names.js';
import type { ResolvedRedisOptions } from './redis-options.js';
import { toBuffer } from './redis-streams.js';

/** How often a stream of a topic with an age bound is trimmed by age (XTRIM MINID). */
const AGE_TRIM_EVERY_MS = 1_000;

/** Pause after a failed attempt (no connection) before the next. */
const RETRY_PAUSE_MS = 100;

/** ioredis errors that mean "no connection" or "not now" rather than "Redis refused the command". */
const TRANSIENT =
  /Connection is closed|MaxRetriesPerRequest|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Stream isn't writeable|Command timed out|^LOADING|^BUSY|^TRYAGAIN|^MASTERDOWN/i;

type Publish =
  | { readonly kind: 'work'; readonly topic: string; readonly key: string; readonly bytes: Buffer }
  | { readonly kind: 'delivery'; readonly channel: string; readonly bytes: Buffer };

export interface RedisPublisherDeps {
  /** Dedicated: `enableOfflineQueue: false`, `autoResendUnfulfilledCommands: false`. */
  readonly connection: Redis;
  readonly options: ResolvedRedisOptions;
  /** The shard count of a work topic, looked up through `connection`. */
  readonly shards: (topic: string, via: Redis) => Promise<number>;
  readonly delay: (ms: number) => Promise<void>;
}

export class RedisPublisher {
  readonly #deps: RedisPublisherDeps;
  readonly #sender: OrderedSender<Publish>;
  /** When each bounded stream was last trimmed by age (bounded: one entry per shard stream of such topics). */
  readonly #ageTrimmed = new Map<string, number>();

  constructor(deps: RedisPublisherDeps) {
    this.#deps = deps;
    this.#sender = new OrderedSender<Publish>({
      timeoutMs: deps.options.publishTimeoutMs,
      maxBatchBytes: deps.options.publishBatchMaxBytes,
      retryPauseMs: RETRY_PAUSE_MS,
      send: (items) => this.#send(items),
      sizeOf: (item) => item.bytes.length + 64,
      isTransient: (error) => TRANSIENT.test(errorText(error)),
      toError: (error, expired) =>
        expired || TRANSIENT.test(errorText(error))
          ? new BusUnavailableError(
              expired
                ? `Redis did not accept the message within ${deps.options.publishTimeoutMs} ms (${errorText(error)})`
                : errorText(error),
              { cause: error },
            )
          : new BusRejectedError(errorText(error), { cause: error }),
      delay: deps.delay,
    });
  }

  publishWork(topic: string, key: string, bytes: Uint8Array): Promise<void> {
    return this.#sender.send({ kind: 'work', topic, key, bytes: toBuffer(bytes) });
  }

  publishDelivery(route: Route, bytes: Uint8Array): Promise<void> {
    return this.#sender.send({ kind: 'delivery', channel: deliveryChannel(route), bytes: toBuffer(bytes) });
  }

  close(): void {
    this.#sender.close();
  }

  #ageTrimDue(stream: string): boolean {
    const now = Date.now();
    if (now - (this.#ageTrimmed.get(stream) ?? 0) < AGE_TRIM_EVERY_MS) return false;
    this.#ageTrimmed.set(stream, now);
    return true;
  }

  /** One attempt: the commands are written in order at once (one round trip); one result per item. */
  async #send(items: readonly Publish[]): Promise<unknown[]> {
    const { connection, options, shards } = this.#deps;
    const counts = new Map<string, number>();
    for (const item of items) {
      if (item.kind === 'work' && !counts.has(item.topic)) {
        counts.set(item.topic, await shards(item.topic, connection));
      }
    }
    const replies = items.map((item) => {
      if (item.kind === 'delivery') return connection.publish(item.channel, item.bytes);
      const shards = counts.get(item.topic) ?? 1;
      const stream = workStream(item.topic, shardOf(item.key, shards));
      const bound = options.topicBounds.get(item.topic);
      // A bounded topic keeps exactly its share (the bound is a promise); others trim loosely (cheaper).
      const trim =
        bound?.maxMessages !== undefined
          ? ['MAXLEN', '=', perShard(bound.maxMessages, shards)]
          : ['MAXLEN', '~', options.maxStreamLength];
      const added = connection.call('XADD', stream, ...trim, '*', 'k', item.key, 'b', item.bytes);
      // Entry ids start with Redis' clock in ms: drop what is older than the age bound, at most once a second
      // per stream (exact, as cheap as the rare call allows). Its outcome is not the publish's.
      if (bound?.maxAgeMs !== undefined && this.#ageTrimDue(stream))
        connection
          .call('XTRIM', stream, 'MINID', '=', `${Math.max(0, Date.now() - bound.maxAgeMs)}-0`)
          .catch(() => undefined);
      return added;
    });
    const settled = await Promise.allSettled(replies);
    return settled.map((result) => (result.status === 'fulfilled' ? undefined : result.reason));
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
