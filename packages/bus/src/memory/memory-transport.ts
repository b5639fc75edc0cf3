/**
 * One process's connection to a MemoryBroker. Handlers run asynchronously (never inside the publisher's
 * call stack), so a slow or throwing handler cannot break the publisher, exactly as with a real broker.
 */
import { EventEmitter } from 'node:events';
import { resolveTopicBounds, type TopicBound, type TopicBoundsOption } from '../backlog.js';
import { BusClosedError } from '../errors.js';
import { allRoute, assertName, nodeRoute, routeKey } from '../routes.js';
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
import { type GroupQueue, MemoryBroker, type NodeInbox, type WorkConsumerSlot } from './memory-broker.js';

const DEFAULT_PREFETCH = 16;
const DEFAULT_MAX_ATTEMPTS = 5;

export interface MemoryTransportOptions {
  /** Broker to connect to; several transports on one broker act like several processes. */
  readonly broker?: MemoryBroker;
  /**
   * Backlog bounds per work topic, merged over the default (`lifecycle`: 200,000 messages per group); `null`
   * removes one. Applied when a group's queue is declared (consumeWork), like RabbitMQ; maxAgeMs is not
   * enforced in memory (backlog.ts).
   */
  readonly topicBounds?: TopicBoundsOption;
}

/** The broker shared by transports created without an explicit one (the embedded all-in-one). */
let defaultBroker: MemoryBroker | undefined;

export class MemoryTransport implements Transport {
  readonly kind = 'memory';
  readonly broker: MemoryBroker;
  readonly #events = new EventEmitter();
  readonly #resources = new Set<Closable>();
  readonly topicBounds: ReadonlyMap<string, TopicBound>;
  #closed = false;

  constructor(options: MemoryTransportOptions = {}) {
    defaultBroker ??= new MemoryBroker();
    this.broker = options.broker ?? defaultBroker;
    this.topicBounds = resolveTopicBounds(options.topicBounds);
  }

  on(_event: 'event', listener: (event: TransportEvent) => void): void {
    this.#events.on('event', listener);
  }

  async publishWork(topic: string, key: string, bytes: Uint8Array): Promise<void> {
    this.#assertOpen();
    assertName('topic', topic);
    this.broker.publishWork(topic, key, bytes);
  }

  async consumeWork(topic: string, options: WorkConsumerOptions, handler: WorkHandler): Promise<Closable> {
    this.#assertOpen();
    assertName('topic', topic);
    assertName('group', options.group);
    const queue = this.broker.group(topic, options.group, {
      ordered: options.ordered ?? true,
      maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      maxMessages: this.topicBounds.get(topic)?.maxMessages,
    });
    let open = true;
    const pending = new Set<(outcome: 'requeue') => void>();
    const slot: WorkConsumerSlot = {
      prefetch: options.prefetch ?? DEFAULT_PREFETCH,
      inFlight: 0,
      deliver: (work, done) => {
        if (!open) return false;
        let settled = false;
        const settle = (outcome: 'ack' | 'retry' | 'requeue', error?: string) => {
          if (settled) return;
          settled = true;
          pending.delete(settle);
          done(outcome, error);
        };
        pending.add(settle);
        queueMicrotask(() => {
          const message = {
            topic: work.topic,
            key: work.key,
            bytes: work.bytes,
            attempt: work.attempt,
            redelivered: work.redelivered,
          };
          handler(message).then(
            () => open && settle('ack'),
            (error: unknown) =>
              open && settle('retry', error instanceof Error ? error.message : String(error)),
          );
        });
        return true;
      },
    };
    this.broker.addConsumer(queue, slot);
    const consumer: Closable = {
      close: async () => {
        if (!open) return;
        open = false;
        this.#resources.delete(consumer);
        this.broker.removeConsumer(queue, slot);
        // Like a broker seeing the channel close: whatever was unacked goes back to the queue.
        for (const settle of [...pending]) settle('requeue');
      },
    };
    this.#resources.add(consumer);
    return consumer;
  }

  async consumeDeadLetters(topic: string, group: string, handler: DeadLetterHandler): Promise<Closable> {
    this.#assertOpen();
    const queue: GroupQueue = this.broker.group(topic, group);
    const stop = this.broker.addDeadLetterListener(queue, (letter) => {
      queueMicrotask(() => void handler(letter).catch(() => undefined));
    });
    const consumer: Closable = {
      close: async () => {
        stop();
        this.#resources.delete(consumer);
      },
    };
    this.#resources.add(consumer);
    return consumer;
  }

  async publishDelivery(route: Route, bytes: Uint8Array): Promise<void> {
    this.#assertOpen();
    this.broker.publishDelivery(route, bytes);
  }

  async openNode(node: string, handler: DeliveryHandler): Promise<NodeSubscription> {
    this.#assertOpen();
    assertName('node', node);
    let open = true;
    const inbox: NodeInbox = (bytes, route) => {
      queueMicrotask(() => {
        if (!open) return;
        try {
          handler(bytes, route);
        } catch {
          // A node's handler must not break the broker's fan-out loop; the node logs its own errors.
        }
      });
    };
    const bound = new Map<string, Route>();
    const bind = (route: Route) => {
      bound.set(routeKey(route), route);
      this.broker.bind(route, inbox);
    };
    bind(allRoute);
    bind(nodeRoute(node));
    const subscription: NodeSubscription = {
      node,
      addInterest: async (route) => {
        if (open) bind(route);
      },
      addInterests: async (routes) => {
        if (open) for (const route of routes) bind(route);
      },
      removeInterest: async (route) => {
        bound.delete(routeKey(route));
        this.broker.unbind(route, inbox);
      },
      close: async () => {
        if (!open) return;
        open = false;
        for (const route of bound.values()) this.broker.unbind(route, inbox);
        bound.clear();
        this.#resources.delete(subscription);
      },
    };
    this.#resources.add(subscription);
    return subscription;
  }

  /** Test hook: behave as if the broker restarted (consumers see unacked work requeued). */
  async simulateRestart(): Promise<void> {
    this.#events.emit('event', { type: 'disconnected' } satisfies TransportEvent);
    this.#events.emit('event', { type: 'reconnected' } satisfies TransportEvent);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const resource of [...this.#resources]) await resource.close();
    this.#events.removeAllListeners();
  }

  #assertOpen(): void {
    if (this.#closed) throw new BusClosedError();
  }
}
