/**
 * HistoryStore on Redis (ioredis): what production runs, shared by every history instance and surviving a
 * service restart. Per channel (all keys of a channel share the hash tag `{channel}`, so they live in one
 * cluster slot and one Lua script may touch them):
 *
 * - `sb:history:{<channel>}:epoch` — string, the channel's epoch, created with SET NX at the first append
 *   or open (a subscribe to a channel without history).
 * - `sb:history:{<channel>}:top`   — string, the last offset given (INCR per append).
 * - `sb:history:{<channel>}:log`   — sorted set, score = offset, member = `<offset>:<storedAtMs>:<bytes>`
 *   where bytes is the Publication in Protobuf without channel/offset/epoch (put back when read). Trimmed
 *   to the newest `maxPerChannel`, to `maxChannelBytes` of members and to entries stored after now - ttl on
 *   every append and read; the key gets a PEXPIRE of ttl on every append, so an idle channel's
 *   publications vanish by themselves while its epoch and top (no expiry) keep numbering it.
 * - `sb:history:{<channel>}:ids`   — sorted set, score = offset, member = publish id of a kept publication
 *   appended with one (dedup of redelivered publishes); trimmed with the log, same PEXPIRE.
 * - `sb:history:{<channel>}:meta`  — hash: `bytes` (sum of the log's member sizes, for the byte bound) and
 *   `score` (the channel's score in the index when this instance last touched it).
 *
 * And one index for the channel count bound: `sb:history:channels`, a sorted set of channel names scored by
 * their last publication time (a channel opened but never published scores its open time minus
 * UNPUBLISHED_HEAD_START_MS, so it goes before any published one). An append or open that finds more than
 * `maxChannels` pops the lowest scores and evicts those channels (all five keys) — unless the channel's
 * meta shows a newer score (published again meanwhile). An evicted channel's next use creates a new
 * epoch. The index has no hash tag: it is only ever touched by single-key commands, so it works on a
 * cluster; the bound is therefore kept per command rather than in one transaction with the append
 * (concurrent appends may evict a channel or two more than strictly needed, never fewer).
 *
 * Every append writes its channel in one Lua script (epoch, INCR, ZADD, trim, expire in one atomic step;
 * the index is touched just before), so two instances appending to one channel never hand out the same
 * offset; every read is one script too (trim, top, oldest kept offset and the requested range from one
 * snapshot). Times come from the injected clock, not Redis's.
 */
import { randomUUID } from 'node:crypto';
import { createRedisClient } from '@switchboard/bus/redis-connection';
import { switchboard } from '@switchboard/protocol';
import type { Redis, RedisOptions } from 'ioredis';
import {
  DEFAULT_BOUNDS,
  type EvictionReason,
  type HistoryPage,
  type HistoryStore,
  type HistoryStoreStats,
  type Position,
  type Publication,
  type Recovery,
  type Retention,
} from './history-store.js';
import { APPEND, EVICT, INDEX, OPEN, READ } from './redis-history-scripts.js';

const v1 = switchboard.v1;

export const REDIS_HISTORY_PREFIX = 'sb:history:';

/** Subtracted from the open time of a never-published channel's index score: ~31 years, so it sorts first. */
export const UNPUBLISHED_HEAD_START_MS = 1e12;

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

type ScriptCall = (...args: (string | number | Buffer)[]) => Promise<unknown>;

interface HistoryScripts {
  sbHistoryAppendBuffer: ScriptCall;
  sbHistoryReadBuffer: ScriptCall;
  sbHistoryOpen: ScriptCall;
  sbHistoryIndex: ScriptCall;
  sbHistoryEvict: ScriptCall;
}

interface Snapshot {
  readonly position: Position;
  /** Offset of the oldest kept publication (top + 1 when none is kept). */
  readonly oldest: number;
  readonly publications: Publication[];
}

type ChannelKeys = [string, string, string, string, string];

interface Limits {
  readonly maxPerChannel: number;
  readonly ttlMs: number;
  readonly maxChannelBytes: number;
  readonly maxChannels: number;
}

const COLON = 0x3a;

function checkedLimits(options: RedisHistoryStoreOptions): Limits {
  const limits: Limits = {
    maxPerChannel: options.maxPerChannel,
    ttlMs: Math.ceil(options.ttlMs),
    maxChannelBytes: options.maxChannelBytes ?? DEFAULT_BOUNDS.maxChannelBytes,
    maxChannels: options.maxChannels ?? DEFAULT_BOUNDS.maxChannels,
  };
  for (const name of ['maxPerChannel', 'maxChannelBytes', 'maxChannels'] as const)
    if (!Number.isSafeInteger(limits[name]) || limits[name] < 1)
      throw new RangeError(`${name} ${limits[name]} must be an integer >= 1`);
  if (!(options.ttlMs > 0)) throw new RangeError(`ttlMs ${options.ttlMs} must be > 0`);
  return limits;
}

export class RedisHistoryStore implements HistoryStore {
  readonly #redis: Redis;
  readonly #scripts: HistoryScripts;
  readonly #prefix: string;
  readonly #limits: Limits;
  readonly #now: () => number;
  readonly #newEpoch: () => string;
  readonly #evictions: Record<EvictionReason, number> = { channels: 0, bytes: 0 };

  constructor(options: RedisHistoryStoreOptions) {
    this.#limits = checkedLimits(options);
    this.#prefix = options.prefix ?? REDIS_HISTORY_PREFIX;
    this.#now = options.now ?? Date.now;
    this.#newEpoch = options.newEpoch ?? (() => randomUUID());
    this.#redis = createRedisClient(options.url, { ...options.redis }, 'REDIS_URL');
    this.#redis.defineCommand('sbHistoryAppend', { numberOfKeys: 5, lua: APPEND });
    this.#redis.defineCommand('sbHistoryRead', { numberOfKeys: 5, lua: READ });
    this.#redis.defineCommand('sbHistoryOpen', { numberOfKeys: 5, lua: OPEN });
    this.#redis.defineCommand('sbHistoryIndex', { numberOfKeys: 1, lua: INDEX });
    this.#redis.defineCommand('sbHistoryEvict', { numberOfKeys: 5, lua: EVICT });
    this.#scripts = this.#redis as unknown as HistoryScripts;
  }

  async append(channel: string, publication: Publication, publishId?: string): Promise<Position> {
    const bytes = v1.Publication.encode({ ...publication, channel: '', offset: 0, epoch: '' }).finish();
    const entry = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const now = Math.floor(this.#now());
    // Room first: should evicting fail, the append has not happened and the bus retry is clean.
    await this.#index(channel, now);
    const run = async (newEpoch: string) => {
      const [offset, epoch] = (await this.#scripts.sbHistoryAppendBuffer(
        ...this.#keys(channel),
        newEpoch,
        now,
        now - this.#limits.ttlMs,
        this.#limits.maxPerChannel,
        this.#limits.ttlMs,
        entry,
        publishId ?? '',
        this.#limits.maxChannelBytes,
        now,
      )) as [number, Buffer];
      return { offset: Number(offset), epoch: epoch.toString() };
    };
    // The epoch is made only for a channel that has none (its first append, or its history was lost).
    const position = await run('');
    return position.offset >= 0 ? position : run(this.#newEpoch());
  }

  async since(channel: string, offset: number, epoch: string, limit?: number): Promise<Recovery | 'gap'> {
    if (!Number.isSafeInteger(offset) || offset < 0) return 'gap';
    const count = limit === undefined ? -1 : Math.max(0, Math.floor(limit));
    const snapshot = await this.#read(channel, 'since', offset, count);
    const { position } = snapshot;
    const wanted = epoch === '' && offset === 0 ? position.epoch : epoch;
    if (position.epoch === '' || position.epoch !== wanted || offset > position.offset) return 'gap';
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

  async open(channel: string): Promise<Position> {
    const score = Math.floor(this.#now()) - UNPUBLISHED_HEAD_START_MS;
    const [created, epoch, top] = (await this.#scripts.sbHistoryOpen(
      ...this.#keys(channel),
      this.#newEpoch(),
      score,
    )) as [number, string, number];
    // Only a channel that got its epoch here is new to the index; an existing one keeps its publish score.
    if (Number(created) === 1) await this.#index(channel, score);
    return { offset: Number(top), epoch };
  }

  async stats(): Promise<HistoryStoreStats> {
    return {
      channels: await this.#redis.zcard(this.#indexKey()),
      bytes: undefined,
      evictions: { ...this.#evictions },
    };
  }

  async close(): Promise<void> {
    if (this.#redis.status === 'end') return;
    try {
      await this.#redis.quit();
    } catch {
      this.#redis.disconnect();
    }
  }

  #keys(channel: string): ChannelKeys {
    const base = `${this.#prefix}{${channel}}:`;
    return [`${base}epoch`, `${base}top`, `${base}log`, `${base}ids`, `${base}meta`];
  }

  /** No `{`: cannot collide with a channel's keys, which all carry a hash tag. */
  #indexKey(): string {
    return `${this.#prefix}channels`;
  }

  /** Records the channel's score in the index and evicts the channels popped past maxChannels. */
  async #index(channel: string, score: number): Promise<void> {
    const popped = (await this.#scripts.sbHistoryIndex(
      this.#indexKey(),
      channel,
      score,
      this.#limits.maxChannels,
    )) as string[];
    const evictions: Promise<unknown>[] = [];
    for (let i = 0; i + 1 < popped.length; i += 2) {
      evictions.push(
        this.#scripts.sbHistoryEvict(...this.#keys(popped[i]!), popped[i + 1]!).then((deleted) => {
          if (Number(deleted) > 0) this.#evictions.channels++;
        }),
      );
    }
    await Promise.all(evictions);
  }

  async #read(
    channel: string,
    mode: 'since' | 'latest' | 'position',
    a: number,
    b: number,
  ): Promise<Snapshot> {
    const [epochBytes, top, oldest, members] = (await this.#scripts.sbHistoryReadBuffer(
      ...this.#keys(channel),
      Math.floor(this.#now()) - this.#limits.ttlMs,
      this.#limits.maxPerChannel,
      this.#limits.maxChannelBytes,
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
