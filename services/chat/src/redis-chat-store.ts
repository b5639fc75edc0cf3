/**
 * ChatStore on Redis (ioredis), shared by every chat instance and surviving restarts. Keys (prefix
 * `sb:chat:` by default):
 *   rooms                         set of room names (count bound: createRoom's maxRooms, checked atomically)
 *   rooms:activity                sorted set, room -> time of its last activity (creation, message); the
 *                                 order of listRooms. Rooms of an older version without an entry are
 *                                 added with time 0 by the first listRooms that finds them missing.
 *   seq:<room>                    INCR counter of the room's message ids
 *   msg:<id>                      hash {room, author, deleted}, expires after messageTtlSeconds
 *   client:<len(author)>:<author>:<clientMsgId>  -> message id, expires after clientMsgIdTtlSeconds
 *   members:<room>                set of member user ids
 */

import { createRedisClient } from '@switchboard/bus/redis-connection';
import type { Redis } from 'ioredis';
import type { ChatStore, CreateRoomOptions, CreateRoomResult, MessageMeta, RoomList } from './chat-store.js';

export interface RedisChatStoreOptions {
  /** `redis://…`; the store creates and closes its own client. Give this or `redis`. */
  readonly url?: string;
  /** An existing client; the store does not close it. */
  readonly redis?: Redis;
  /** Key prefix. Default `sb:chat:`. */
  readonly prefix?: string;
  /** How long message authorship is kept (edit/delete window). Default 30 days. */
  readonly messageTtlSeconds?: number;
  /** How long a clientMsgId is remembered for send retries. Default 1 hour. */
  readonly clientMsgIdTtlSeconds?: number;
  /** Called with connection errors of an owned client (ioredis reconnects by itself). */
  readonly onError?: (error: Error) => void;
}

/** KEYS: rooms. ARGV: room, maxRooms (0 = no bound). Returns 0 exists, 1 created, 2 full. */
const CREATE_ROOM = `
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 0 end
local max = tonumber(ARGV[2])
if max > 0 and redis.call('SCARD', KEYS[1]) >= max then return 2 end
redis.call('SADD', KEYS[1], ARGV[1])
return 1`;

const CREATE_RESULTS: readonly CreateRoomResult[] = ['exists', 'created', 'full'];

const MARK_DELETED = `
if redis.call('HEXISTS', KEYS[1], 'author') == 0 then return 0 end
if redis.call('HGET', KEYS[1], 'deleted') == '1' then return 0 end
redis.call('HSET', KEYS[1], 'deleted', '1')
return 1`;

export class RedisChatStore implements ChatStore {
  readonly #redis: Redis;
  readonly #owned: boolean;
  readonly #prefix: string;
  readonly #messageTtl: number;
  readonly #clientTtl: number;

  constructor(options: RedisChatStoreOptions) {
    if (options.redis) {
      this.#redis = options.redis;
      this.#owned = false;
    } else if (options.url) {
      this.#redis = createRedisClient(options.url, { maxRetriesPerRequest: 3 }, 'REDIS_URL');
      this.#redis.on('error', (error: Error) => options.onError?.(error));
      this.#owned = true;
    } else throw new Error('RedisChatStore needs `url` or `redis`');
    this.#prefix = options.prefix ?? 'sb:chat:';
    this.#messageTtl = options.messageTtlSeconds ?? 30 * 86_400;
    this.#clientTtl = options.clientMsgIdTtlSeconds ?? 3_600;
  }

  async createRoom(room: string, options: CreateRoomOptions = {}): Promise<CreateRoomResult> {
    // The set alone decides (one key: cluster-safe); the activity entry follows in a second command.
    const code = await this.#redis.eval(CREATE_ROOM, 1, this.#key('rooms'), room, options.maxRooms ?? 0);
    const result = CREATE_RESULTS[Number(code)] ?? 'exists';
    if (result === 'created')
      await this.#redis.zadd(this.#key('rooms:activity'), 'NX', options.atMs ?? Date.now(), room);
    return result;
  }

  async hasRoom(room: string): Promise<boolean> {
    return (await this.#redis.sismember(this.#key('rooms'), room)) === 1;
  }

  async touchRoom(room: string, atMs: number): Promise<void> {
    await this.#redis.zadd(this.#key('rooms:activity'), 'GT', atMs, room);
  }

  async listRooms(limit: number): Promise<RoomList> {
    const activity = this.#key('rooms:activity');
    const [total, tracked] = await Promise.all([
      this.#redis.scard(this.#key('rooms')),
      this.#redis.zcard(activity),
    ]);
    if (tracked < total) {
      const all = await this.#redis.smembers(this.#key('rooms'));
      if (all.length > 0) await this.#redis.zadd(activity, 'NX', ...all.flatMap((room) => [0, room]));
    }
    const count = Math.max(0, Math.floor(limit));
    const rooms = count > 0 ? await this.#redis.zrevrange(activity, 0, count - 1) : [];
    return { rooms, total };
  }

  async nextSeq(room: string): Promise<number> {
    return this.#redis.incr(this.#key(`seq:${room}`));
  }

  async saveMessage(meta: Omit<MessageMeta, 'deleted'>): Promise<void> {
    const key = this.#key(`msg:${meta.id}`);
    const results = await this.#redis
      .multi()
      .hset(key, { room: meta.room, author: meta.author, deleted: '0' })
      .expire(key, this.#messageTtl)
      .exec();
    const failed = results?.find(([error]) => error);
    if (!results || failed) throw failed?.[0] ?? new Error('Redis transaction was aborted');
  }

  async rememberClientMsgId(author: string, clientMsgId: string, id: string): Promise<void> {
    await this.#redis.set(this.#clientKey(author, clientMsgId), id, 'EX', this.#clientTtl);
  }

  async getMessage(id: string): Promise<MessageMeta | undefined> {
    const hash = await this.#redis.hgetall(this.#key(`msg:${id}`));
    if (!hash.author || hash.room === undefined) return undefined;
    return { id, room: hash.room, author: hash.author, deleted: hash.deleted === '1' };
  }

  async markDeleted(id: string): Promise<boolean> {
    return (await this.#redis.eval(MARK_DELETED, 1, this.#key(`msg:${id}`))) === 1;
  }

  async findByClientMsgId(author: string, clientMsgId: string): Promise<string | undefined> {
    return (await this.#redis.get(this.#clientKey(author, clientMsgId))) ?? undefined;
  }

  async addMember(room: string, user: string): Promise<boolean> {
    return (await this.#redis.sadd(this.#key(`members:${room}`), user)) === 1;
  }

  async removeMember(room: string, user: string): Promise<boolean> {
    return (await this.#redis.srem(this.#key(`members:${room}`), user)) === 1;
  }

  async members(room: string): Promise<string[]> {
    return (await this.#redis.smembers(this.#key(`members:${room}`))).sort();
  }

  async close(): Promise<void> {
    if (!this.#owned || this.#redis.status === 'end') return;
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }

  #key(suffix: string): string {
    return this.#prefix + suffix;
  }

  /** Length-prefixed so author `a:b` + id `c` and author `a` + id `b:c` never share a key. */
  #clientKey(author: string, clientMsgId: string): string {
    return this.#key(`client:${author.length}:${author}:${clientMsgId}`);
  }
}
