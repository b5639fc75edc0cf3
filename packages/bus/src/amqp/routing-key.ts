/**
 * Routing keys of the two exchanges.
 *
 * Work: `<topic>.<bucket>` on the topic exchange `sb.work`, bucket = hashKey(key) % 16. Topics match
 * [A-Za-z0-9_-] (assertName), so they never contain the topic-exchange separators `.`, `*` or `#`.
 *
 * Deliveries: `sb.deliveries` is a direct exchange, so a routing key is matched byte for byte and `.`,
 * `*`, `#` have no meaning: routeKey(route) (`c:<channel>`, `u:<user>`, `n:<node>`, `*`) is used as is.
 * The only thing to handle is AMQP's 255-byte limit on routing keys (a shortstr): `c:` plus a
 * 255-character channel name is 257 bytes, and user ids may be longer or non-ASCII. Keys over the limit
 * become `h:<sha256 hex of the route key>` (66 bytes). No route key starts with `h:` (routeKey's prefixes
 * are `c:`, `u:`, `n:` and `*`), so the hashed form never collides with a plain one, and two different
 * long keys collide only if SHA-256 does.
 */
import { createHash } from 'node:crypto';
import { hashKey, routeKey } from '../routes.js';
import type { Route } from '../transport.js';
import { BUCKETS } from './options.js';

/** AMQP 0-9-1 shortstr limit. */
export const MAX_ROUTING_KEY_BYTES = 255;

export function deliveryRoutingKey(route: Route): string {
  return routingKeyFor(routeKey(route));
}

/** Maps a route key (routes.ts form) to the routing key used on `sb.deliveries`. */
export function routingKeyFor(key: string): string {
  if (Buffer.byteLength(key, 'utf8') <= MAX_ROUTING_KEY_BYTES && !key.startsWith('h:')) return key;
  return `h:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

export function workBucket(key: string): number {
  return hashKey(key) % BUCKETS;
}

export function workRoutingKey(topic: string, key: string): string {
  return `${topic}.${workBucket(key)}`;
}

/** The buckets a shard queue of an ordered group is bound to. */
export function shardBuckets(shard: number, shards: number): number[] {
  const buckets: number[] = [];
  for (let bucket = shard; bucket < BUCKETS; bucket += shards) buckets.push(bucket);
  return buckets;
}
