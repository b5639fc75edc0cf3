/**
 * Declares the durable queues of a consumer group (work or shard queues and the dead-letter queue) with the
 * arguments this version wants, and keeps a group working when the broker holds them with other ones.
 *
 * Quorum queues (the default) are replicated over the cluster's nodes: a work queue survives the loss of
 * one node of three. They carry x-delivery-limit, the broker's count of hand-outs, which also sees the
 * consumer that crashes on a message (the in-process retry count dies with it); past the limit the broker
 * dead-letters the message into the group's DLQ — only on unbounded topics, since with a dead-letter
 * target the broker would also move every message a bound drops into the DLQ, which has no bound.
 *
 * RabbitMQ refuses to re-declare a queue with other arguments (406 PRECONDITION_FAILED, which closes the
 * declaring channel). A queue declared by an earlier version — classic, or without the topic's backlog
 * bound — keeps working as it is (refusing to consume would stop the service), and one error log per
 * group names the queues and the fix. Declarations run on a channel of their own, re-opened after a 406,
 * so the refusal cannot close the caller's channel.
 */
import type { Channel } from 'amqplib';
import { perShard, rabbitPolicyCommand, type TopicBound } from '../backlog.js';
import type { AmqpLogger, QueueType } from './options.js';

/** How a group's durable queues are declared. */
export interface DurableQueueSettings {
  readonly queueType: QueueType;
  readonly deliveryLimit: number;
  /** The topic's backlog bound (backlog.ts), if any. */
  readonly bound: TopicBound | undefined;
  /** A fresh channel whose 'error' events are already handled (a 406 closes it). */
  readonly openChannel: () => Promise<Channel>;
  readonly logger: AmqpLogger;
}

/** Queue arguments of one of `parts` queues sharing a bound. */
export function boundArguments(bound: TopicBound, parts: number): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  if (bound.maxMessages !== undefined) {
    args['x-max-length'] = perShard(bound.maxMessages, parts);
    args['x-overflow'] = 'drop-head';
  }
  if (bound.maxAgeMs !== undefined) args['x-message-ttl'] = bound.maxAgeMs;
  return args;
}

/** The arguments of a work or shard queue: `base` (e.g. single active consumer) plus type, limit and bound. */
export function workQueueArguments(
  settings: Pick<DurableQueueSettings, 'queueType' | 'deliveryLimit' | 'bound'>,
  base: Record<string, unknown>,
  parts: number,
  deadLetterQueue: string,
): Record<string, unknown> {
  const bound = settings.bound ? boundArguments(settings.bound, parts) : {};
  if (settings.queueType === 'classic') return { ...base, ...bound };
  const deadLetter = settings.bound
    ? {}
    : { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': deadLetterQueue };
  return {
    'x-queue-type': 'quorum',
    ...base,
    'x-delivery-limit': settings.deliveryLimit,
    ...deadLetter,
    ...bound,
  };
}

/** The arguments of a dead-letter queue (never bounded: a dead letter waits until someone looks at it). */
export function deadLetterQueueArguments(queueType: QueueType): Record<string, unknown> {
  return queueType === 'quorum' ? { 'x-queue-type': 'quorum' } : {};
}

/** AMQP 406: the queue exists with other arguments (or exclusive elsewhere). */
export const isPreconditionFailed = (error: unknown) =>
  (error as { code?: number } | undefined)?.code === 406 || /PRECONDITION_FAILED/.test(String(error));

/** Closes a channel the broker may have closed already (amqplib then throws synchronously). */
export const closeQuietly = (channel: Channel): Promise<void> =>
  Promise.resolve()
    .then(() => channel.close())
    .catch(() => undefined);

export class DurableQueueDeclarer {
  /** Queues found classic while quorum is wanted (declared by a version before quorum queues). */
  readonly classic: string[] = [];
  /** Queues found with other arguments of the wanted type (declared before the topic's bound). */
  readonly other: string[] = [];
  #probe: Channel | undefined;

  constructor(
    readonly channel: Channel,
    readonly settings: DurableQueueSettings,
  ) {}

  /**
   * Declares `queue` with `wanted`; when the broker holds it with other arguments, checks it exists and
   * records why. `legacy` lists the argument sets earlier versions declared it with, newest first.
   */
  async declare(
    queue: string,
    wanted: Record<string, unknown>,
    legacy: readonly Record<string, unknown>[],
  ): Promise<void> {
    if (await this.#tryDeclare(queue, wanted)) return;
    await this.channel.checkQueue(queue); // it exists: consume it as it is
    if (this.settings.queueType === 'quorum') {
      for (const args of legacy) {
        if (await this.#tryDeclare(queue, args)) {
          this.classic.push(queue);
          return;
        }
      }
    }
    this.other.push(queue);
  }

  /** Reports what was refused (once per group) and closes the probe channel. */
  async finish(topic: string, group: string, shards: number): Promise<void> {
    if (this.#probe) await closeQuietly(this.#probe);
    this.#probe = undefined;
    const { bound, logger } = this.settings;
    if (this.classic.length > 0) {
      logger.error(
        {
          topic,
          group,
          queues: this.classic,
          fix: `drain and re-declare them as quorum queues: docs/operations.md, "Broker clusters" (migration)`,
        },
        `${this.classic.length} queue(s) of ${topic}/${group} are classic queues declared by an earlier version: they keep working, but are not replicated, so losing their node stops them until it returns`,
      );
    }
    if (this.other.length === 0) return;
    if (bound) {
      logger.error(
        { topic, group, queues: this.other, bound, fix: rabbitPolicyCommand(topic, bound, shards) },
        `${this.other.length} queue(s) of ${topic}/${group} were declared before the backlog bound and stay unbounded: apply it live with the policy in "fix", or delete the queues while they are empty so they are declared again with it (docs/operations.md)`,
      );
    } else {
      logger.error(
        { topic, group, queues: this.other },
        `${this.other.length} queue(s) of ${topic}/${group} exist with other arguments than this version declares; they keep working as they are (docs/operations.md)`,
      );
    }
  }

  /** True when the declaration was accepted; false on a 406 (the probe channel is then replaced). */
  async #tryDeclare(queue: string, args: Record<string, unknown>): Promise<boolean> {
    this.#probe ??= await this.settings.openChannel();
    const probe = this.#probe;
    try {
      await probe.assertQueue(queue, { durable: true, arguments: args });
      return true;
    } catch (error) {
      this.#probe = undefined; // the broker closed it
      await closeQuietly(probe);
      if (!isPreconditionFailed(error)) throw error;
      return false;
    }
  }
}
