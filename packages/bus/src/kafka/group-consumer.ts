/**
 * One kafkajs consumer in one group on one topic, shared by work, dead-letter and node consumers:
 * timeouts from the options, recovery by itself (kafkajs restarts a crashed consumer until we close it),
 * connection events, and start() resolving once the group has been joined and partitions assigned.
 */
import type { Consumer, ConsumerGroupJoinEvent, EachMessagePayload, Kafka } from 'kafkajs';
import { BusUnavailableError } from '../errors.js';
import type { ConnectionState } from './connection-state.js';
import { type BusLogger, errorMessage } from './kafka-log.js';
import type { ResolvedKafkaOptions } from './kafka-options.js';
import type { TimerSet } from './timer-set.js';

export interface GroupConsumerDeps {
  readonly kafka: Kafka;
  readonly options: ResolvedKafkaOptions;
  readonly state: ConnectionState;
  readonly timers: TimerSet;
  readonly logger: BusLogger;
}

export interface GroupConsumerSpec {
  readonly groupId: string;
  readonly topic: string;
  /** Where a partition without a committed offset starts. */
  readonly fromBeginning: boolean;
  readonly autoCommit: boolean;
  readonly partitionsConsumedConcurrently: number;
  readonly eachMessage: (payload: EachMessagePayload, consumer: GroupConsumer) => Promise<void>;
  /** Runs synchronously on the first assignment, before the first fetch (seek here). */
  readonly onFirstJoin?: (consumer: Consumer, event: ConsumerGroupJoinEvent) => void;
}

export class GroupConsumer {
  readonly spec: GroupConsumerSpec;
  readonly #deps: GroupConsumerDeps;
  readonly #consumer: Consumer;
  readonly #unsubscribe: (() => void)[] = [];
  #closing = false;
  #signalStopped: () => void = () => undefined;
  /** Resolves when close() starts: in-flight handlers race against it and give up (without committing). */
  readonly stopped = new Promise<void>((resolve) => {
    this.#signalStopped = resolve;
  });

  private constructor(deps: GroupConsumerDeps, spec: GroupConsumerSpec) {
    this.#deps = deps;
    this.spec = spec;
    const { options } = deps;
    this.#consumer = deps.kafka.consumer({
      groupId: spec.groupId,
      sessionTimeout: options.sessionTimeoutMs,
      rebalanceTimeout: options.rebalanceTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      maxWaitTimeInMs: options.maxWaitTimeMs,
      allowAutoTopicCreation: false,
      retry: { restartOnFailure: async () => !this.#closing },
    });
  }

  /** Connects, subscribes and runs; resolves once assigned (or after joinTimeoutMs, with a warning). */
  static async start(deps: GroupConsumerDeps, spec: GroupConsumerSpec): Promise<GroupConsumer> {
    const consumer = new GroupConsumer(deps, spec);
    try {
      await consumer.#start();
    } catch (error) {
      await consumer.close();
      throw new BusUnavailableError(`cannot start consumer group ${spec.groupId}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    return consumer;
  }

  get closing(): boolean {
    return this.#closing;
  }

  /** Commits `offset` (the message's own offset; the next one is committed) of a partition. */
  async commit(partition: number, offset: string): Promise<void> {
    if (this.#closing) return;
    const next = (BigInt(offset) + 1n).toString();
    await this.#consumer.commitOffsets([{ topic: this.spec.topic, partition, offset: next }]);
  }

  async #start(): Promise<void> {
    const { spec } = this;
    const { state, logger, timers, options } = this.#deps;
    const c = this.#consumer;
    let joined: () => void = () => undefined;
    const firstJoin = new Promise<void>((resolve) => {
      joined = resolve;
    });
    let first = true;
    this.#unsubscribe.push(
      c.on(c.events.GROUP_JOIN, (event) => {
        state.up();
        if (first) {
          first = false;
          spec.onFirstJoin?.(c, event);
          joined();
        }
      }),
      c.on(c.events.FETCH, () => state.up()),
      c.on(c.events.CRASH, (event) => {
        if (this.#closing) return;
        state.down(event.payload.error);
        logger.warn(
          { group: spec.groupId, error: errorMessage(event.payload.error), restart: event.payload.restart },
          'kafka consumer crashed',
        );
      }),
    );
    await c.connect();
    await c.subscribe({ topic: spec.topic, fromBeginning: spec.fromBeginning });
    await c.run({
      autoCommit: spec.autoCommit,
      partitionsConsumedConcurrently: spec.partitionsConsumedConcurrently,
      eachMessage: (payload) => spec.eachMessage(payload, this),
    });
    const outcome = await timers.race(
      Promise.race([firstJoin.then(() => 'joined' as const), this.stopped.then(() => 'closed' as const)]),
      options.joinTimeoutMs,
      () => 'timeout' as const,
    );
    if (outcome === 'timeout') {
      logger.warn(
        { group: spec.groupId, timeoutMs: options.joinTimeoutMs },
        'kafka consumer not assigned yet',
      );
    }
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#signalStopped();
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    await this.#consumer.disconnect().catch((error: unknown) => {
      this.#deps.logger.debug(
        { group: this.spec.groupId, error: errorMessage(error) },
        'kafka consumer disconnect',
      );
    });
  }
}
