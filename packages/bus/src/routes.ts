/**
 * Route helpers shared by every transport: a stable string form (for maps, Kafka headers and AMQP routing
 * keys) and name validation for topics and groups.
 */
import { BusNameError } from './errors.js';
import type { Route } from './transport.js';

export const allRoute: Route = { kind: 'all' };
export const channelRoute = (channel: string): Route => ({ kind: 'channel', channel });
export const userRoute = (user: string): Route => ({ kind: 'user', user });
export const nodeRoute = (node: string): Route => ({ kind: 'node', node });

/** `c:<channel>`, `u:<user>`, `n:<node>`, `*`. Injective: the prefix tells the kind. */
export function routeKey(route: Route): string {
  switch (route.kind) {
    case 'channel':
      return `c:${route.channel}`;
    case 'user':
      return `u:${route.user}`;
    case 'node':
      return `n:${route.node}`;
    case 'all':
      return '*';
  }
}

export function parseRouteKey(key: string): Route {
  if (key === '*') return allRoute;
  const value = key.slice(2);
  if (key.startsWith('c:')) return channelRoute(value);
  if (key.startsWith('u:')) return userRoute(value);
  if (key.startsWith('n:')) return nodeRoute(value);
  throw new BusNameError(`not a route key: ${key}`);
}

const NAME = /^[A-Za-z0-9_-]{1,100}$/;

/** Topics and groups become queue/topic names on the broker: keep them to a safe alphabet. */
export function assertName(what: 'topic' | 'group' | 'node', name: string): void {
  if (!NAME.test(name))
    throw new BusNameError(`${what} "${name}" must match ${NAME} (letters, digits, _ and -)`);
}

/** FNV-1a 32-bit: stable across processes and languages, for key -> shard/partition choices. */
export function hashKey(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
