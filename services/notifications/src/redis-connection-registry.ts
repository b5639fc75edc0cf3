/**
 * ConnectionRegistry on Redis (ioredis): shared by every notifications instance and kept across restarts,
 * so DELIVERED counts every open connection of the user whichever instance consumed its lifecycle event.
 *
 * Keys (prefix default `sb:notifications:conn:`):
 * - `<prefix>c:<connection>`  hash: `node`, `user` of the connection
 * - `<prefix>user:<user>`     set: open connection ids of the user
 * - `<prefix>conns:<node>`    set: connection ids on the node
 * - `<prefix>node:<node>`     hash: `first` (first seen ms), `hb` (last heartbeat ms), `lease` (its lease_ms)
 * - `<prefix>nodes`           set: known node ids
 * - `<prefix>cursor:<node>`   hash: `inc`, `seq`: how far the service applied the node's lifecycle stream
 *
 * Open, close and node expiry are Lua scripts (atomic: two instances sweeping the same dead node cannot
 * interleave with each other or with a heartbeat); a heartbeat is one MULTI. The scripts compute key names
 * from ids, so this needs a single Redis (or a primary with replicas/Sentinel), not Redis Cluster.
 */

import { createRedisClient } from '@switchboard/bus/redis-connection';
import { RedisLifecycleCursors } from '@switchboard/service-kit';
import type { Redis } from 'ioredis';
import {
  byConnectionId,
  type ConnectionRef,
  type ConnectionRegistry,
  type NodeRecord,
} from './connection-registry.js';

export const DEFAULT_CONNECTION_PREFIX = 'sb:notifications:conn:';

// ARGV: prefix, connection, node, user, now
const OPEN = `
local P, c, node, user = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local k = P .. 'c:' .. c
local old = redis.call('HMGET', k, 'node', 'user')
if old[2] and (old[1] ~= node or old[2] ~= user) then
  redis.call('SREM', P .. 'user:' .. old[2], c)
  if old[1] and old[1] ~= '' then redis.call('SREM', P .. 'conns:' .. old[1], c) end
end
redis.call('HSET', k, 'node', node, 'user', user)
redis.call('SADD', P .. 'user:' .. user, c)
if node ~= '' then
  redis.call('SADD', P .. 'conns:' .. node, c)
  redis.call('HSETNX', P .. 'node:' .. node, 'first', ARGV[5])
  redis.call('SADD', P .. 'nodes', node)
end
return 1
`;

// ARGV: prefix, connection, node, user -> 1 when the connection was registered, else 0
const CLOSE = `
local P, c = ARGV[1], ARGV[2]
local k = P .. 'c:' .. c
local v = redis.call('HMGET', k, 'node', 'user')
local node = v[1] or ARGV[3]
local user = v[2] or ARGV[4]
local known = redis.call('DEL', k)
if user ~= '' then redis.call('SREM', P .. 'user:' .. user, c) end
if node ~= '' then redis.call('SREM', P .. 'conns:' .. node, c) end
return known
`;

// ARGV: prefix, node, aliveBefore ('' = unconditional) -> {connection, user, ...}, nil when not expired
const EXPIRE = `
local P, node = ARGV[1], ARGV[2]
local n = P .. 'node:' .. node
local rec = redis.call('HMGET', n, 'first', 'hb')
if not rec[1] and not rec[2] then return false end
if ARGV[3] ~= '' then
  local last = tonumber(rec[2] or '0')
  if last == 0 then last = tonumber(rec[1] or '0') end
  if last > tonumber(ARGV[3]) then return false end
end
local out = {}
for _, c in ipairs(redis.call('SMEMBERS', P .. 'conns:' .. node)) do
  local k = P .. 'c:' .. c
  local v = redis.call('HMGET', k, 'node', 'user')
  if v[1] == node then
    redis.call('DEL', k)
    if v[2] then redis.call('SREM', P .. 'user:' .. v[2], c) end
    out[#out + 1] = c
    out[#out + 1] = v[2] or ''
  end
end
redis.call('DEL', n, P .. 'conns:' .. node)
redis.call('SREM', P .. 'nodes', node)
return out
`;

type Arg = string | number;

interface RegistryCommands {
  sbConnOpen(...args: Arg[]): Promise<number>;
  sbConnClose(...args: Arg[]): Promise<number>;
  sbConnExpire(...args: Arg[]): Promise<string[] | null>;
}

export interface RedisConnectionRegistryOptions {
  /** A client to use (not closed by close()); otherwise one is created from `url`. */
  readonly redis?: Redis;
  readonly url?: string;
  /** Key prefix. Default `sb:notifications:conn:`. */
  readonly prefix?: string;
}

export class RedisConnectionRegistry implements ConnectionRegistry {
  readonly cursors: RedisLifecycleCursors;
  readonly #redis: Redis & RegistryCommands;
  readonly #owned: boolean;
  readonly #prefix: string;

  constructor(options: RedisConnectionRegistryOptions) {
    if (!options.redis && !options.url)
      throw new Error('RedisConnectionRegistry needs a `redis` client or a `url`');
    const redis = options.redis ?? createRedisClient(options.url!, { lazyConnect: false }, 'REDIS_URL');
    this.#owned = !options.redis;
    this.#prefix = options.prefix ?? DEFAULT_CONNECTION_PREFIX;
    redis.defineCommand('sbConnOpen', { numberOfKeys: 0, lua: OPEN });
    redis.defineCommand('sbConnClose', { numberOfKeys: 0, lua: CLOSE });
    redis.defineCommand('sbConnExpire', { numberOfKeys: 0, lua: EXPIRE });
    this.#redis = redis as Redis & RegistryCommands;
    this.cursors = new RedisLifecycleCursors((script, args) => redis.eval(script, 0, ...args), this.#prefix);
  }

  async opened(ref: ConnectionRef, nowMs: number): Promise<void> {
    await this.#redis.sbConnOpen(this.#prefix, ref.connectionId, ref.nodeId, ref.userId, nowMs);
  }

  async closed(ref: ConnectionRef): Promise<boolean> {
    return (await this.#redis.sbConnClose(this.#prefix, ref.connectionId, ref.nodeId, ref.userId)) === 1;
  }

  async connections(userId: string): Promise<string[]> {
    return (await this.#redis.smembers(`${this.#prefix}user:${userId}`)).sort();
  }

  async heartbeat(nodeId: string, leaseMs: number, nowMs: number): Promise<void> {
    const key = `${this.#prefix}node:${nodeId}`;
    const results = await this.#redis
      .multi()
      .hsetnx(key, 'first', String(nowMs))
      .hset(key, 'hb', String(nowMs), 'lease', String(leaseMs))
      .sadd(`${this.#prefix}nodes`, nodeId)
      .exec();
    const failed = results?.find(([error]) => error)?.[0];
    if (failed) throw failed;
  }

  async nodes(): Promise<NodeRecord[]> {
    const ids = (await this.#redis.smembers(`${this.#prefix}nodes`)).sort();
    if (ids.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const id of ids) pipeline.hmget(`${this.#prefix}node:${id}`, 'first', 'hb', 'lease');
    const results = (await pipeline.exec()) ?? [];
    const out: NodeRecord[] = [];
    ids.forEach((nodeId, i) => {
      const [error, fields] = results[i] ?? [];
      if (error) throw error;
      const [first, hb, lease] = (fields ?? []) as (string | null)[];
      if (first == null && hb == null) return; // expired between the two reads
      out.push({
        nodeId,
        firstSeenMs: Number(first ?? hb),
        lastHeartbeatMs: Number(hb ?? 0),
        leaseMs: Number(lease ?? 0),
      });
    });
    return out;
  }

  async nodeConnections(nodeId: string): Promise<string[]> {
    return (await this.#redis.smembers(`${this.#prefix}conns:${nodeId}`)).sort();
  }

  async expireNode(nodeId: string, aliveBefore?: number): Promise<ConnectionRef[] | undefined> {
    const row = await this.#redis.sbConnExpire(
      this.#prefix,
      nodeId,
      aliveBefore === undefined ? '' : String(aliveBefore),
    );
    if (!row) return undefined;
    const removed: ConnectionRef[] = [];
    for (let i = 0; i + 1 < row.length; i += 2)
      removed.push({ nodeId, connectionId: row[i]!, userId: row[i + 1]! });
    return removed.sort(byConnectionId);
  }

  async close(): Promise<void> {
    if (this.#owned && this.#redis.status !== 'end') await this.#redis.quit().catch(() => undefined);
  }
}
