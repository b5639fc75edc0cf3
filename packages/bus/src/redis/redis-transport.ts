/**
 * The Redis transport (ioredis). Work on Redis Streams with consumer groups (work-consumer.ts), dead letters
 * on a stream per group (dead-letters.ts), deliveries on Pub/Sub (node-inbox.ts); key names in
 * redis-names.ts. Connections: one shared command connection (publishing, acks, leases), one dedicated
 * connection per work / dead-letter consumer for its blocking XREADGROUP, one subscriber connection per node.
 */
import { EventEmitter } from 'node:events';
import { Redis, type RedisOptions } from 'ioredis';
import { BusClosedError, BusRejectedError, BusUnavailableError } from '../errors.js';
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
import { deliveryChannel, shardCountKey, shardOf, workStream } from './redis-names.js';
import {
  type RedisBusLogger,
  type RedisTransportOptions,
  type ResolvedRedisOptions,
  resolveRedisOptions,
  silentLogger,
} from './redis-options.js';
import { toBuffer, topicShards } from './redis-streams.js';
import { RedisWorkConsumer } from './work-consumer.js';

/** ioredis errors that mean "no connection" rather than "Redis refused the command". */
const CONNECTION_ERROR =
  /Connection is closed|MaxRetriesPerRequest|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Stream isn't writeable/i;

export class RedisTransport implements Transport {
  readonly kind = 'redis';
  readonly options: ResolvedRedisOptions;
  readonly #logger: RedisBusLogger;
  readonly #events = new EventEmitter();
  readonly #redis: Redis;
  readonly #resources = new Set<Closable>();
  readonly #connections = new Set<Redis>();
  readonly #shards = new Map<string, Promise<number>>();
  #down = false;
  #closed = false;
  #closing: Promise<void> | undefined;

  /** Opens the transport once Redis answers: a wrong URL fails the start, not the first publish. */
  static async connect(options: RedisTransportOptions): Promise<RedisTransport> {
    const transport = new RedisTransport(options);
    try {
      await transport.#redis.connect();
      await transport.#redis.ping();
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
  }

  #emit(event: TransportEvent): void {
    this.#logger[event.type === 'disconnected' ? 'warn' : 'info'](
      { transport: 'redis' },
      `bus ${event.type}`,
    );
    this.#events.emit('event', event);
  }

  /** A new connection with the transport's settings. Lazy ones connect on first command. */
  #open(role: string, lazy: boolean): Redis {
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
    };
    const connection = new Redis(this.options.url, settings);
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
    await this.#bounded('publishWork', async () => {
      const shards = await this.#topicShards(topic);
      await this.#redis.call(
        'XADD',
        workStream(topic, shardOf(key, shards)),
        'MAXLEN',
        '~',
        this.options.maxStreamLength,
        '*',
        'k',
        key,
        'b',
        toBuffer(bytes),
      );
    });
  }

  async publishDelivery(route: Route, bytes: Uint8Array): Promise<void> {
    this.#assertOpen();
    await this.#bounded('publishDelivery', () =>
      this.#redis.publish(deliveryChannel(route), toBuffer(bytes)),
    );
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

  #topicShards(topic: string): Promise<number> {
    let shards = this.#shards.get(topic);
    if (!shards) {
      shards = topicShards(this.#redis, shardCountKey(topic), this.options.shards);
      shards.catch(() => this.#shards.delete(topic));
      this.#shards.set(topic, shards);
    }
    return shards;
  }

  /** Runs a publish; BusUnavailableError when Redis does not answer in time, BusRejectedError when it refuses. */
  async #bounded(what: string, run: () => Promise<unknown>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new BusUnavailableError(
              `${what}: Redis did not answer within ${this.options.publishTimeoutMs} ms`,
            ),
          ),
        this.options.publishTimeoutMs,
      );
    });
    try {
      await Promise.race([run(), timeout]);
    } catch (error) {
      if (this.#closed) throw new BusClosedError();
      if (error instanceof BusUnavailableError) throw error;
      if (CONNECTION_ERROR.test(String(error)))
        throw new BusUnavailableError(`${what}: ${String(error)}`, { cause: error });
      throw new BusRejectedError(`${what}: ${String(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The URL without its password, for error messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
