/**
 * The transport's one producer (acks=-1). A publish resolves once the broker acknowledged it; while the broker
 * is unreachable it waits up to `publishTimeoutMs`, then rejects with BusUnavailableError. It never drops a
 * message silently. Connects lazily and reconnects by itself (kafkajs refreshes its broker pool).
 *
 * Publishes to one topic go through one OrderedSender: call order is kept even when callers do not await each
 * publish (an async prepare/connect before each `producer.send` used to let them overtake each other), the
 * messages issued while a send is in flight go out together in the next one, and a publish that timed out
 * while waiting is never handed to kafkajs afterwards (its retries would deliver it after the caller's error).
 */
import { type Kafka, type Message, Partitioners, type Producer } from 'kafkajs';
import { BusClosedError, BusError, BusUnavailableError } from '../errors.js';
import { OrderedSender } from '../ordered-sender.js';
import type { ConnectionState } from './connection-state.js';
import { isTransientKafkaError, toPublishError } from './kafka-errors.js';
import { type BusLogger, errorMessage } from './kafka-log.js';
import type { TimerSet } from './timer-set.js';

const RETRY_PAUSE_MS = 250;

export interface PublisherDeps {
  readonly kafka: Kafka;
  readonly timeoutMs: number;
  /** Approximate bytes of one produce request (keep below the broker's message.max.bytes). */
  readonly maxBatchBytes: number;
  readonly state: ConnectionState;
  readonly timers: TimerSet;
  readonly logger: BusLogger;
}

export class KafkaPublisher {
  readonly #deps: PublisherDeps;
  readonly #producer: Producer;
  readonly #topics = new Map<string, OrderedSender<Message>>();
  /** The latest `prepare` given per topic, run before each attempt. */
  readonly #prepares = new Map<string, () => Promise<void>>();
  #connecting: Promise<void> | undefined;
  #closed = false;

  constructor(deps: PublisherDeps) {
    this.#deps = deps;
    this.#producer = deps.kafka.producer({
      allowAutoTopicCreation: false,
      // Not idempotent, on purpose: with kafkajs 2.2.4's (experimental) idempotent producer the cluster drill
      // (test/cluster/kafka-leader-kill.test.ts, partition leader SIGKILLed mid-stream) lost one confirmed
      // message; without it none were lost, a few were written twice. Consumers are at-least-once anyway
      // (history drops a publication it already stored by its publish id).
      idempotent: false,
      // Java-compatible murmur2: a key lands on the same partition whichever language published it.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  /**
   * Publishes `messages` to `topic`, after every earlier publish to that topic. `prepare` (e.g. creating the
   * topic) runs before each attempt. Rejects with BusClosedError, BusRejectedError (the broker refused) or
   * BusUnavailableError.
   */
  async send(topic: string, messages: Message[], prepare?: () => Promise<void>): Promise<void> {
    if (this.#closed) throw new BusClosedError();
    if (prepare) this.#prepares.set(topic, prepare);
    const sender = this.#sender(topic);
    await Promise.all(messages.map((message) => sender.send(message)));
  }

  #sender(topic: string): OrderedSender<Message> {
    let sender = this.#topics.get(topic);
    if (sender) return sender;
    const { timeoutMs, maxBatchBytes, timers, state, logger } = this.#deps;
    sender = new OrderedSender<Message>({
      timeoutMs,
      maxBatchBytes,
      retryPauseMs: RETRY_PAUSE_MS,
      prepare: async () => {
        try {
          await this.#prepares.get(topic)?.();
          await this.#connect();
        } catch (error) {
          if (isTransient(error)) state.down(error instanceof Error ? error : undefined);
          throw error;
        }
      },
      send: async (messages) => {
        try {
          await this.#producer.send({ topic, acks: -1, messages: [...messages] });
        } catch (error) {
          if (isTransient(error)) {
            state.down(error instanceof Error ? error : undefined);
            logger.debug({ topic, error: errorMessage(error) }, 'kafka send failed, trying again');
          }
          throw error;
        }
        state.up();
        return undefined;
      },
      sizeOf: messageSize,
      isTransient,
      toError: (error, expired) =>
        error instanceof BusError && !expired ? error : toPublishError(error, expired),
      delay: (ms) => timers.delay(ms),
    });
    this.#topics.set(topic, sender);
    return sender;
  }

  #connect(): Promise<void> {
    if (!this.#connecting) {
      const connecting = this.#producer.connect();
      this.#connecting = connecting;
      connecting.catch(() => {
        if (this.#connecting === connecting) this.#connecting = undefined;
      });
    }
    return this.#connecting;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const sender of this.#topics.values()) sender.close();
    await this.#producer.disconnect().catch(() => undefined);
  }
}

function isTransient(error: unknown): boolean {
  return error instanceof BusUnavailableError || isTransientKafkaError(error);
}

/** Bytes a message adds to a produce request, roughly (record overhead included). */
function messageSize(message: Message): number {
  let size = 64 + byteLength(message.key) + byteLength(message.value);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    size +=
      name.length + (Array.isArray(value) ? value.reduce((n, v) => n + byteLength(v), 0) : byteLength(value));
  }
  return size;
}

function byteLength(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (Buffer.isBuffer(value)) return value.length;
  return Buffer.byteLength(String(value));
}
