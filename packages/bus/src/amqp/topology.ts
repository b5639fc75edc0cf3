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
 *   sb.node.<node>[.r<n>]            exclusive auto-delete inbox of one edge node (.r<n>: n-th re-declaration)
 *
 * The durable queues are quorum queues by default (replicated over a cluster's nodes; x-delivery-limit,
 * dead-lettering into the DLQ). Work queues of a bounded topic (backlog.ts) carry x-max-length (its share
 * of the group's bound) with x-overflow drop-head, and/or x-message-ttl — see queue-declarer.ts, also for
 * queues declared otherwise by earlier versions.
 */

export { boundArguments } from './queue-declarer.js';

import { amqpHeader, BusHeaders } from '@switchboard/protocol';
import type { Channel } from 'amqplib';
import { allRoute, nodeRoute } from '../routes.js';
import {
  boundArguments,
  DurableQueueDeclarer,
  type DurableQueueSettings,
  deadLetterQueueArguments,
  workQueueArguments,
} from './queue-declarer.js';
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

// Header names are defined once for every side in @switchboard/protocol.
export const HEADER_KEY = amqpHeader(BusHeaders.key);
export const HEADER_ROUTE = amqpHeader(BusHeaders.route);
export const HEADER_TOPIC = amqpHeader(BusHeaders.topic);
export const HEADER_GROUP = amqpHeader(BusHeaders.group);
export const HEADER_ATTEMPTS = amqpHeader(BusHeaders.attempts);
export const HEADER_ERROR = amqpHeader(BusHeaders.error);

export const shardQueue = (topic: string, group: string, shard: number) =>
  `sb.work.${topic}.${group}.s${shard}`;
export const groupQueue = (topic: string, group: string) => `sb.work.${topic}.${group}`;
export const deadLetterQueue = (topic: string, group: string) => `sb.dlq.${topic}.${group}`;
/**
 * A node's inbox queue. Each declaration after the first gets a name of its own (`.r<n>`; node ids have no
 * dot): in a cluster the exclusive queue of a lost broker node lingers until the survivors clean it up, and
 * re-declaring the same name meanwhile is refused (RESOURCE_LOCKED) or, once declared, removed again by
 * that clean-up. Routing never uses the queue name — only the bindings — so publishers see no difference.
 */
export const nodeQueue = (node: string, declaration = 0) =>
  declaration === 0 ? `sb.node.${node}` : `sb.node.${node}.r${declaration}`;
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

/** Declares and binds the queues of one consumer group (queue-declarer.ts); returns the queues to consume. */
export async function declareWorkGroup(
  channel: Channel,
  topic: string,
  group: string,
  ordered: boolean,
  shards: number,
  settings: DurableQueueSettings,
): Promise<string[]> {
  const declarer = new DurableQueueDeclarer(channel, settings);
  const legacy = (base: Record<string, unknown>, parts: number) =>
    settings.bound ? [{ ...base, ...boundArguments(settings.bound, parts) }, base] : [base];
  const dlq = deadLetterQueue(topic, group);
  const queues: string[] = [];
  try {
    await declarer.declare(dlq, deadLetterQueueArguments(settings.queueType), [{}]);
    if (!ordered) {
      const queue = groupQueue(topic, group);
      await declarer.declare(queue, workQueueArguments(settings, {}, 1, dlq), legacy({}, 1));
      await channel.bindQueue(queue, WORK_EXCHANGE, `${topic}.*`);
      return [queue];
    }
    for (let shard = 0; shard < shards; shard++) {
      const queue = shardQueue(topic, group, shard);
      const base = { 'x-single-active-consumer': true };
      await declarer.declare(queue, workQueueArguments(settings, base, shards, dlq), legacy(base, shards));
      for (const bucket of shardBuckets(shard, shards)) {
        await channel.bindQueue(queue, WORK_EXCHANGE, `${topic}.${bucket}`);
      }
      queues.push(queue);
    }
    return queues;
  } finally {
    await declarer.finish(topic, group, shards);
  }
}

/** Declares a node's inbox with its two permanent bindings (`*` and `n:<node>`). */
export async function declareNodeQueue(channel: Channel, node: string, declaration: number): Promise<string> {
  const queue = nodeQueue(node, declaration);
  await channel.assertQueue(queue, { exclusive: true, autoDelete: true, durable: false });
  await channel.bindQueue(queue, DELIVERY_EXCHANGE, deliveryRoutingKey(allRoute));
  await channel.bindQueue(queue, DELIVERY_EXCHANGE, deliveryRoutingKey(nodeRoute(node)));
  return queue;
}
