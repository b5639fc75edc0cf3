/**
 * consumeDeadLetters(): reads `sb.dlq.<topic>.<group>`, acks after the handler resolves. A failing handler
 * gets the letter again after a pause (nack with requeue), so a dead letter is never lost.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Closable, DeadLetter, DeadLetterHandler } from '../transport.js';
import type { ConnectionManager, SessionResource } from './connection-manager.js';
import { headerString } from './message-headers.js';
import type { ResolvedOptions } from './options.js';
import { deadLetterQueueArguments, isPreconditionFailed } from './queue-declarer.js';
import type { Session } from './session.js';
import { deadLetterQueue, HEADER_ATTEMPTS, HEADER_ERROR, HEADER_KEY } from './topology.js';

const PREFETCH = 16;

export class DeadLetterConsumer implements SessionResource, Closable {
  readonly #manager: ConnectionManager;
  readonly #options: ResolvedOptions;
  readonly #topic: string;
  readonly #group: string;
  readonly #handler: DeadLetterHandler;
  #channel: Channel | undefined;
  #sessionId = 0;
  #closed = false;

  constructor(
    manager: ConnectionManager,
    options: ResolvedOptions,
    topic: string,
    group: string,
    handler: DeadLetterHandler,
  ) {
    this.#manager = manager;
    this.#options = options;
    this.#topic = topic;
    this.#group = group;
    this.#handler = handler;
  }

  async attach(session: Session): Promise<void> {
    if (this.#closed || this.#sessionId === session.id) return;
    const channel = await session.openChannel(`dlq ${this.#topic}/${this.#group}`);
    // Set before consuming: deliveries may arrive while the remaining queues are still being consumed.
    const previous = this.#channel;
    this.#channel = channel;
    try {
      const queue = deadLetterQueue(this.#topic, this.#group);
      await declareDeadLetterQueue(session, channel, queue, this.#options.queueType, this.#options.logger);
      // Per consumer: quorum queues refuse a channel-wide (global) limit; this channel has one consumer.
      await channel.prefetch(PREFETCH, false);
      await channel.consume(queue, (message) => void this.#onMessage(channel, message), { noAck: false });
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
    await channel?.close().catch(() => undefined);
  }

  async #onMessage(channel: Channel, message: ConsumeMessage | null): Promise<void> {
    if (!message) return;
    const headers = message.properties.headers ?? {};
    // Dead-lettered by the broker (x-delivery-limit, queue-declarer.ts): no attempt count or error of ours.
    const byBroker = headers[HEADER_ATTEMPTS] === undefined && headers['x-death'] !== undefined;
    const attempts = byBroker ? headers['x-delivery-count'] : headers[HEADER_ATTEMPTS];
    const letter: DeadLetter = {
      topic: this.#topic,
      group: this.#group,
      key: headerString(message, HEADER_KEY) ?? '',
      bytes: new Uint8Array(message.content.buffer, message.content.byteOffset, message.content.byteLength),
      attempts: typeof attempts === 'number' ? attempts : Number(attempts ?? 0),
      error:
        headerString(message, HEADER_ERROR) ??
        (byBroker ? 'delivery limit reached: its consumers died or gave it back that often' : ''),
    };
    let ok = true;
    try {
      await this.#handler(letter);
    } catch (error) {
      ok = false;
      this.#options.logger.warn(
        { err: error, topic: this.#topic, group: this.#group },
        'dead-letter handler failed',
      );
      await this.#manager.timers.sleep(this.#options.retryMaxMs);
    }
    if (this.#closed || this.#channel !== channel) return;
    try {
      if (ok) channel.ack(message);
      else channel.nack(message, false, true);
    } catch {
      // channel closed meanwhile: the broker requeued the letter
    }
  }
}

/**
 * Declares the DLQ on its own channel: a DLQ an earlier version declared classic (406 on a quorum
 * declaration) is consumed as it is; the work consumer's declaration reports it with the group's queues.
 */
async function declareDeadLetterQueue(
  session: Session,
  channel: Channel,
  queue: string,
  queueType: ResolvedOptions['queueType'],
  logger: ResolvedOptions['logger'],
): Promise<void> {
  const probe = await session.connection.createChannel();
  probe.on('error', () => undefined);
  try {
    await probe.assertQueue(queue, { durable: true, arguments: deadLetterQueueArguments(queueType) });
  } catch (error) {
    if (!isPreconditionFailed(error)) throw error;
    logger.debug({ queue }, 'dead-letter queue exists with other arguments; consumed as it is');
  } finally {
    await Promise.resolve()
      .then(() => probe.close())
      .catch(() => undefined);
  }
  await channel.checkQueue(queue);
}
