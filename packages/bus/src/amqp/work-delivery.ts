/**
 * What happens to one work message after the broker delivered it: the handler runs (one key at a time per
 * lane for ordered groups), then the message is acked, retried, or dead-lettered.
 *
 * Retries happen in-process: a failed handler is called again on the same delivery (after a capped
 * exponential pause) with attempt + 1, and only after `maxAttempts` failures is the message published to
 * the dead-letter queue and the original acked. This keeps per-key order for ordered groups (later
 * messages of the key wait behind the retry instead of overtaking a requeued copy) and needs no extra
 * queues. The attempt count lives in the consumer: if the instance dies mid-retry, the broker redelivers
 * the message (redelivered = true) and counting restarts at 1. A message that kills its consumer every
 * time is caught by the quorum queue's x-delivery-limit instead, which the broker counts (queue-declarer.ts).
 */
import type { ConsumeMessage } from 'amqplib';
import type { WorkHandler, WorkMessage } from '../transport.js';
import { cappedExponential } from './backoff.js';
import type { ConnectionManager } from './connection-manager.js';
import { errorMessage } from './connection-manager.js';
import { headerString } from './message-headers.js';
import type { ResolvedOptions } from './options.js';
import { publishConfirmed } from './publisher.js';
import {
  deadLetterQueue,
  HEADER_ATTEMPTS,
  HEADER_ERROR,
  HEADER_GROUP,
  HEADER_KEY,
  HEADER_TOPIC,
} from './topology.js';
import type { WorkLane } from './work-lane.js';

export interface WorkDeliveryConfig {
  readonly manager: ConnectionManager;
  readonly options: ResolvedOptions;
  readonly topic: string;
  readonly group: string;
  /** Run one key's messages one after the other (ordered groups) rather than all at once. */
  readonly ordered: boolean;
  readonly maxAttempts: number;
  readonly handler: WorkHandler;
  /** True once the registration is closed: acks no longer mean anything. */
  readonly closed: () => boolean;
}

export class WorkDelivery {
  readonly #c: WorkDeliveryConfig;

  constructor(config: WorkDeliveryConfig) {
    this.#c = config;
  }

  /**
   * The consume callback of `lane`. A null message is the broker cancelling the consumer: it is logged and
   * `onCancel` (if any) decides what becomes of the lane.
   */
  onMessage(lane: WorkLane, message: ConsumeMessage | null, shard?: number, onCancel?: () => void): void {
    const { options, topic, group } = this.#c;
    if (!message) {
      options.logger.warn({ topic, group, shard }, 'amqp consumer cancelled by the broker');
      onCancel?.();
      return;
    }
    const key = headerString(message, HEADER_KEY) ?? '';
    const run = () => this.#handle(lane, message, key);
    const done = (this.#c.ordered ? lane.keys.run(key, run) : run()).catch((error: unknown) => {
      options.logger.error({ err: error, topic, group }, 'work handling failed');
    });
    lane.inflight.add(done);
    void done.then(() => lane.inflight.delete(done));
  }

  /** Whether acks on the lane's channel still mean something: not closed by us, not replaced, not handed over. */
  #live(lane: WorkLane): boolean {
    return !this.#c.closed() && lane.live;
  }

  async #handle(lane: WorkLane, message: ConsumeMessage, key: string): Promise<void> {
    // Handed over (or closed) before this message's turn: closing the channel requeues it in place.
    if (!lane.starting || !this.#live(lane)) return;
    const { options, topic, group } = this.#c;
    const bytes = new Uint8Array(
      message.content.buffer,
      message.content.byteOffset,
      message.content.byteLength,
    );
    for (let attempt = 1; ; attempt++) {
      if (!this.#live(lane)) return; // the broker redelivers it elsewhere
      const work: WorkMessage = {
        topic,
        key,
        bytes,
        attempt,
        redelivered: message.fields.redelivered,
      };
      let failure: unknown;
      try {
        await this.#c.handler(work);
        this.#settle(lane, message, 'ack');
        return;
      } catch (error) {
        failure = error;
      }
      if (!this.#live(lane)) return;
      options.logger.warn({ err: failure, topic, group, key, attempt }, 'work handler failed');
      if (attempt >= this.#c.maxAttempts) {
        await this.#deadLetter(lane, message, key, attempt, errorMessage(failure));
        return;
      }
      const resumed = await this.#c.manager.timers.sleep(
        cappedExponential(attempt, options.retryBaseMs, options.retryMaxMs),
      );
      if (!resumed) return;
    }
  }

  async #deadLetter(lane: WorkLane, message: ConsumeMessage, key: string, attempts: number, error: string) {
    const { manager, options, topic, group } = this.#c;
    try {
      await publishConfirmed(manager, 'dead-letter', '', deadLetterQueue(topic, group), message.content, {
        persistent: true,
        headers: {
          [HEADER_KEY]: key,
          [HEADER_TOPIC]: topic,
          [HEADER_GROUP]: group,
          [HEADER_ATTEMPTS]: attempts,
          [HEADER_ERROR]: error,
        },
      });
      this.#settle(lane, message, 'ack');
    } catch (failure) {
      options.logger.error({ err: failure, topic, key }, 'dead-lettering failed; requeueing');
      this.#settle(lane, message, 'requeue');
    }
  }

  #settle(lane: WorkLane, message: ConsumeMessage, outcome: 'ack' | 'requeue'): void {
    if (!this.#live(lane)) return;
    try {
      if (outcome === 'ack') lane.channel.ack(message);
      else lane.channel.nack(message, false, true);
    } catch (error) {
      // The channel closed under us: the broker has already requeued the message.
      this.#c.options.logger.debug({ err: error }, 'ack on a closed channel ignored');
    }
  }
}
