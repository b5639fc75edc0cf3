/**
 * Redis InboxStore (ioredis): shared by every instance of the service and kept across restarts.
 *
 * Keys (prefix default `sb:inbox:`):
 * - `<prefix>user:<user>`   sorted set: notification ids of the user, scored by a global sequence (order)
 * - `<prefix>n:<id>`        hash: `data` (the notification as JSON) and `user`
 * - `<prefix>event:<event>` string: the notification id made from the event; SET NX with the TTL (dedup)
 * - `<prefix>expiry`        sorted set: notification ids scored by their expiry time (ms)
 * - `<prefix>seq`           counter giving the insertion order
 *
 * Every operation that changes several keys is one Lua script, so it is atomic: an event id is claimed,
 * stored and indexed together or not at all, an ack or an expiry removes a notification exactly once. The
 * scripts build some key names from ids (notification hashes, user sets), so they assume one Redis (or a
 * primary with replicas), not Redis Cluster.
 */

import { createRedisClient } from '@switchboard/bus/redis-connection';
import type { Redis } from 'ioredis';
import type { AddResult, InboxStore, InboxStoreOptions, Notification } from './inbox-store.js';

export const DEFAULT_INBOX_PREFIX = 'sb:inbox:';
const EXPIRE_BATCH = 500;

const ADD = `
local existing = redis.call('GET', KEYS[1])
if existing then
  return {0, redis.call('HGET', ARGV[6] .. 'n:' .. existing, 'data') or false, {}}
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local seq = redis.call('INCR', KEYS[5])
redis.call('HSET', KEYS[3], 'data', ARGV[5], 'user', ARGV[7])
redis.call('ZADD', KEYS[2], seq, ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1])
local evicted = {}
local max = tonumber(ARGV[4])
if max > 0 then
  local count = redis.call('ZCARD', KEYS[2])
  if count > max then
    for _, old in ipairs(redis.call('ZRANGE', KEYS[2], 0, count - max - 1)) do
      local key = ARGV[6] .. 'n:' .. old
      local data = redis.call('HGET', key, 'data')
      redis.call('DEL', key)
      redis.call('ZREM', KEYS[2], old)
      redis.call('ZREM', KEYS[4], old)
      if data then table.insert(evicted, data) end
    end
  end
end
return {1, ARGV[5], evicted}
`;

const UNACKED = `
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local data = redis.call('HGET', ARGV[1] .. 'n:' .. id, 'data')
  if data then table.insert(out, data) end
end
return out
`;

const ACK = `
local out = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  if redis.call('ZREM', KEYS[1], id) == 1 then
    local key = ARGV[1] .. 'n:' .. id
    local data = redis.call('HGET', key, 'data')
    redis.call('DEL', key)
    redis.call('ZREM', KEYS[2], id)
    if data then table.insert(out, data) end
  end
end
return out
`;

const EXPIRE = `
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])) do
  local key = ARGV[3] .. 'n:' .. id
  local data = redis.call('HGET', key, 'data')
  local user = redis.call('HGET', key, 'user')
  redis.call('ZREM', KEYS[1], id)
  redis.call('DEL', key)
  if user then redis.call('ZREM', ARGV[3] .. 'user:' .. user, id) end
  if data then table.insert(out, data) end
end
return out
`;

type Arg = string | number;

interface InboxCommands {
  sbInboxAdd(...args: Arg[]): Promise<[number, string | null, string[]]>;
  sbInboxUnacked(...args: Arg[]): Promise<string[]>;
  sbInboxAck(...args: Arg[]): Promise<string[]>;
  sbInboxExpire(...args: Arg[]): Promise<string[]>;
}

export interface RedisInboxStoreOptions extends InboxStoreOptions {
  /** A client to use (not closed by close()); otherwise one is created from `url`. */
  readonly redis?: Redis;
  readonly url?: string;
  /** Key prefix. Default `sb:inbox:`. */
  readonly prefix?: string;
}

export class RedisInboxStore implements InboxStore {
  readonly #redis: Redis & InboxCommands;
  readonly #owned: boolean;
  readonly #prefix: string;
  readonly #maxPerUser: number;

  constructor(options: RedisInboxStoreOptions) {
    if (!options.redis && !options.url) throw new Error('RedisInboxStore needs a `redis` client or a `url`');
    const redis = options.redis ?? createRedisClient(options.url!, { lazyConnect: false }, 'REDIS_URL');
    this.#owned = !options.redis;
    this.#prefix = options.prefix ?? DEFAULT_INBOX_PREFIX;
    this.#maxPerUser = options.maxPerUser ?? 0;
    redis.defineCommand('sbInboxAdd', { numberOfKeys: 5, lua: ADD });
    redis.defineCommand('sbInboxUnacked', { numberOfKeys: 1, lua: UNACKED });
    redis.defineCommand('sbInboxAck', { numberOfKeys: 2, lua: ACK });
    redis.defineCommand('sbInboxExpire', { numberOfKeys: 1, lua: EXPIRE });
    this.#redis = redis as Redis & InboxCommands;
  }

  async add(notification: Notification): Promise<AddResult> {
    const p = this.#prefix;
    const dedupMs = Math.max(1, notification.expiresAtMs - notification.createdAtMs);
    const [created, data, evicted] = await this.#redis.sbInboxAdd(
      `${p}event:${notification.eventId}`,
      `${p}user:${notification.userId}`,
      `${p}n:${notification.id}`,
      `${p}expiry`,
      `${p}seq`,
      notification.id,
      dedupMs,
      notification.expiresAtMs,
      this.#maxPerUser,
      JSON.stringify(notification),
      p,
      notification.userId,
    );
    const parsedEvicted = evicted.map(parse);
    if (created === 1) return { created: true, notification, evicted: parsedEvicted };
    return { created: false, notification: data ? parse(data) : undefined, evicted: parsedEvicted };
  }

  async unacked(userId: string): Promise<Notification[]> {
    const rows = await this.#redis.sbInboxUnacked(`${this.#prefix}user:${userId}`, this.#prefix);
    return rows.map(parse);
  }

  async ack(userId: string, ids: readonly string[]): Promise<Notification[]> {
    if (ids.length === 0) return [];
    const p = this.#prefix;
    const rows = await this.#redis.sbInboxAck(`${p}user:${userId}`, `${p}expiry`, p, ...ids);
    return rows.map(parse);
  }

  async expire(nowMs: number): Promise<Notification[]> {
    const expired: Notification[] = [];
    for (;;) {
      const rows = await this.#redis.sbInboxExpire(
        `${this.#prefix}expiry`,
        nowMs,
        EXPIRE_BATCH,
        this.#prefix,
      );
      expired.push(...rows.map(parse));
      if (rows.length < EXPIRE_BATCH) return expired;
    }
  }

  async close(): Promise<void> {
    if (this.#owned && this.#redis.status !== 'end') await this.#redis.quit().catch(() => undefined);
  }
}

function parse(data: string): Notification {
  return JSON.parse(data) as Notification;
}
