/**
 * The Redis transport (ioredis). Work on Redis Streams with consumer groups (work-consumer.ts), dead letters
 * on a stream per group (dead-letters.ts), deliveries on Pub/Sub (node-inbox.ts); key names in
 * redis-names.ts. Connections: one shared command connection (acks, leases), one publishing connection without
 * an offline queue (redis-publisher.ts), one dedicated connection per work / dead-letter consumer for its
 * blocking XREADGROUP, one subscriber connection per node.
 */
import { EventEmitter } from 'node:events';
import type { Redis, RedisOptions } from 'ioredis';
import { BusClosedError, BusUnavailableError } from '../errors.js';
import { assertName } from '../routes.js';
import type {
  Closable,
  DeadLetterHandler,
  DeliveryHandler,
  NodeSubscription,
  Route,
  Transport,
  TransportEvent,
  WorkConsumerOptions,
  WorkHandler,
} from '../transport.js';
import { RedisDeadLetterConsumer } from './dead-letters.js';
import { openRedisNodeInbox } from './node-inbox.js';
import { createRedisClient } from './redis-connection.js';
import { shardCountKey } from './redis-names.js';
import {
  type RedisBusLogger,
  type RedisTransportOptions,
  type ResolvedRedisOptions,
  resolveRedisOptions,
  silentLogger,
} from './redis-options.js';
import { RedisPublisher } from './redis-publisher.js';
import { topicShards } from './redis-streams.js';
import { RedisWorkConsumer } from './work-consumer.js';

export class RedisTransport implements Transport {
  readonly kind = 'redis';
  readonly options: ResolvedRedisOptions;
  readonly #logger: RedisBusLogger;
  readonly #events = new EventEmitter();
  readonly #redis: Redis;
  readonly #publishing: Redis;
  readonly #publisher: RedisPublisher;
  readonly #resources = new Set<Closable>();
  readonly #connections = new Set<Redis>();
  readonly #shards = new Map<string, Promise<number>>();
  readonly #pauses = new Set<() => void>();
  #down = false;
  #closed = false;
  #closing: Promise<void> | undefined;

  /** Opens the transport once Redis answers: a wrong URL fails the start, not the first publish. */
  static async connect(options: RedisTransportOptions): Promise<RedisTransport> {
    const transport = new RedisTransport(options);
    try {
      await transport.#redis.connect();
      await transport.#redis.ping();
      await transport.#publishing.connect();
    } catch (error) {
      await transport.close();
      throw new BusUnavailableError(`cannot reach Redis at ${redactUrl(options.url)}: ${String(error)}`, {
        cause: error,
      });
    }
    return transport;
  }

  /** Prefer connect(): the constructor does not wait for Redis (commands queue until it answers). */
  constructor(options: RedisTransportOptions) {
    this.options = resolveRedisOptions(options);
    this.#logger = options.logger ?? silentLogger;
    this.#redis = this.#open('cmd', true);
    this.#redis.on('close', () => {
      if (this.#closed || this.#down) return;
      this.#down = true;
      this.#emit({ type: 'disconnected' });
    });
    this.#redis.on('ready', () => {
      if (!this.#down || this.#closed) return;
      this.#down = false;
      this.#emit({ type: 'reconnected' });
    });
    // No offline queue, no re-sending after a reconnect, unanswered commands fail when the connection
    // drops: the publisher decides what is sent again, so nothing goes out after its caller got an error.
    this.#publishing = this.#open('pub', true, {
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      commandTimeout: this.options.publishAnswerTimeoutMs,
    });
    this.#publisher = new RedisPublisher({
      connection: this.#publishing,
      options: this.options,
      shards: (topic, via) => this.#topicShards(topic, via),
      delay: (ms) => this.#delay(ms),
    });
  }

  #emit(event: TransportEvent): void {
    this.#logger[event.type === 'disconnected' ? 'warn' : 'info'](
      { transport: 'redis' },
      `bus ${event.type}`,
    );
    this.#events.emit('event', event);
  }

  /** A new connection with the transport's settings. Lazy ones connect on first command. */
  #open(role: string, lazy: boolean, overrides: RedisOptions = {}): Redis {
    const settings: RedisOptions = {
      connectionName: `${this.options.connectionName}:${role}`,
      lazyConnect: lazy,
      connectTimeout: this.options.connectTimeoutMs,
      // Commands wait through reconnects; publishes are bounded by publishTimeoutMs instead.
      maxRetriesPerRequest: null,
      enableOfflineQueue: true,
      autoResubscribe: true,
      autoResendUnfulfilledCommands: true,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), 1_000),
      ...overrides,
    };
    const connection = createRedisClient(this.options.url, settings, 'Redis bus URL');
    connection.on('error', (error: Error) => {
      if (!this.#closed) this.#logger.debug({ err: error, role }, 'redis connection error');
    });
    connection.on('end', () => this.#connections.delete(connection));
    this.#connections.add(connection);
    return connection;
  }

  async publishWork(topic: string, key: string, bytes: Uint8Array): Promise<void> {
    this.#assertOpen();
    assertName('topic', topic);
    await this.#publisher.publishWork(topic, key, bytes);
  }

  async publishDelivery(route: Route, bytes: Uint8Array): Promise<void> {
    this.#assertOpen();
    await this.#publisher.publishDelivery(route, bytes);
  }

  async consumeWork(topic: string, options: WorkConsumerOptions, handler: WorkHandler): Promise<Closable> {
    this.#assertOpen();
    assertName('topic', topic);
    assertName('group', options.group);
    const shards = await this.#topicShards(topic);
    const consumer = new RedisWorkConsumer({
      redis: this.#redis,
      reader: this.#open(`work:${topic}:${options.group}`, false),
      options: this.options,
      logger: this.#logger,
      topic,
      group: options.group,
      shards,
      ordered: options.ordered ?? true,
      prefetch: options.prefetch ?? 16,
      maxAttempts: options.maxAttempts ?? 5,
      handler,
    });
    return this.#track(consumer, () => consumer.start());
  }

  async consumeDeadLetters(topic: string, group: string, handler: DeadLetterHandler): Promise<Closable> {
    this.#assertOpen();
    assertName('topic', topic);
    assertName('group', group);
    const consumer = new RedisDeadLetterConsumer({
      redis: this.#redis,
      reader: this.#open(`dlq:${topic}:${group}`, false),
      options: this.options,
      logger: this.#logger,
      topic,
      group,
      handler,
    });
    return this.#track(consumer, () => consumer.start());
  }

  async openNode(node: string, handler: DeliveryHandler): Promise<NodeSubscription> {
    this.#assertOpen();
    assertName('node', node);
    const subscriber = this.#open(`node:${node}`, false);
    let subscription: NodeSubscription | undefined;
    subscription = await openRedisNodeInbox(subscriber, node, handler, this.#logger, () => {
      if (subscription) this.#resources.delete(subscription);
    });
    this.#resources.add(subscription);
    if (this.#closed) {
      await subscription.close();
      throw new BusClosedError();
    }
    return subscription;
  }

  on(_event: 'event', listener: (event: TransportEvent) => void): void {
    this.#events.on('event', listener);
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#publisher.close();
    for (const wake of this.#pauses) wake();
    this.#pauses.clear();
    for (const resource of [...this.#resources]) {
      await resource
        .close()
        .catch((error) => this.#logger.warn({ err: error }, 'redis resource close failed'));
    }
    this.#resources.clear();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#redis.quit().catch(() => undefined),
      new Promise((resolve) => {
        timer = setTimeout(resolve, 1_000);
      }),
    ]);
    clearTimeout(timer);
    for (const connection of this.#connections) connection.disconnect();
    this.#connections.clear();
    this.#events.removeAllListeners();
  }

  #assertOpen(): void {
    if (this.#closed) throw new BusClosedError();
  }

  /** Registers a consumer so close() closes it; closes it again if start fails or the transport closed. */
  async #track<T extends Closable>(resource: T, start: () => Promise<void>): Promise<T> {
    this.#resources.add(resource);
    try {
      await start();
    } catch (error) {
      this.#resources.delete(resource);
      await resource.close().catch(() => undefined);
      throw this.#closed ? new BusClosedError() : error;
    }
    const wrapped = resource;
    const close = resource.close.bind(resource);
    wrapped.close = async () => {
      this.#resources.delete(resource);
      await close();
    };
    return wrapped;
  }

  /** The topic's shard count (fixed in Redis by its first user), asked through `via` the first time. */
  #topicShards(topic: string, via: Redis = this.#redis): Promise<number> {
    let shards = this.#shards.get(topic);
    if (!shards) {
      shards = topicShards(via, shardCountKey(topic), this.options.shards);
      shards.catch(() => this.#shards.delete(topic));
      this.#shards.set(topic, shards);
    }
    return shards;
  }

  /** A pause that close() cuts short (the publisher's retry pause). */
  #delay(ms: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pauses.delete(wake);
        resolve();
      }, ms);
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#pauses.add(wake);
    });
  }
}

/** The URL without its password, for error messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
