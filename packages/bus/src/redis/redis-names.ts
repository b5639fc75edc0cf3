/**
 * Every Redis key and channel the transport uses. Topics, groups and nodes are checked by assertName
 * (letters, digits, `_` and `-`), so the `:`-separated names below are unambiguous.
 *
 *   sb:meta:<topic>:shards               the topic's shard count, fixed by the first process that uses it
 *   sb:work:<topic>:<shard>              work stream of one shard (XADD; one consumer group per service group)
 *   sb:members:<topic>:<group>           live instances of an ordered group (sorted set, score = expiry)
 *   sb:lease:<topic>:<group>:<shard>     the one instance of an ordered group that owns the shard (SET NX PX)
 *   sb:dlq:<topic>:<group>               dead-letter stream of a group
 *   sb:d:<routeKey>                      Pub/Sub channel of a delivery route (`sb:d:*` for all, `sb:d:n:<node>`)
 */
import { BusNameError } from '../errors.js';
import { hashKey, parseRouteKey, routeKey } from '../routes.js';
import type { Route } from '../transport.js';

export const shardCountKey = (topic: string): string => `sb:meta:${topic}:shards`;
export const workStream = (topic: string, shard: number): string => `sb:work:${topic}:${shard}`;
export const membersKey = (topic: string, group: string): string => `sb:members:${topic}:${group}`;
export const leaseKey = (topic: string, group: string, shard: number): string =>
  `sb:lease:${topic}:${group}:${shard}`;
export const deadLetterStream = (topic: string, group: string): string => `sb:dlq:${topic}:${group}`;
/** The consumer group that reads a dead-letter stream (readers compete for letters). */
export const DEAD_LETTER_READERS = 'sb-dlq-readers';

const DELIVERY_PREFIX = 'sb:d:';
export const deliveryChannel = (route: Route): string => `${DELIVERY_PREFIX}${routeKey(route)}`;

export function routeOfChannel(channel: string): Route {
  if (!channel.startsWith(DELIVERY_PREFIX)) throw new BusNameError(`not a delivery channel: ${channel}`);
  return parseRouteKey(channel.slice(DELIVERY_PREFIX.length));
}

/** Key -> shard: FNV-1a (routes.ts hashKey) modulo the topic's shard count, the same in every process. */
export const shardOf = (key: string, shards: number): number => hashKey(key) % shards;

/** Field names of a work entry (and of a dead letter, which adds attempts, error and origin). */
export const FIELD = {
  key: 'k',
  bytes: 'b',
  attempts: 'a',
  error: 'e',
  origin: 'o',
} as const;

/**
 * The shards an instance of an ordered group owns: members sorted, shard s belongs to member s mod n.
 * An instance that is not (yet) in the list owns nothing.
 */
export function assignShards(members: readonly string[], me: string, shards: number): number[] {
  const sorted = [...new Set(members)].sort();
  const index = sorted.indexOf(me);
  if (index < 0) return [];
  const mine: number[] = [];
  for (let shard = index; shard < shards; shard += sorted.length) mine.push(shard);
  return mine;
}
