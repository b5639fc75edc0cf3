/**
 * The transport's publishing side: an idempotent producer (acks=-1, idempotent-producer.ts). A publish resolves
 * once every in-sync replica has it; while the broker is unreachable it waits up to `publishTimeoutMs`, then
 * rejects with BusUnavailableError. It never drops a message silently. Connects lazily and reconnects by
 * itself (kafkajs refreshes its broker pool).
 *
 * Publishes to one topic go through one OrderedSender: call order is kept even when callers do not await each
 * publish (an async prepare/connect before each `producer.send` used to let them overtake each other), the
 * messages issued while a send is in flight go out together in the next one, and a publish that timed out
 * while waiting is never handed to kafkajs afterwards (its retries would deliver it after the caller's error).
 * A batch that failed is retried as it was (retryFailedAlone): the broker recognises it as a duplicate only
 * then. Each attempt is split per partition (the Java-compatible murmur2 partitioner picks it here, so a key
 * lands on the same partition whichever language published it), one producer send per partition.
 */
import { type Kafka, type Message, Partitioners, type PartitionMetadata } from 'kafkajs';
import { BusClosedError, BusError, BusUnavailableError } from '../errors.js';
import { OrderedSender } from '../ordered-sender.js';
import type { ConnectionState } from './connection-state.js';
import { IdempotentProducer } from './idempotent-producer.js';
import { isTransientKafkaError, toPublishError } from './kafka-errors.js';
import { type BusLogger, errorMessage } from './kafka-log.js';
import type { TimerSet } from './timer-set.js';

const RETRY_PAUSE_MS = 250;

export interface PublisherDeps {
  readonly timeoutMs: number;
  /** Approximate bytes of one produce request (keep below the broker's message.max.bytes). */
  readonly maxBatchBytes: number;
  readonly state: ConnectionState;
  readonly timers: TimerSet;
  readonly logger: BusLogger;
  /** The topic's partition count (read from the broker, cached). */
  readonly partitionCount: (topic: string) => Promise<number>;
  readonly kafka: Kafka;
}

export class KafkaPublisher {
  readonly #deps: PublisherDeps;
  readonly #producer: IdempotentProducer;
  readonly #topics = new Map<string, OrderedSender<Message>>();
  /** The latest `prepare` given per topic, run before each attempt. */
  readonly #prepares = new Map<string, () => Promise<void>>();
  /** Partition count per topic, read before each attempt. */
  readonly #partitionCounts = new Map<string, number>();
  readonly #partitioner = Partitioners.DefaultPartitioner();
  /** The partition a message went to: a retry goes there again (a keyless message is placed round-robin). */
  readonly #placed = new WeakMap<Message, number>();
  #closed = false;

  constructor(deps: PublisherDeps) {
    this.#deps = deps;
    this.#producer = new IdempotentProducer(deps.kafka, deps.logger);
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
    const { timeoutMs, maxBatchBytes, timers, state } = this.#deps;
    sender = new OrderedSender<Message>({
      timeoutMs,
      maxBatchBytes,
      retryPauseMs: RETRY_PAUSE_MS,
      retryFailedAlone: true,
      prepare: async () => {
        try {
          // Independent round trips (the producer's first connect asks for a producer id): at once.
          const [count] = await Promise.all([
            (this.#prepares.get(topic)?.() ?? Promise.resolve()).then(() => this.#deps.partitionCount(topic)),
            this.#producer.connect(),
          ]);
          this.#partitionCounts.set(topic, count);
        } catch (error) {
          if (isTransient(error)) state.down(error instanceof Error ? error : undefined);
          throw error;
        }
      },
      send: (messages) => this.#sendPerPartition(topic, messages),
      sizeOf: messageSize,
      isTransient,
      toError: (error, expired) =>
        error instanceof BusError && !expired ? error : toPublishError(error, expired),
      delay: (ms) => timers.delay(ms),
    });
    this.#topics.set(topic, sender);
    return sender;
  }

  /** One producer send per partition, all at once; the outcome per message (undefined: accepted). */
  async #sendPerPartition(topic: string, messages: readonly Message[]): Promise<unknown[]> {
    const count = this.#partitionCounts.get(topic) ?? 1;
    const byPartition = new Map<number, number[]>();
    for (const [index, message] of messages.entries()) {
      const partition = this.#partitionOf(topic, message, count);
      byPartition.set(partition, [...(byPartition.get(partition) ?? []), index]);
    }
    const outcome: unknown[] = messages.map(() => undefined);
    await Promise.all(
      [...byPartition].map(async ([partition, indexes]) => {
        const errors = await this.#sendToPartition(
          topic,
          partition,
          indexes.map((index) => messages[index] as Message),
        );
        for (const [i, index] of indexes.entries()) outcome[index] = errors[i];
      }),
    );
    return outcome;
  }

  /**
   * Sends one partition's messages; the outcome per message. After a permanent failure of several, each goes
   * alone, in order, so only the culprit is refused; a transient failure stops there (the rest is retried in
   * place, keeping the order).
   */
  async #sendToPartition(topic: string, partition: number, messages: Message[]): Promise<unknown[]> {
    const error = await this.#attempt(topic, partition, messages);
    if (error === undefined) return messages.map(() => undefined);
    if (isTransient(error) || messages.length === 1) return messages.map(() => error);
    const outcome: unknown[] = [];
    for (const message of messages) {
      const last = outcome.at(-1);
      outcome.push(
        last !== undefined && isTransient(last) ? last : await this.#attempt(topic, partition, [message]),
      );
    }
    return outcome;
  }

  /** One producer send; the error, or undefined when the broker accepted every message. */
  async #attempt(topic: string, partition: number, messages: Message[]): Promise<unknown> {
    const { state, logger } = this.#deps;
    try {
      await this.#producer.send(topic, partition, messages);
    } catch (error) {
      if (isTransient(error)) {
        state.down(error instanceof Error ? error : undefined);
        logger.debug({ topic, partition, error: errorMessage(error) }, 'kafka send failed, trying again');
      }
      return error ?? new Error('kafka send failed');
    }
    state.up();
    return undefined;
  }

  #partitionOf(topic: string, message: Message, count: number): number {
    const placed = this.#placed.get(message);
    if (placed !== undefined && placed < count) return placed;
    const partition = this.#partitioner({ topic, partitionMetadata: partitionsOf(count), message });
    this.#placed.set(message, partition);
    return partition;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const sender of this.#topics.values()) sender.close();
    await this.#producer.close();
  }
}

const metadataByCount = new Map<number, PartitionMetadata[]>();

/** What the partitioner reads: `count` partitions, all with a leader (it only counts them). */
function partitionsOf(count: number): PartitionMetadata[] {
  let metadata = metadataByCount.get(count);
  if (!metadata) {
    metadata = Array.from({ length: count }, (_, partitionId) => ({
      partitionErrorCode: 0,
      partitionId,
      leader: 0,
      replicas: [],
      isr: [],
      offlineReplicas: [],
    }));
    metadataByCount.set(count, metadata);
  }
  return metadata;
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
