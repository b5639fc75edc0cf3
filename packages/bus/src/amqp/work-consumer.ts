/**
 * One consumeWork() registration: its own channel (so closing it hands every unacked message back to the
 * broker, which redelivers it to another instance), consumers on the group's queues, manual ack after the
 * handler resolves.
 *
 * Retries happen in-process: a failed handler is called again on the same delivery (after a capped
 * exponential pause) with attempt + 1, and only after `maxAttempts` failures is the message published to
 * the dead-letter queue and the original acked. This keeps per-key order for ordered groups (later
 * messages of the key wait behind the retry instead of overtaking a requeued copy) and needs no extra
 * queues. The attempt count lives in the consumer: if the instance dies mid-retry, the broker redelivers
 * the message (redelivered = true) and counting restarts at 1; classic queues keep no delivery count.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Closable, WorkConsumerOptions, WorkHandler, WorkMessage } from '../transport.js';
import { cappedExponential } from './backoff.js';
import type { ConnectionManager, SessionResource } from './connection-manager.js';
import { errorMessage } from './connection-manager.js';
import { KeySerializer } from './key-serializer.js';
import type { ResolvedOptions } from './options.js';
import { publishConfirmed } from './publisher.js';
import type { Session } from './session.js';
import {
  deadLetterQueue,
  declareWorkGroup,
  HEADER_ATTEMPTS,
  HEADER_ERROR,
  HEADER_GROUP,
  HEADER_KEY,
  HEADER_TOPIC,
} from './topology.js';

export const DEFAULT_PREFETCH = 16;
export const DEFAULT_MAX_ATTEMPTS = 5;

export class WorkConsumer implements SessionResource, Closable {
  readonly #manager: ConnectionManager;
  readonly #options: ResolvedOptions;
  readonly #topic: string;
  readonly #group: string;
  readonly #ordered: boolean;
  readonly #prefetch: number;
  readonly #maxAttempts: number;
  readonly #handler: WorkHandler;
  readonly #keys = new KeySerializer();
  #channel: Channel | undefined;
  #sessionId = 0;
  #closed = false;

  constructor(
    manager: ConnectionManager,
    options: ResolvedOptions,
    topic: string,
    consumer: WorkConsumerOptions,
    handler: WorkHandler,
  ) {
    this.#manager = manager;
    this.#options = options;
    this.#topic = topic;
    this.#group = consumer.group;
    this.#ordered = consumer.ordered ?? true;
    this.#prefetch = consumer.prefetch ?? DEFAULT_PREFETCH;
    this.#maxAttempts = consumer.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.#handler = handler;
  }

  async attach(session: Session): Promise<void> {
    if (this.#closed || this.#sessionId === session.id) return;
    const channel = await session.openChannel(`work ${this.#topic}/${this.#group}`);
    // Set before consuming: deliveries may arrive while the remaining queues are still being consumed.
    const previous = this.#channel;
    this.#channel = channel;
    try {
      const queues = await declareWorkGroup(
        channel,
        this.#topic,
        this.#group,
        this.#ordered,
        this.#options.shards,
      );
      // global = true: RabbitMQ applies the limit to the whole channel, i.e. to this instance across all shards.
      await channel.prefetch(this.#prefetch, true);
      for (const queue of queues) {
        await channel.consume(queue, (message) => this.#onMessage(channel, message), { noAck: false });
      }
    } catch (error) {
      if (this.#channel === channel) this.#channel = previous;
      await channel.close().catch(() => undefined);
      throw error;
    }
    if (this.#closed) {
      await channel.close().catch(() => undefined);
      return;
    }
    this.#sessionId = session.id;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#manager.unregister(this);
    const channel = this.#channel;
    this.#channel = undefined;
    // Closing the channel without acking returns in-flight messages to their queues.
    await channel?.close().catch(() => undefined);
  }

  #onMessage(channel: Channel, message: ConsumeMessage | null): void {
    if (!message) {
      this.#options.logger.warn(
        { topic: this.#topic, group: this.#group },
        'amqp consumer cancelled by the broker',
      );
      return;
    }
    const key = headerString(message, HEADER_KEY) ?? '';
    const run = () => this.#handle(channel, message, key);
    const done = this.#ordered ? this.#keys.run(key, run) : run();
    done.catch((error: unknown) => {
      this.#options.logger.error(
        { err: error, topic: this.#topic, group: this.#group },
        'work handling failed',
      );
    });
  }

  /** Whether acks on `channel` still mean something: not closed by us, not replaced after a reconnect. */
  #live(channel: Channel): boolean {
    return !this.#closed && this.#channel === channel;
  }

  async #handle(channel: Channel, message: ConsumeMessage, key: string): Promise<void> {
    const bytes = new Uint8Array(
      message.content.buffer,
      message.content.byteOffset,
      message.content.byteLength,
    );
    for (let attempt = 1; ; attempt++) {
      if (!this.#live(channel)) return; // the broker redelivers it elsewhere
      const work: WorkMessage = {
        topic: this.#topic,
        key,
        bytes,
        attempt,
        redelivered: message.fields.redelivered,
      };
      let failure: unknown;
      try {
        await this.#handler(work);
        this.#settle(channel, message, 'ack');
        return;
      } catch (error) {
        failure = error;
      }
      if (!this.#live(channel)) return;
      this.#options.logger.warn(
        { err: failure, topic: this.#topic, group: this.#group, key, attempt },
        'work handler failed',
      );
      if (attempt >= this.#maxAttempts) {
        await this.#deadLetter(channel, message, key, attempt, errorMessage(failure));
        return;
      }
      const resumed = await this.#manager.timers.sleep(
        cappedExponential(attempt, this.#options.retryBaseMs, this.#options.retryMaxMs),
      );
      if (!resumed) return;
    }
  }

  async #deadLetter(channel: Channel, message: ConsumeMessage, key: string, attempts: number, error: string) {
    try {
      await publishConfirmed(
        this.#manager,
        'dead-letter',
        '',
        deadLetterQueue(this.#topic, this.#group),
        message.content,
        {
          persistent: true,
          headers: {
            [HEADER_KEY]: key,
            [HEADER_TOPIC]: this.#topic,
            [HEADER_GROUP]: this.#group,
            [HEADER_ATTEMPTS]: attempts,
            [HEADER_ERROR]: error,
          },
        },
      );
      this.#settle(channel, message, 'ack');
    } catch (failure) {
      this.#options.logger.error(
        { err: failure, topic: this.#topic, key },
        'dead-lettering failed; requeueing',
      );
      this.#settle(channel, message, 'requeue');
    }
  }

  #settle(channel: Channel, message: ConsumeMessage, outcome: 'ack' | 'requeue'): void {
    if (!this.#live(channel)) return;
    try {
      if (outcome === 'ack') channel.ack(message);
      else channel.nack(message, false, true);
    } catch (error) {
      // The channel closed under us: the broker has already requeued the message.
      this.#options.logger.debug({ err: error }, 'ack on a closed channel ignored');
    }
  }
}

export function headerString(message: ConsumeMessage, name: string): string | undefined {
  const value: unknown = message.properties.headers?.[name];
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}
