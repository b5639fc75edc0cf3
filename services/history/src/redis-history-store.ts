/**
 * HistoryStore on Redis (ioredis): what production runs, shared by every history instance and surviving a
 * service restart. Per channel (all keys of a channel share the hash tag `{channel}`, so they live in one
 * cluster slot and one Lua script may touch them):
 *
 * - `sb:history:{<channel>}:epoch` — string, the channel's epoch, created with SET NX at the first append.
 * - `sb:history:{<channel>}:top`   — string, the last offset given (INCR per append).
 * - `sb:history:{<channel>}:log`   — sorted set, score = offset, member = `<offset>:<storedAtMs>:<bytes>`
 *   where bytes is the Publication in Protobuf without channel/offset/epoch (put back when read). Trimmed
 *   to the newest `maxPerChannel` and to entries stored after now - ttl on every append and read; the key
 *   gets a PEXPIRE of ttl on every append, so an idle channel's publications vanish by themselves while its
 *   epoch and top (no expiry) keep numbering it.
 * - `sb:history:{<channel>}:ids`   — sorted set, score = offset, member = publish id of a kept publication
 *   appended with one (dedup of redelivered publishes); trimmed with the log, same PEXPIRE.
 *
 * Every append is one Lua script (epoch, INCR, ZADD, trim, expire in one atomic step), so two instances
 * appending to one channel never hand out the same offset; every read is one script too (trim, top, oldest
 * kept offset and the requested range from one snapshot). Times come from the injected clock, not Redis's.
 */
import { randomUUID } from 'node:crypto';
import { switchboard } from '@switchboard/protocol';
import { Redis, type RedisOptions } from 'ioredis';
import type {
  HistoryPage,
  HistoryStore,
  Position,
  Publication,
  Recovery,
  Retention,
} from './history-store.js';

const v1 = switchboard.v1;

export const REDIS_HISTORY_PREFIX = 'sb:history:';

export interface RedisHistoryStoreOptions extends Retention {
  /** redis://[user:pass@]host:port[/db] */
  readonly url: string;
  /** Key prefix. Default `sb:history:`. */
  readonly prefix?: string;
  /** Extra ioredis options (e.g. retry strategy, TLS). */
  readonly redis?: RedisOptions;
  /** Clock for store times and expiry. Default Date.now. */
  readonly now?: () => number;
  /** Epoch generator. Default crypto.randomUUID. */
  readonly newEpoch?: () => string;
}

/**
 * Drops entries beyond maxPerChannel, then the expired head (stored at or before the cutoff), then the
 * publish ids of the dropped entries.
 */
const PRUNE = `
local function prune(log, ids, cutoff, max)
  redis.call('ZREMRANGEBYRANK', log, 0, -(max + 1))
  while true do
    local head = redis.call('ZRANGE', log, 0, 99)
    local expired = 0
    for _, member in ipairs(head) do
      local storedAt = tonumber(string.match(member, '^%d+:(%-?%d+):'))
      if storedAt > cutoff then break end
      expired = expired + 1
    end
    if expired > 0 then redis.call('ZREMRANGEBYRANK', log, 0, expired - 1) end
    if expired < 100 then break end
  end
  local oldest = redis.call('ZRANGE', log, 0, 0, 'WITHSCORES')
  if #oldest == 0 then
    redis.call('DEL', ids)
  else
    redis.call('ZREMRANGEBYSCORE', ids, '-inf', '(' .. oldest[2])
  end
end
`;

/**
 * KEYS: epoch, top, log, ids. ARGV: newEpoch ('' while the channel has one: {-1, ''} is returned when it has
 * none, and the caller retries with a new epoch), nowMs, cutoffMs, maxPerChannel, ttlMs, publication bytes,
 * publish id ('' for none). Returns {offset, epoch}: the new offset, or the kept one of a known publish id.
 */
const APPEND = `${PRUNE}
if ARGV[1] == '' then
  if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, ''} end
elseif redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  -- a new epoch starts a new history, whatever an earlier one left behind
  redis.call('SET', KEYS[2], 0)
  redis.call('DEL', KEYS[3], KEYS[4])
end
local epoch = redis.call('GET', KEYS[1])
local cutoff = tonumber(ARGV[3])
local max = tonumber(ARGV[4])
prune(KEYS[3], KEYS[4], cutoff, max)
if ARGV[7] ~= '' then
  local known = redis.call('ZSCORE', KEYS[4], ARGV[7])
  if known then return {tonumber(known), epoch} end
end
local offset = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[3], offset, offset .. ':' .. ARGV[2] .. ':' .. ARGV[6])
if ARGV[7] ~= '' then redis.call('ZADD', KEYS[4], offset, ARGV[7]) end
prune(KEYS[3], KEYS[4], cutoff, max)
redis.call('PEXPIRE', KEYS[3], ARGV[5])
if ARGV[7] ~= '' then redis.call('PEXPIRE', KEYS[4], ARGV[5]) end
return {offset, epoch}
`;

/**
 * KEYS: epoch, top, log, ids. ARGV: cutoffMs, maxPerChannel, mode, a, b.
 * mode 'since' (a = offset): entries after a; 'latest' (a = limit, b = beforeOffset or 0): the newest a
 * entries below b, newest first; anything else: none. Returns {epoch, top, oldest kept offset, entries}.
 */
const READ = `${PRUNE}
local epoch = redis.call('GET', KEYS[1])
if not epoch then return {'', 0, 1, {}} end
prune(KEYS[3], KEYS[4], tonumber(ARGV[1]), tonumber(ARGV[2]))
local top = tonumber(redis.call('GET', KEYS[2]) or '0')
local head = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
local oldest = top + 1
if #head > 0 then oldest = tonumber(head[2]) end
local entries = {}
if ARGV[3] == 'since' then
  entries = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. ARGV[4], '+inf')
elseif ARGV[3] == 'latest' then
  local below = '+inf'
  if tonumber(ARGV[5]) > 0 then below = '(' .. ARGV[5] end
  entries = redis.call('ZREVRANGEBYSCORE', KEYS[3], below, '-inf', 'LIMIT', 0, tonumber(ARGV[4]))
end
return {epoch, top, oldest, entries}
`;

type ScriptCall = (...args: (string | number | Buffer)[]) => Promise<unknown>;

interface HistoryScripts {
  sbHistoryAppendBuffer: ScriptCall;
  sbHistoryReadBuffer: ScriptCall;
}

interface Snapshot {
  readonly position: Position;
  /** Offset of the oldest kept publication (top + 1 when none is kept). */
  readonly oldest: number;
  readonly publications: Publication[];
}

const COLON = 0x3a;

export class RedisHistoryStore implements HistoryStore {
  readonly #redis: Redis;
  readonly #scripts: HistoryScripts;
  readonly #prefix: string;
  readonly #retention: Retention;
  readonly #now: () => number;
  readonly #newEpoch: () => string;

  constructor(options: RedisHistoryStoreOptions) {
    if (!Number.isInteger(options.maxPerChannel) || options.maxPerChannel < 1)
      throw new RangeError(`maxPerChannel ${options.maxPerChannel} must be an integer >= 1`);
    if (!(options.ttlMs > 0)) throw new RangeError(`ttlMs ${options.ttlMs} must be > 0`);
    this.#retention = { maxPerChannel: options.maxPerChannel, ttlMs: Math.ceil(options.ttlMs) };
    this.#prefix = options.prefix ?? REDIS_HISTORY_PREFIX;
    this.#now = options.now ?? Date.now;
    this.#newEpoch = options.newEpoch ?? (() => randomUUID());
    this.#redis = new Redis(options.url, { ...options.redis });
    this.#redis.defineCommand('sbHistoryAppend', { numberOfKeys: 4, lua: APPEND });
    this.#redis.defineCommand('sbHistoryRead', { numberOfKeys: 4, lua: READ });
    this.#scripts = this.#redis as unknown as HistoryScripts;
  }

  async append(channel: string, publication: Publication, publishId?: string): Promise<Position> {
    const bytes = v1.Publication.encode({ ...publication, channel: '', offset: 0, epoch: '' }).finish();
    const entry = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const run = async (newEpoch: string) => {
      const now = Math.floor(this.#now());
      const [offset, epoch] = (await this.#scripts.sbHistoryAppendBuffer(
        ...this.#keys(channel),
        newEpoch,
        now,
        now - this.#retention.ttlMs,
        this.#retention.maxPerChannel,
        this.#retention.ttlMs,
        entry,
        publishId ?? '',
      )) as [number, Buffer];
      return { offset: Number(offset), epoch: epoch.toString() };
    };
    // The epoch is made only for a channel that has none (its first append, or its history was lost).
    const position = await run('');
    return position.offset >= 0 ? position : run(this.#newEpoch());
  }

  async since(channel: string, offset: number, epoch: string): Promise<Recovery | 'gap'> {
    if (!Number.isSafeInteger(offset) || offset < 0) return 'gap';
    const snapshot = await this.#read(channel, 'since', offset, 0);
    const { position } = snapshot;
    if (position.epoch === '' || position.epoch !== epoch || offset > position.offset) return 'gap';
    if (offset + 1 < snapshot.oldest) return 'gap';
    return { publications: snapshot.publications, position };
  }

  async latest(channel: string, limit: number, beforeOffset = 0): Promise<HistoryPage> {
    const count = Math.floor(limit);
    const snapshot =
      count > 0
        ? await this.#read(channel, 'latest', count, Math.max(0, Math.floor(beforeOffset)))
        : await this.#read(channel, 'position', 0, 0);
    return { publications: snapshot.publications.reverse(), position: snapshot.position };
  }

  async position(channel: string): Promise<Position> {
    return (await this.#read(channel, 'position', 0, 0)).position;
  }

  async close(): Promise<void> {
    if (this.#redis.status === 'end') return;
    try {
      await this.#redis.quit();
    } catch {
      this.#redis.disconnect();
    }
  }

  #keys(channel: string): [string, string, string, string] {
    const base = `${this.#prefix}{${channel}}:`;
    return [`${base}epoch`, `${base}top`, `${base}log`, `${base}ids`];
  }

  async #read(
    channel: string,
    mode: 'since' | 'latest' | 'position',
    a: number,
    b: number,
  ): Promise<Snapshot> {
    const [epochBytes, top, oldest, members] = (await this.#scripts.sbHistoryReadBuffer(
      ...this.#keys(channel),
      Math.floor(this.#now()) - this.#retention.ttlMs,
      this.#retention.maxPerChannel,
      mode,
      a,
      b,
    )) as [Buffer, number, number, Buffer[]];
    const epoch = epochBytes.toString();
    return {
      position: { offset: Number(top), epoch },
      oldest: Number(oldest),
      publications: members.map((member) => decodeMember(member, channel, epoch)),
    };
  }
}

/** `<offset>:<storedAtMs>:<Publication bytes>` back to the Publication with channel, offset and epoch. */
function decodeMember(member: Buffer, channel: string, epoch: string): Publication {
  const first = member.indexOf(COLON);
  const second = member.indexOf(COLON, first + 1);
  if (first < 1 || second < 0) throw new Error(`malformed history entry on channel ${channel}`);
  const offset = Number(member.subarray(0, first).toString());
  const message = v1.Publication.decode(member.subarray(second + 1));
  const plain = v1.Publication.toObject(message, { longs: Number }) as Publication;
  return { ...plain, channel, offset, epoch };
}
