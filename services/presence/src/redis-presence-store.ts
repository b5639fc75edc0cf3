/**
 * PresenceStore on Redis (ioredis), shared by every presence instance and surviving their restarts.
 * Every mutation is one Lua script, so it is atomic: two instances expiring the same node cannot both get
 * its connections. Keys (prefix default `sb:presence:`):
 *
 *   conn:<id>         hash  node, user, info (base64)
 *   conn:<id>:ch      set   presence channels the connection is a member of
 *   ch:<channel>      set   member connection ids
 *   user:<user>       set   connection ids of the user
 *   node:<node>       hash  first (first seen ms), hb (last heartbeat ms), lease (its lease_ms),
 *                           status (its last NodeHeartbeat, base64: the admin view)
 *   node:<node>:conns set   connection ids on the node
 *   nodes             set   known node ids
 *   cursor:<node>     hash  inc, seq: how far the service applied the node's lifecycle stream
 *
 * Scripts touch keys they compute themselves, so this needs a single Redis (or a primary with
 * replicas/Sentinel), not Redis Cluster.
 */
import { createHash } from 'node:crypto';
import { createRedisClient } from '@switchboard/bus/redis-connection';
import { RedisLifecycleCursors } from '@switchboard/service-kit';
import type { Redis } from 'ioredis';
import {
  byConnectionId,
  type ConnectionRef,
  type Member,
  type NodeRecord,
  type PresenceStore,
  type RemovedConnection,
} from './presence-store.js';

export const DEFAULT_PREFIX = 'sb:presence:';

const PRELUDE = `
local P = ARGV[1]
local function ensure(c, node, user, now)
  local k = P .. 'conn:' .. c
  local old = redis.call('HMGET', k, 'node', 'user')
  if old[1] and (old[1] ~= node or old[2] ~= user) then
    redis.call('SREM', P .. 'node:' .. old[1] .. ':conns', c)
    redis.call('SREM', P .. 'user:' .. old[2], c)
  end
  redis.call('HSET', k, 'node', node, 'user', user)
  redis.call('SADD', P .. 'node:' .. node .. ':conns', c)
  redis.call('SADD', P .. 'user:' .. user, c)
  redis.call('HSETNX', P .. 'node:' .. node, 'first', now)
  redis.call('SADD', P .. 'nodes', node)
end
local function remove(c)
  local k = P .. 'conn:' .. c
  local v = redis.call('HMGET', k, 'node', 'user', 'info')
  if not v[1] then return nil end
  local chans = redis.call('SMEMBERS', k .. ':ch')
  for _, ch in ipairs(chans) do redis.call('SREM', P .. 'ch:' .. ch, c) end
  redis.call('DEL', k, k .. ':ch')
  redis.call('SREM', P .. 'user:' .. v[2], c)
  redis.call('SREM', P .. 'node:' .. v[1] .. ':conns', c)
  local out = {c, v[1], v[2], v[3] or ''}
  for _, ch in ipairs(chans) do out[#out + 1] = ch end
  return out
end
`;

// ARGV: prefix, connection, node, user, now, info
const OPEN = `${PRELUDE}
ensure(ARGV[2], ARGV[3], ARGV[4], ARGV[5])
redis.call('HSET', P .. 'conn:' .. ARGV[2], 'info', ARGV[6])
return 1`;

// ARGV: prefix, connection
const CLOSE = `${PRELUDE}
return remove(ARGV[2])`;

// ARGV: prefix, connection, node, user, now, channel -> {user, info} when new, nil otherwise
const JOIN = `${PRELUDE}
ensure(ARGV[2], ARGV[3], ARGV[4], ARGV[5])
local k = P .. 'conn:' .. ARGV[2]
if redis.call('SADD', k .. ':ch', ARGV[6]) == 0 then return nil end
redis.call('SADD', P .. 'ch:' .. ARGV[6], ARGV[2])
return {ARGV[4], redis.call('HGET', k, 'info') or ''}`;

// ARGV: prefix, connection, channel -> {user, info} when it was a member, nil otherwise
const LEAVE = `${PRELUDE}
local k = P .. 'conn:' .. ARGV[2]
if redis.call('SREM', k .. ':ch', ARGV[3]) == 0 then return nil end
redis.call('SREM', P .. 'ch:' .. ARGV[3], ARGV[2])
local v = redis.call('HMGET', k, 'user', 'info')
return {v[1] or '', v[2] or ''}`;

// ARGV: prefix, node, aliveBefore ('' = unconditional) -> list of removed connections, nil when not expired
const EXPIRE = `${PRELUDE}
local n = P .. 'node:' .. ARGV[2]
local rec = redis.call('HMGET', n, 'first', 'hb')
if not rec[1] and not rec[2] then return nil end
if ARGV[3] ~= '' then
  local last = tonumber(rec[2] or '0')
  if last == 0 then last = tonumber(rec[1] or '0') end
  if last > tonumber(ARGV[3]) then return nil end
end
local out = {}
for _, c in ipairs(redis.call('SMEMBERS', n .. ':conns')) do
  local r = remove(c)
  if r then out[#out + 1] = r end
end
redis.call('DEL', n, n .. ':conns')
redis.call('SREM', P .. 'nodes', ARGV[2])
return out`;

class Script {
  readonly #body: string;
  readonly #sha: string;

  constructor(body: string) {
    this.#body = body;
    this.#sha = createHash('sha1').update(body).digest('hex');
  }

  async run(redis: Redis, args: readonly string[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.#sha, 0, ...args);
    } catch (error) {
      if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.#body, 0, ...args);
    }
  }
}

const scripts = {
  open: new Script(OPEN),
  close: new Script(CLOSE),
  join: new Script(JOIN),
  leave: new Script(LEAVE),
  expire: new Script(EXPIRE),
};

export interface RedisPresenceStoreOptions {
  readonly redis: Redis;
  /** Key prefix. Default `sb:presence:`. */
  readonly prefix?: string;
  /** close() quits the client. Default true. */
  readonly ownsClient?: boolean;
}

const toBase64 = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
const fromBase64 = (text: string | null | undefined) => new Uint8Array(Buffer.from(text ?? '', 'base64'));

export class RedisPresenceStore implements PresenceStore {
  readonly redis: Redis;
  readonly prefix: string;
  readonly cursors: RedisLifecycleCursors;
  readonly #owns: boolean;
  #closed = false;

  /** A store on a new ioredis client for `url` (redis:// or rediss://). */
  static connect(url: string, options: { readonly prefix?: string } = {}): RedisPresenceStore {
    return new RedisPresenceStore({ redis: createRedisClient(url, {}, 'REDIS_URL'), prefix: options.prefix });
  }

  constructor(options: RedisPresenceStoreOptions) {
    this.redis = options.redis;
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    this.#owns = options.ownsClient ?? true;
    this.cursors = new RedisLifecycleCursors(
      (script, args) => this.redis.eval(script, 0, ...args),
      this.prefix,
    );
  }

  async connectionOpened(ref: ConnectionRef, info: Uint8Array, nowMs: number): Promise<void> {
    await scripts.open.run(this.redis, [
      this.prefix,
      ref.connectionId,
      ref.nodeId,
      ref.userId,
      String(nowMs),
      toBase64(info),
    ]);
  }

  async connectionClosed(connectionId: string): Promise<RemovedConnection | undefined> {
    const row = await scripts.close.run(this.redis, [this.prefix, connectionId]);
    return row ? toRemoved(row as string[]) : undefined;
  }

  async join(ref: ConnectionRef, channel: string, nowMs: number): Promise<Member | undefined> {
    const row = (await scripts.join.run(this.redis, [
      this.prefix,
      ref.connectionId,
      ref.nodeId,
      ref.userId,
      String(nowMs),
      channel,
    ])) as [string, string] | null;
    return row ? { connectionId: ref.connectionId, userId: row[0], info: fromBase64(row[1]) } : undefined;
  }

  async leave(connectionId: string, channel: string): Promise<Member | undefined> {
    const row = (await scripts.leave.run(this.redis, [this.prefix, connectionId, channel])) as
      | [string, string]
      | null;
    return row ? { connectionId, userId: row[0], info: fromBase64(row[1]) } : undefined;
  }

  async members(channel: string): Promise<Member[]> {
    return this.#connections(await this.redis.smembers(`${this.prefix}ch:${channel}`));
  }

  async userConnections(userId: string): Promise<Member[]> {
    return this.#connections(await this.redis.smembers(`${this.prefix}user:${userId}`));
  }

  async userOnline(userId: string): Promise<boolean> {
    return (await this.redis.scard(`${this.prefix}user:${userId}`)) > 0;
  }

  async heartbeat(nodeId: string, leaseMs: number, nowMs: number, status?: Uint8Array): Promise<void> {
    const key = `${this.prefix}node:${nodeId}`;
    const fields = ['hb', String(nowMs), 'lease', String(leaseMs)];
    if (status) fields.push('status', Buffer.from(status).toString('base64'));
    await this.redis
      .multi()
      .hsetnx(key, 'first', String(nowMs))
      .hset(key, ...fields)
      .sadd(`${this.prefix}nodes`, nodeId)
      .exec();
  }

  async nodes(): Promise<NodeRecord[]> {
    const ids = (await this.redis.smembers(`${this.prefix}nodes`)).sort();
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) {
      pipeline.hmget(`${this.prefix}node:${id}`, 'first', 'hb', 'lease', 'status');
      pipeline.scard(`${this.prefix}node:${id}:conns`);
    }
    const results = await pipeline.exec();
    const out: NodeRecord[] = [];
    ids.forEach((nodeId, i) => {
      const [error, fields] = results?.[2 * i] ?? [];
      const [countError, count] = results?.[2 * i + 1] ?? [];
      if (error || countError) throw error ?? countError;
      const [first, hb, lease, status] = fields as (string | null)[];
      if (first == null && hb == null) return; // expired between the two reads
      out.push({
        nodeId,
        firstSeenMs: Number(first ?? hb),
        lastHeartbeatMs: Number(hb ?? 0),
        leaseMs: Number(lease ?? 0),
        connections: Number(count),
        ...(status ? { status: new Uint8Array(Buffer.from(status, 'base64')) } : {}),
      });
    });
    return out;
  }

  async nodeConnections(nodeId: string): Promise<string[]> {
    return (await this.redis.smembers(`${this.prefix}node:${nodeId}:conns`)).sort();
  }

  async connectionChannels(connectionId: string): Promise<string[]> {
    return (await this.redis.smembers(`${this.prefix}conn:${connectionId}:ch`)).sort();
  }

  async expireNode(nodeId: string, aliveBefore?: number): Promise<RemovedConnection[] | undefined> {
    const rows = (await scripts.expire.run(this.redis, [
      this.prefix,
      nodeId,
      aliveBefore === undefined ? '' : String(aliveBefore),
    ])) as string[][] | null;
    return rows ? rows.map(toRemoved).sort(byConnectionId) : undefined;
  }

  async close(): Promise<void> {
    if (this.#closed || !this.#owns) return;
    this.#closed = true;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  async #connections(ids: string[]): Promise<Member[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hmget(`${this.prefix}conn:${id}`, 'user', 'info');
    const results = (await pipeline.exec()) ?? [];
    const out: Member[] = [];
    ids.forEach((connectionId, i) => {
      const [error, fields] = results[i] ?? [];
      if (error) throw error;
      const [user, info] = fields as (string | null)[];
      if (user != null) out.push({ connectionId, userId: user, info: fromBase64(info) });
    });
    return out.sort(byConnectionId);
  }
}

function toRemoved(row: string[]): RemovedConnection {
  const [connectionId = '', nodeId = '', userId = '', info = '', ...channels] = row;
  return { connectionId, nodeId, userId, info: fromBase64(info), channels: channels.sort() };
}
