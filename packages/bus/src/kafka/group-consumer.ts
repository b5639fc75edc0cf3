/**
 * One kafkajs consumer in one group on one topic, shared by work, dead-letter and node consumers:
 * timeouts from the options, recovery by itself, connection events, and start() resolving once the group
 * has been joined and partitions assigned.
 *
 * Recovery: kafkajs restarts a crashed consumer only when the crash is "retriable" (restartOnFailure is
 * not even asked otherwise). Some crashes it calls fatal are not: when no group coordinator answers within
 * the client's retry budget (a fresh broker still creating and loading `__consumer_offsets`, a broker
 * restarting), findGroupCoordinator gives up with KafkaJSGroupCoordinatorNotFound, which is non-retriable,
 * and that consumer stays dead for good while the service believes it is consuming. So a crash that
 * kafkajs does not restart makes us replace the kafkajs consumer (same group, same topic) after a pause,
 * and keep doing so, with logging, until one runs or we are closed.
 *
 * Start: a broker that cannot be reached fails start() (a setting to fix). A reachable broker that cannot
 * serve the subscription yet is recovered like a crash: a topic created a moment ago may have no metadata
 * on the broker for a while (subscribe fails with UNKNOWN_TOPIC_OR_PARTITION), and a service on a fresh
 * Kafka used to exit on it.
 */
import type { Consumer, ConsumerGroupJoinEvent, EachMessagePayload, Kafka } from 'kafkajs';
import { BusUnavailableError } from '../errors.js';
import type { ConnectionState } from './connection-state.js';
import { isTransientKafkaError } from './kafka-errors.js';
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

/** Pause before replacing a consumer that kafkajs gave up on; doubles per failed attempt up to the max. */
export const RECOVERY_MIN_MS = 500;
export const RECOVERY_MAX_MS = 10_000;

export class GroupConsumer {
  readonly spec: GroupConsumerSpec;
  readonly #deps: GroupConsumerDeps;
  /** The live kafkajs consumer (replaced when kafkajs gives up on one). */
  #consumer: Consumer;
  /** Listener removers of the live consumer. */
  #unsubscribe: (() => void)[] = [];
  /** Consumers that crashed and that kafkajs does not restart. */
  readonly #dead = new WeakSet<Consumer>();
  #recovering: Promise<void> | undefined;
  #closing = false;
  /** Set once close() disconnects: commits are refused from then on (they are allowed while closing). */
  #disconnecting = false;
  #first = true;
  #joined: () => void = () => undefined;
  readonly #firstJoin = new Promise<void>((resolve) => {
    this.#joined = resolve;
  });
  #signalStopped: () => void = () => undefined;
  /** Resolves when close() starts: in-flight handlers race against it and give up (without committing). */
  readonly stopped = new Promise<void>((resolve) => {
    this.#signalStopped = resolve;
  });

  private constructor(deps: GroupConsumerDeps, spec: GroupConsumerSpec) {
    this.#deps = deps;
    this.spec = spec;
    this.#consumer = this.#create();
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

  /**
   * Commits `offset` (the message's own offset; the next one is committed) of a partition. Allowed while
   * closing, until the consumer disconnects, so that what was handled before close() can still be committed.
   */
  async commit(partition: number, offset: string): Promise<void> {
    if (this.#disconnecting) return;
    const next = (BigInt(offset) + 1n).toString();
    await this.#consumer.commitOffsets([{ topic: this.spec.topic, partition, offset: next }]);
  }

  #create(): Consumer {
    const { options } = this.#deps;
    return this.#deps.kafka.consumer({
      groupId: this.spec.groupId,
      sessionTimeout: options.sessionTimeoutMs,
      rebalanceTimeout: options.rebalanceTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      maxWaitTimeInMs: options.maxWaitTimeMs,
      allowAutoTopicCreation: false,
      retry: { restartOnFailure: async () => !this.#closing },
    });
  }

  #listen(c: Consumer): void {
    const { spec } = this;
    const { state, logger } = this.#deps;
    this.#unsubscribe.push(
      c.on(c.events.GROUP_JOIN, (event) => {
        if (this.#closing || c !== this.#consumer) return;
        state.up();
        if (this.#first) {
          this.#first = false;
          spec.onFirstJoin?.(c, event);
          this.#joined();
        }
      }),
      c.on(c.events.FETCH, () => {
        if (c === this.#consumer) state.up();
      }),
      c.on(c.events.CRASH, (event) => {
        if (this.#closing || c !== this.#consumer) return;
        const { error, restart } = event.payload;
        state.down(error);
        logger.warn(
          { group: spec.groupId, error: errorMessage(error), errorName: error.name, restart },
          'kafka consumer crashed',
        );
        if (!restart) {
          this.#dead.add(c);
          this.#recover();
        }
      }),
    );
  }

  /** Connects, subscribes and runs `c`; kafkajs' run() returns once the first join succeeded or crashed. */
  async #run(c: Consumer): Promise<void> {
    await c.connect();
    await this.#subscribeAndRun(c);
  }

  async #subscribeAndRun(c: Consumer): Promise<void> {
    const { spec } = this;
    await c.subscribe({ topic: spec.topic, fromBeginning: spec.fromBeginning });
    await c.run({
      autoCommit: spec.autoCommit,
      partitionsConsumedConcurrently: spec.partitionsConsumedConcurrently,
      eachMessage: (payload) => spec.eachMessage(payload, this),
    });
  }

  async #start(): Promise<void> {
    const { spec } = this;
    const { logger, timers, options } = this.#deps;
    const first = this.#consumer;
    this.#listen(first);
    await first.connect();
    try {
      await this.#subscribeAndRun(first);
    } catch (error) {
      if (!isTransientKafkaError(error)) throw error;
      logger.warn(
        { group: spec.groupId, topic: spec.topic, error: errorMessage(error) },
        'kafka consumer cannot subscribe yet',
      );
      this.#dead.add(first);
      this.#recover();
    }
    const outcome = await timers.race(
      Promise.race([
        this.#firstJoin.then(() => 'joined' as const),
        this.stopped.then(() => 'closed' as const),
      ]),
      options.joinTimeoutMs,
      () => 'timeout' as const,
    );
    if (outcome === 'timeout') {
      logger.warn(
        { group: spec.groupId, timeoutMs: options.joinTimeoutMs, recovering: this.#recovering !== undefined },
        'kafka consumer not assigned yet',
      );
    }
  }

  /**
   * Replaces the live consumer, which kafkajs will not restart, by a new one in the same group, after a
   * pause; again and again (the pause doubling up to RECOVERY_MAX_MS) until one runs or we close.
   */
  #recover(): void {
    if (this.#recovering) return; // the running loop sees the new crash through #dead
    const { spec } = this;
    const { logger, timers } = this.#deps;
    this.#recovering = (async () => {
      for (let attempt = 1; !this.#closing; attempt++) {
        const pauseMs = Math.min(RECOVERY_MIN_MS * 2 ** (attempt - 1), RECOVERY_MAX_MS);
        logger.warn(
          { group: spec.groupId, attempt, pauseMs },
          'kafka consumer will not be restarted by kafkajs; replacing it',
        );
        await timers.race(this.stopped, pauseMs, () => undefined); // close() cuts the pause short
        if (this.#closing) return;
        const dead = this.#consumer;
        for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
        await dead.disconnect().catch(() => undefined); // kafkajs disconnected it already; to be sure
        if (this.#closing) return;
        const next = this.#create();
        this.#consumer = next;
        this.#listen(next);
        try {
          await this.#run(next);
        } catch (error) {
          if (this.#closing) return;
          logger.warn(
            { group: spec.groupId, attempt, error: errorMessage(error) },
            'kafka consumer replacement failed to start',
          );
          this.#dead.add(next);
          continue;
        }
        if (this.#closing) return;
        if (this.#dead.has(next)) continue; // its first join crashed for good too
        logger.info({ group: spec.groupId, attempt }, 'kafka consumer replaced');
        return;
      }
    })()
      .catch((error: unknown) => {
        logger.error({ group: spec.groupId, error: errorMessage(error) }, 'kafka consumer recovery failed');
      })
      .finally(() => {
        this.#recovering = undefined;
      });
  }

  /**
   * Stops handling at once (in-flight handlers are abandoned, nothing new starts), then runs
   * `beforeDisconnect` (commits still allowed), then leaves the group.
   */
  async close(beforeDisconnect?: () => Promise<unknown>): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#signalStopped();
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    const recovering = this.#recovering;
    if (beforeDisconnect) await beforeDisconnect().catch(() => undefined);
    this.#disconnecting = true;
    await this.#consumer.disconnect().catch((error: unknown) => {
      this.#deps.logger.debug(
        { group: this.spec.groupId, error: errorMessage(error) },
        'kafka consumer disconnect',
      );
    });
    // A replacement created while we were disconnecting the previous one is disconnected too.
    await recovering;
    await this.#consumer.disconnect().catch(() => undefined);
  }
}
