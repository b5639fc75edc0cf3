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
import { BusRejectedError, BusUnavailableError } from '../errors.js';
import { OrderedSender } from '../ordered-sender.js';
import type { Route } from '../transport.js';
import { deliveryChannel, shardOf, workStream } from './redis-names.js';
import type { ResolvedRedisOptions } from './redis-options.js';
import { toBuffer } from './redis-streams.js';

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

  /** One attempt: the commands are written in order at once (one round trip); one result per item. */
  async #send(items: readonly Publish[]): Promise<unknown[]> {
    const { connection, options, shards } = this.#deps;
    const counts = new Map<string, number>();
    for (const item of items) {
      if (item.kind === 'work' && !counts.has(item.topic)) {
        counts.set(item.topic, await shards(item.topic, connection));
      }
    }
    const replies = items.map((item) =>
      item.kind === 'delivery'
        ? connection.publish(item.channel, item.bytes)
        : connection.call(
            'XADD',
            workStream(item.topic, shardOf(item.key, counts.get(item.topic) ?? 1)),
            'MAXLEN',
            '~',
            options.maxStreamLength,
            '*',
            'k',
            item.key,
            'b',
            item.bytes,
          ),
    );
    const settled = await Promise.allSettled(replies);
    return settled.map((result) => (result.status === 'fulfilled' ? undefined : result.reason));
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
