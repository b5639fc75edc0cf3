/**
 * The RabbitMQ Transport. Work streams go through the topic exchange `sb.work` to per-group queues
 * (sharded with single-active-consumer when ordered, the shards shared out between the group's live
 * instances: see ordered-work.ts and membership.ts); deliveries go through the direct exchange
 * `sb.deliveries` to per-node exclusive inboxes bound by interest. See topology.ts for every name.
 */
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
import { ConnectionManager, type SessionResource } from './connection-manager.js';
import { DeadLetterConsumer } from './dead-letter-consumer.js';
import { NodeInbox } from './node-inbox.js';
import { type AmqpTransportOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { publishConfirmed, toBuffer } from './publisher.js';
import { deliveryRoutingKey, workRoutingKey } from './routing-key.js';
import { DELIVERY_EXCHANGE, HEADER_KEY, HEADER_ROUTE, WORK_EXCHANGE } from './topology.js';
import { WorkConsumer } from './work-consumer.js';

export class AmqpTransport implements Transport {
  readonly kind = 'amqp';
  readonly #options: ResolvedOptions;
  readonly #manager: ConnectionManager;
  #closing: Promise<void> | undefined;

  /** Starts connecting in the background; operations wait (up to publishTimeoutMs) for the connection. */
  constructor(options: AmqpTransportOptions) {
    this.#options = resolveOptions(options);
    this.#manager = new ConnectionManager(this.#options);
    this.#manager.start();
  }

  /** Creates a transport and waits for its first connection (BusUnavailableError after publishTimeoutMs). */
  static async connect(options: AmqpTransportOptions): Promise<AmqpTransport> {
    const transport = new AmqpTransport(options);
    try {
      await transport.ready();
      return transport;
    } catch (error) {
      await transport.close();
      throw error;
    }
  }

  /** Resolves when the transport has a live broker connection. */
  async ready(): Promise<void> {
    await this.#manager.waitForSession('connect', Date.now() + this.#options.publishTimeoutMs);
  }

  on(_event: 'event', listener: (event: TransportEvent) => void): void {
    this.#manager.on(listener);
  }

  async publishWork(topic: string, key: string, bytes: Uint8Array): Promise<void> {
    this.#assertOpen();
    assertName('topic', topic);
    await publishConfirmed(
      this.#manager,
      `publish work to ${topic}`,
      WORK_EXCHANGE,
      workRoutingKey(topic, key),
      toBuffer(bytes),
      {
        persistent: true,
        headers: { [HEADER_KEY]: key },
      },
    );
  }

  async consumeWork(topic: string, options: WorkConsumerOptions, handler: WorkHandler): Promise<Closable> {
    this.#assertOpen();
    assertName('topic', topic);
    assertName('group', options.group);
    const consumer = new WorkConsumer(this.#manager, this.#options, topic, options, handler);
    return this.#register(consumer, `consume ${topic}/${options.group}`);
  }

  async consumeDeadLetters(topic: string, group: string, handler: DeadLetterHandler): Promise<Closable> {
    this.#assertOpen();
    assertName('topic', topic);
    assertName('group', group);
    const consumer = new DeadLetterConsumer(this.#manager, this.#options, topic, group, handler);
    return this.#register(consumer, `consume dead letters ${topic}/${group}`);
  }

  async publishDelivery(route: Route, bytes: Uint8Array): Promise<void> {
    this.#assertOpen();
    const key = routeKey(route);
    await publishConfirmed(
      this.#manager,
      `publish delivery to ${key}`,
      DELIVERY_EXCHANGE,
      deliveryRoutingKey(route),
      toBuffer(bytes),
      {
        persistent: false,
        headers: { [HEADER_ROUTE]: key },
      },
      true,
      // A node's inbox always binds its node route: unroutable means the inbox is being declared again
      // (its broker node stopped), not that nobody wants it. Replies go this way (confirm-queue.ts).
      route.kind === 'node',
    );
  }

  async openNode(node: string, handler: DeliveryHandler): Promise<NodeSubscription> {
    this.#assertOpen();
    assertName('node', node);
    const inbox = new NodeInbox(this.#manager, this.#options, node, handler);
    return this.#register(inbox, `open node ${node}`);
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      // Consumers first (their channels close without acking in-flight work), then the connection.
      for (const resource of this.#manager.resources()) await resource.close();
      await this.#manager.close();
    })();
    return this.#closing;
  }

  async #register<T extends SessionResource>(resource: T, what: string): Promise<T> {
    await this.#manager.register(resource, what);
    if (this.#closing) {
      await resource.close();
      throw new BusClosedError();
    }
    return resource;
  }

  #assertOpen(): void {
    if (this.#closing || this.#manager.closed) throw new BusClosedError();
  }
}
