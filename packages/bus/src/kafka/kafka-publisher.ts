/**
 * The transport's one producer (acks=all). A send resolves once the broker accepted it; while the broker is
 * unreachable it keeps trying until `publishTimeoutMs`, then rejects with BusUnavailableError. It never
 * drops a message silently. Connects lazily and reconnects by itself (kafkajs refreshes its broker pool).
 */
import { type Kafka, type Message, Partitioners, type Producer } from 'kafkajs';
import { BusClosedError, BusError, BusUnavailableError } from '../errors.js';
import type { ConnectionState } from './connection-state.js';
import { isTransientKafkaError, toPublishError } from './kafka-errors.js';
import { type BusLogger, errorMessage } from './kafka-log.js';
import type { TimerSet } from './timer-set.js';

const RETRY_PAUSE_MS = 250;
const TIMED_OUT = Symbol('timed out');

export interface PublisherDeps {
  readonly kafka: Kafka;
  readonly timeoutMs: number;
  readonly state: ConnectionState;
  readonly timers: TimerSet;
  readonly logger: BusLogger;
}

export class KafkaPublisher {
  readonly #deps: PublisherDeps;
  readonly #producer: Producer;
  #connecting: Promise<void> | undefined;
  #closed = false;

  constructor(deps: PublisherDeps) {
    this.#deps = deps;
    this.#producer = deps.kafka.producer({
      allowAutoTopicCreation: false,
      // Java-compatible murmur2: a key lands on the same partition whichever language published it.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  /**
   * Sends `messages` to `topic` in one request. `prepare` (e.g. creating the topic) runs inside the same
   * deadline. Rejects with BusClosedError, BusRejectedError (the broker refused) or BusUnavailableError.
   */
  async send(topic: string, messages: Message[], prepare?: () => Promise<void>): Promise<void> {
    const { timeoutMs, timers, state } = this.#deps;
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown = new Error('no attempt finished');
    for (;;) {
      if (this.#closed) throw new BusClosedError();
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw toPublishError(lastError, true);
      const attempt = (async () => {
        await prepare?.();
        await this.#connect();
        await this.#producer.send({ topic, acks: -1, messages });
      })();
      try {
        const outcome = await timers.race(attempt, remaining, () => TIMED_OUT);
        if (this.#closed) throw new BusClosedError();
        if (outcome === TIMED_OUT) {
          attempt.catch(() => undefined); // may still land: at least once, the caller was told it failed
          throw toPublishError(lastError, true);
        }
        state.up();
        return;
      } catch (error) {
        if (this.#closed) throw new BusClosedError();
        const transient = error instanceof BusUnavailableError || isTransientKafkaError(error);
        if (!transient) throw error instanceof BusError ? error : toPublishError(error, false);
        lastError = error;
        state.down(error instanceof Error ? error : undefined);
        this.#deps.logger.debug({ topic, error: errorMessage(error) }, 'kafka send failed, trying again');
        await timers.delay(Math.min(RETRY_PAUSE_MS, Math.max(0, deadline - Date.now())));
      }
    }
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
    await this.#producer.disconnect().catch(() => undefined);
  }
}
