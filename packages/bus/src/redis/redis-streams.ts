/** Parsing of raw stream replies (callBuffer) and the small Lua scripts the transport runs. */
import type { Redis } from 'ioredis';
import { FIELD } from './redis-names.js';

export interface StreamEntry {
  readonly id: string;
  /** Field -> value; undefined when the entry was trimmed away while pending. */
  readonly fields: Map<string, Buffer> | undefined;
}

const str = (value: unknown): string => (Buffer.isBuffer(value) ? value.toString() : String(value));

/** `[[id, [f, v, …]], …]` (XRANGE, XCLAIM, one stream of XREADGROUP). */
export function parseEntries(raw: unknown): StreamEntry[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((item: unknown) => {
    const [id, flat] = item as [unknown, unknown];
    if (!Array.isArray(flat)) return { id: str(id), fields: undefined };
    const fields = new Map<string, Buffer>();
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const value = flat[i + 1];
      fields.set(str(flat[i]), Buffer.isBuffer(value) ? value : Buffer.from(str(value)));
    }
    return { id: str(id), fields };
  });
}

/** XREADGROUP reply: stream name -> entries. Null (BLOCK timed out) gives an empty map. */
export function parseReadGroup(raw: unknown): Map<string, StreamEntry[]> {
  const out = new Map<string, StreamEntry[]>();
  if (!Array.isArray(raw)) return out;
  for (const item of raw) {
    const [stream, entries] = item as [unknown, unknown];
    out.set(str(stream), parseEntries(entries));
  }
  return out;
}

export interface PendingInfo {
  readonly id: string;
  readonly consumer: string;
  readonly idleMs: number;
  readonly deliveries: number;
}

/** Extended XPENDING reply. */
export function parsePending(raw: unknown): PendingInfo[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((item: unknown) => {
    const [id, consumer, idle, count] = item as [unknown, unknown, unknown, unknown];
    return { id: str(id), consumer: str(consumer), idleMs: Number(idle), deliveries: Number(count) };
  });
}

export const entryKey = (entry: StreamEntry): string => entry.fields?.get(FIELD.key)?.toString() ?? '';
export const entryBytes = (entry: StreamEntry): Uint8Array => {
  const value = entry.fields?.get(FIELD.bytes) ?? Buffer.alloc(0);
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
};

export const toBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Creates the group on the stream (and the stream) unless it exists. New groups start at the beginning. */
export async function ensureGroup(redis: Redis, stream: string, group: string): Promise<void> {
  try {
    await redis.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM');
  } catch (error) {
    if (!/BUSYGROUP/.test(String(error))) throw error;
  }
}

export const isNoGroup = (error: unknown): boolean => /NOGROUP/.test(String(error));

/** Returns the topic's shard count, setting it to ARGV[1] if no process has yet. */
const SHARDS_SCRIPT = `
local v = redis.call('GET', KEYS[1])
if v then return tonumber(v) end
redis.call('SET', KEYS[1], ARGV[1])
return tonumber(ARGV[1])`;

export async function topicShards(redis: Redis, key: string, wanted: number): Promise<number> {
  const value = Number(await redis.call('EVAL', SHARDS_SCRIPT, 1, key, wanted));
  return Number.isInteger(value) && value > 0 ? value : wanted;
}

/**
 * Heartbeat of a group member on Redis' clock: drops expired members, (re)adds ARGV[1] with expiry
 * now + ARGV[2] (or removes it when ARGV[3] is 'leave'), returns the live members.
 */
const MEMBERS_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if ARGV[3] == 'leave' then
  redis.call('ZREM', KEYS[1], ARGV[1])
else
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
end
return redis.call('ZRANGE', KEYS[1], 0, -1)`;

export async function heartbeat(
  redis: Redis,
  key: string,
  member: string,
  ttlMs: number,
  leave = false,
): Promise<string[]> {
  const raw = await redis.call('EVAL', MEMBERS_SCRIPT, 1, key, member, ttlMs, leave ? 'leave' : 'stay');
  return Array.isArray(raw) ? raw.map(str) : [];
}

/** 1 when ARGV[1] holds (or now took) the lease, for ARGV[2] ms more. */
const ACQUIRE_SCRIPT = `
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if v then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

/** 1 when ARGV[1] still held the lease and renewed it. */
const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;

const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export async function acquireLease(redis: Redis, key: string, owner: string, ttlMs: number) {
  return Number(await redis.call('EVAL', ACQUIRE_SCRIPT, 1, key, owner, ttlMs)) === 1;
}
export async function renewLease(redis: Redis, key: string, owner: string, ttlMs: number) {
  return Number(await redis.call('EVAL', RENEW_SCRIPT, 1, key, owner, ttlMs)) === 1;
}
export async function releaseLease(redis: Redis, key: string, owner: string): Promise<void> {
  await redis.call('EVAL', RELEASE_SCRIPT, 1, key, owner);
}
