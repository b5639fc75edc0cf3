/**
 * Exchange and queue names, and their (idempotent) declarations. Everything durable survives a broker
 * restart; node inboxes are exclusive and vanish with their connection, and are re-declared on reconnect.
 *
 *   sb.work                          durable topic exchange, routing key `<topic>.<bucket>`
 *   sb.work.<topic>.<group>.s<i>     ordered group: durable shard queue, x-single-active-consumer
 *   sb.members                       durable direct exchange, routing key `<topic>.<group>`: membership
 *                                    announcements of ordered groups (membership.ts), each instance
 *                                    reading them through an exclusive auto-delete server-named queue
 *   sb.work.<topic>.<group>          unordered group: one durable queue bound to `<topic>.*`
 *   sb.dlq.<topic>.<group>           durable dead-letter queue (published to via the default exchange)
 *   sb.deliveries                    durable direct exchange, routing key = deliveryRoutingKey(route)
 *   sb.node.<node>                   exclusive auto-delete inbox of one edge node
 *
 * Work queues of a bounded topic (backlog.ts) carry x-max-length (its share of the group's bound) with
 * x-overflow drop-head, and/or x-message-ttl — see declareBoundedQueue for queues declared before.
 */
import type { Channel } from 'amqplib';
import { perShard, rabbitPolicyCommand, type TopicBound } from '../backlog.js';
import { allRoute, nodeRoute } from '../routes.js';
import type { AmqpLogger } from './options.js';
import { deliveryRoutingKey, shardBuckets } from './routing-key.js';

export const WORK_EXCHANGE = 'sb.work';
/**
 * Direct, not topic: node bindings are exact matches (one per channel/user/node), which a direct exchange
 * routes with a hash lookup, while a topic exchange walks a trie per message and would make `.`, `*` and
 * `#` in channel names special (they would need escaping). No wildcard is ever needed here.
 */
export const DELIVERY_EXCHANGE = 'sb.deliveries';

/** Membership announcements of ordered consumer groups (see membership.ts). */
export const MEMBERS_EXCHANGE = 'sb.members';

export const HEADER_KEY = 'x-sb-key';
export const HEADER_ROUTE = 'x-sb-route';
export const HEADER_TOPIC = 'x-sb-topic';
export const HEADER_GROUP = 'x-sb-group';
export const HEADER_ATTEMPTS = 'x-sb-attempts';
export const HEADER_ERROR = 'x-sb-error';

export const shardQueue = (topic: string, group: string, shard: number) =>
  `sb.work.${topic}.${group}.s${shard}`;
export const groupQueue = (topic: string, group: string) => `sb.work.${topic}.${group}`;
export const deadLetterQueue = (topic: string, group: string) => `sb.dlq.${topic}.${group}`;
export const nodeQueue = (node: string) => `sb.node.${node}`;
export const membersRoutingKey = (topic: string, group: string) => `${topic}.${group}`;

export async function declareExchanges(channel: Channel): Promise<void> {
  await channel.assertExchange(WORK_EXCHANGE, 'topic', { durable: true });
  await channel.assertExchange(DELIVERY_EXCHANGE, 'direct', { durable: true });
  await channel.assertExchange(MEMBERS_EXCHANGE, 'direct', { durable: true });
}

/** Declares this instance's announcement inbox for one ordered group; returns its server-made name. */
export async function declareMemberQueue(channel: Channel, topic: string, group: string): Promise<string> {
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
  await channel.bindQueue(queue, MEMBERS_EXCHANGE, membersRoutingKey(topic, group));
  return queue;
}

/** The bound of a topic, and how to declare its queues (a fresh channel per attempt: see below). */
export interface WorkGroupBound {
  readonly bound: TopicBound;
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

/** AMQP 406: the queue exists with other arguments (or exclusive elsewhere). */
const isPreconditionFailed = (error: unknown) =>
  (error as { code?: number } | undefined)?.code === 406 || /PRECONDITION_FAILED/.test(String(error));

/** Closes a channel the broker may have closed already (amqplib then throws synchronously). */
const closeQuietly = (channel: Channel): Promise<void> =>
  Promise.resolve()
    .then(() => channel.close())
    .catch(() => undefined);

/**
 * Declares the queues of a bounded group. RabbitMQ refuses to re-declare a queue with other arguments (406
 * PRECONDITION_FAILED, which also closes the channel): a queue made before the bound existed keeps working
 * unbounded — refusing to consume would stop the service over a missing safety net — and one error log per
 * group names the queues and the policy command that bounds them live. Declarations run on a channel of
 * their own (re-opened after a 406) so the refusal cannot close the caller's.
 */
class BoundedDeclarer {
  readonly refused: string[] = [];
  #probe: Channel | undefined;

  constructor(
    readonly channel: Channel,
    readonly options: WorkGroupBound,
  ) {}

  async declare(queue: string, base: Record<string, unknown>, parts: number): Promise<void> {
    this.#probe ??= await this.options.openChannel();
    const probe = this.#probe;
    try {
      await probe.assertQueue(queue, {
        durable: true,
        arguments: { ...base, ...boundArguments(this.options.bound, parts) },
      });
    } catch (error) {
      this.#probe = undefined; // the broker closed it
      await closeQuietly(probe);
      if (!isPreconditionFailed(error)) throw error;
      await this.channel.checkQueue(queue); // it exists: consume it as it is
      this.refused.push(queue);
    }
  }

  async finish(topic: string, group: string, shards: number): Promise<void> {
    if (this.#probe) await closeQuietly(this.#probe);
    this.#probe = undefined;
    if (this.refused.length === 0) return;
    const { bound, logger } = this.options;
    logger.error(
      { topic, group, queues: this.refused, bound, fix: rabbitPolicyCommand(topic, bound, shards) },
      `${this.refused.length} queue(s) of ${topic}/${group} were declared before the backlog bound and stay unbounded: apply it live with the policy in "fix", or delete the queues while they are empty so they are declared again with it (docs/operations.md)`,
    );
  }
}

/** Declares and binds the queues of one consumer group; returns the queues to consume. */
export async function declareWorkGroup(
  channel: Channel,
  topic: string,
  group: string,
  ordered: boolean,
  shards: number,
  bounded?: WorkGroupBound,
): Promise<string[]> {
  await channel.assertQueue(deadLetterQueue(topic, group), { durable: true });
  const declarer = bounded ? new BoundedDeclarer(channel, bounded) : undefined;
  const queues: string[] = [];
  try {
    if (!ordered) {
      const queue = groupQueue(topic, group);
      if (declarer) await declarer.declare(queue, {}, 1);
      else await channel.assertQueue(queue, { durable: true });
      await channel.bindQueue(queue, WORK_EXCHANGE, `${topic}.*`);
      return [queue];
    }
    for (let shard = 0; shard < shards; shard++) {
      const queue = shardQueue(topic, group, shard);
      const base = { 'x-single-active-consumer': true };
      if (declarer) await declarer.declare(queue, base, shards);
      else await channel.assertQueue(queue, { durable: true, arguments: base });
      for (const bucket of shardBuckets(shard, shards)) {
        await channel.bindQueue(queue, WORK_EXCHANGE, `${topic}.${bucket}`);
      }
      queues.push(queue);
    }
    return queues;
  } finally {
    await declarer?.finish(topic, group, shards);
  }
}

/** Declares a node's inbox with its two permanent bindings (`*` and `n:<node>`). */
export async function declareNodeQueue(channel: Channel, node: string): Promise<string> {
  const queue = nodeQueue(node);
  await channel.assertQueue(queue, { exclusive: true, autoDelete: true, durable: false });
  await channel.bindQueue(queue, DELIVERY_EXCHANGE, deliveryRoutingKey(allRoute));
  await channel.bindQueue(queue, DELIVERY_EXCHANGE, deliveryRoutingKey(nodeRoute(node)));
  return queue;
}
