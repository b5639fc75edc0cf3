/**
 * The Kafka transport (kafkajs). Topics, groups and partitions are described in kafka-names.ts and in the
 * files of each concern: work-consumer.ts, dead-letters.ts, node-inbox.ts, kafka-publisher.ts.
 */
import { EventEmitter } from 'node:events';
import { type Admin, Kafka } from 'kafkajs';
import { BusClosedError } from '../errors.js';
import { assertName, routeKey } from '../routes.js';
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
import { ConnectionState } from './connection-state.js';
import { startDeadLetterConsumer } from './dead-letters.js';
import type { GroupConsumerDeps } from './group-consumer.js';
import { toBuffer } from './kafka-headers.js';
import { type BusLogger, kafkaLogCreator, kafkaLogLevel, silentLogger } from './kafka-log.js';
import { DELIVERIES_TOPIC, HEADER_KEY, HEADER_ROUTE, workTopic } from './kafka-names.js';
import {
  type KafkaTransportOptions,
  type ResolvedKafkaOptions,
  resolveKafkaOptions,
} from './kafka-options.js';
import { KafkaPublisher } from './kafka-publisher.js';
import { type Replication, replicationFor } from './kafka-replication.js';
import { TopicRegistry, workTopicSpec } from './kafka-topics.js';
import { openNodeInbox } from './node-inbox.js';
import { signallingSocketFactory } from './socket-factory.js';
import { TimerSet } from './timer-set.js';
import { startWorkConsumer } from './work-consumer.js';

export class KafkaTransport implements Transport {
  readonly kind = 'kafka';
  readonly options: ResolvedKafkaOptions;
  readonly #logger: BusLogger;
  readonly #events = new EventEmitter();
  readonly #timers = new TimerSet();
  readonly #state: ConnectionState;
  readonly #kafka: Kafka;
  readonly #publisher: KafkaPublisher;
  readonly #topics: TopicRegistry;
  readonly #resources = new Set<Closable>();
  #admin: Promise<Admin> | undefined;
  #replicationRead: Promise<Replication> | undefined;
  #adminClient: Admin | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: KafkaTransportOptions) {
    this.options = resolveKafkaOptions(options);
    this.#logger = options.logger ?? silentLogger;
    this.#state = new ConnectionState((event) => {
      this.#logger[event.type === 'disconnected' ? 'warn' : 'info'](
        { transport: 'kafka' },
        `bus ${event.type}`,
      );
      this.#events.emit('event', event);
    });
    this.#kafka = new Kafka({
      clientId: this.options.clientId,
      brokers: this.options.brokers,
      connectionTimeout: this.options.connectionTimeoutMs,
      logLevel: kafkaLogLevel(this.#logger),
      logCreator: kafkaLogCreator(this.#logger),
      socketFactory: signallingSocketFactory({
        onError: (error) => this.#state.down(error),
        onConnect: () => this.#state.up(),
      }),
      // Short, bounded retries; consumers restart themselves after a crash and publishes retry until their
      // own deadline, so a broker outage of any length is survived without kafkajs waiting minutes.
      retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 8 },
    });
    this.#publisher = new KafkaPublisher({
      kafka: this.#kafka,
      timeoutMs: this.options.publishTimeoutMs,
      maxBatchBytes: this.options.publishBatchMaxBytes,
      state: this.#state,
      timers: this.#timers,
      logger: this.#logger,
      partitionCount: (topic) => this.#topics.partitionCount(topic),
    });
    this.#topics = new TopicRegistry(
      () => this.#connectAdmin(),
      (ms) => this.#timers.delay(ms),
      () => this.#replication(),
    );
  }

  on(_event: 'event', listener: (event: TransportEvent) => void): void {
    this.#events.on('event', listener);
  }

  async publishWork(topic: string, key: string, bytes: Uint8Array): Promise<void> {
    this.#assertOpen();
    const kafkaTopic = workTopic(topic);
    await this.#publisher.send(
      kafkaTopic,
      [{ key, value: toBuffer(bytes), headers: { [HEADER_KEY]: key } }],
      () =>
        this.#topics.ensure(
          workTopicSpec(kafkaTopic, this.options.workPartitions, this.options.topicBounds.get(topic)),
        ),
    );
  }

  async consumeWork(topic: string, options: WorkConsumerOptions, handler: WorkHandler): Promise<Closable> {
    this.#assertOpen();
    const consumer = await startWorkConsumer(
      { ...this.#consumerDeps(), topics: this.#topics, publisher: this.#publisher },
      topic,
      options,
      handler,
    );
    return this.#track(consumer);
  }

  async consumeDeadLetters(topic: string, group: string, handler: DeadLetterHandler): Promise<Closable> {
    this.#assertOpen();
    const consumer = await startDeadLetterConsumer(
      { ...this.#consumerDeps(), topics: this.#topics },
      topic,
      group,
      handler,
    );
    return this.#track(consumer);
  }

  async publishDelivery(route: Route, bytes: Uint8Array): Promise<void> {
    this.#assertOpen();
    await this.#publisher.send(
      DELIVERIES_TOPIC,
      [{ value: toBuffer(bytes), headers: { [HEADER_ROUTE]: routeKey(route) } }],
      () => this.#topics.ensure({ topic: DELIVERIES_TOPIC, partitions: 1 }),
    );
  }

  async openNode(node: string, handler: DeliveryHandler): Promise<NodeSubscription> {
    this.#assertOpen();
    assertName('node', node);
    let subscription: NodeSubscription | undefined;
    subscription = await openNodeInbox(
      {
        ...this.#consumerDeps(),
        topics: this.#topics,
        admin: () => this.#connectAdmin(),
        emit: (event) => this.#events.emit('event', event),
      },
      node,
      handler,
      () => {
        if (subscription) this.#resources.delete(subscription);
      },
    );
    if (this.#closed) {
      await subscription.close();
      throw new BusClosedError();
    }
    this.#resources.add(subscription);
    return subscription;
  }

  /** Closes every consumer, the producer and the admin client, and clears every timer. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#state.close();
    await Promise.all([...this.#resources].map((resource) => resource.close().catch(() => undefined)));
    this.#resources.clear();
    await this.#publisher.close();
    const admin = this.#adminClient;
    if (admin) await admin.disconnect().catch(() => undefined);
    this.#timers.clear();
    this.#events.removeAllListeners();
  }

  #consumerDeps(): GroupConsumerDeps {
    return {
      kafka: this.#kafka,
      options: this.options,
      state: this.#state,
      timers: this.#timers,
      logger: this.#logger,
    };
  }

  /** Keeps `resource` until it or the transport closes; a consumer started while closing is closed at once. */
  async #track(resource: Closable): Promise<Closable> {
    if (this.#closed) {
      await resource.close();
      throw new BusClosedError();
    }
    const tracked: Closable = {
      close: async () => {
        this.#resources.delete(tracked);
        await resource.close();
      },
    };
    this.#resources.add(tracked);
    return tracked;
  }

  /** The cluster's replication settings, read once (kafka-replication.ts); a failed read is tried again. */
  #replication(): Promise<Replication> {
    if (!this.#replicationRead) {
      const reading = this.#connectAdmin()
        .then((admin) => admin.describeCluster())
        .then(({ brokers }) => {
          const replication = replicationFor(brokers.length, this.options.replication);
          this.#logger.info({ brokers: brokers.length, ...replication }, 'kafka topic replication');
          return replication;
        });
      this.#replicationRead = reading;
      reading.catch(() => {
        if (this.#replicationRead === reading) this.#replicationRead = undefined;
      });
    }
    return this.#replicationRead;
  }

  #connectAdmin(): Promise<Admin> {
    if (this.#closed) return Promise.reject(new BusClosedError());
    if (!this.#admin) {
      const admin = this.#kafka.admin();
      this.#adminClient = admin;
      const connecting = admin.connect().then(() => admin);
      this.#admin = connecting;
      connecting.catch(() => {
        if (this.#admin === connecting) this.#admin = undefined;
      });
    }
    return this.#admin;
  }

  #assertOpen(): void {
    if (this.#closed) throw new BusClosedError();
  }
}
