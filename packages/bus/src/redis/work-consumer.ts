/**
 * One consumeWork() call: an instance of a consumer group on the topic's shard streams.
 *
 * - Unordered groups (`ordered: false`): every instance reads every shard with XREADGROUP `>` (competing
 *   consumers), handles up to `prefetch` entries at once, and every visibility timeout XAUTOCLAIMs entries
 *   other instances left pending longer than that (a dead consumer). Entries still being handled are kept
 *   fresh with XCLAIM JUSTID, so a slow handler is not taken over.
 * - Ordered groups (default): each shard has one owner among the group's live instances. Instances
 *   heartbeat into `sb:members:<topic>:<group>` (Redis' clock); shard s goes to member s mod n of the sorted
 *   list, guarded by a lease `sb:lease:…:<s>` (SET NX PX, renewed every heartbeat). An owner that must hand a
 *   shard over stops reading it, finishes and acks what it already read, then deletes the lease; the next
 *   owner first claims everything still pending on the shard (a closed or dead owner's unacked entries) and
 *   handles it in stream order before it reads new entries. Entries of one shard are handled one at a time,
 *   so per-key order holds across instances; parallelism is across shards.
 *
 * Either way a handler that resolves is followed by XACK; one that rejects is retried in process after a
 * backoff, each retry first XCLAIMing the entry to itself so Redis' delivery counter (XPENDING
 * times-delivered) counts the attempt — the count survives a crash, and the next instance continues it.
 * At maxAttempts the entry goes to `sb:dlq:<topic>:<group>` and is acked in the same MULTI. close()
 * abandons entries in flight: they are not acked and go to the next instance.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Closable, WorkHandler } from '../transport.js';
import { assignShards, deadLetterStream, FIELD, leaseKey, membersKey, workStream } from './redis-names.js';
import type { RedisBusLogger, ResolvedRedisOptions } from './redis-options.js';
import {
  acquireLease,
  ensureGroup,
  entryBytes,
  entryKey,
  heartbeat,
  isNoGroup,
  parseEntries,
  parsePending,
  parseReadGroup,
  releaseLease,
  renewLease,
  type StreamEntry,
} from './redis-streams.js';

export interface WorkConsumerConfig {
  readonly redis: Redis;
  /** Dedicated connection for the blocking reads; the consumer disconnects it on close. */
  readonly reader: Redis;
  readonly options: ResolvedRedisOptions;
  readonly logger: RedisBusLogger;
  readonly topic: string;
  readonly group: string;
  readonly shards: number;
  readonly ordered: boolean;
  readonly prefetch: number;
  readonly maxAttempts: number;
  readonly handler: WorkHandler;
}

interface Queued {
  readonly entry: StreamEntry;
  readonly attempt: number;
  readonly redelivered: boolean;
}

interface OwnedShard {
  readonly shard: number;
  readonly stream: string;
  phase: 'recovering' | 'reading' | 'releasing' | 'lost';
  readonly queue: Queued[];
  pumping: boolean;
}

const READ_PAGE = 100;

/** The dead-letter error of a work entry without the `b` (body) field. */
export const MISSING_BODY = `work entry has no "${FIELD.bytes}" field (the message body): write it as XADD <stream> * ${FIELD.key} <key> ${FIELD.bytes} <bytes> (docs/bus-contract.md)`;
/** XREADGROUP BLOCK while an owned shard is full and left out of the read (see #orderedLoop). */
const FULL_SHARD_BLOCK_MS = 10;

export class RedisWorkConsumer implements Closable {
  readonly name: string;
  readonly #c: WorkConsumerConfig;
  readonly #streams: string[];
  readonly #log: RedisBusLogger;
  #closed = false;
  #loop: Promise<void> | undefined;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #sleepers = new Set<() => void>();
  /** Set while the ordered loop waits for a full shard to make room (see #waitForSpace). */
  #spaceMade: (() => void) | undefined;
  // ordered
  readonly #owned = new Map<number, OwnedShard>();
  #wanted = new Set<number>();
  #ticking = false;
  // unordered
  readonly #inFlight = new Map<string, { stream: string; id: string; since: number }>();
  #lastReclaim = Date.now();

  constructor(config: WorkConsumerConfig) {
    this.#c = config;
    this.name = `${config.options.connectionName}-${randomUUID()}`;
    this.#streams = Array.from({ length: config.shards }, (_, s) => workStream(config.topic, s));
    this.#log = config.logger;
  }

  async start(): Promise<void> {
    await this.#ensureGroups();
    if (this.#c.ordered) await this.#tick();
    const interval = setInterval(() => void this.#tick(), this.#c.options.heartbeatIntervalMs);
    this.#timers.add(interval);
    this.#loop = (this.#c.ordered ? this.#orderedLoop() : this.#unorderedLoop()).catch((error) =>
      this.#log.error({ err: error, topic: this.#c.topic }, 'redis work consumer stopped'),
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers.clear();
    for (const wake of this.#sleepers) wake();
    this.#c.reader.disconnect();
    await this.#loop;
    if (this.#c.ordered) {
      const owned = [...this.#owned.values()];
      this.#owned.clear();
      const { redis, topic, group } = this.#c;
      await this.#bounded(
        Promise.all([
          ...owned.map((s) => releaseLease(redis, leaseKey(topic, group, s.shard), this.name)),
          heartbeat(redis, membersKey(topic, group), this.name, this.#c.options.visibilityTimeoutMs, true),
        ]),
      );
    }
  }

  // ---- shared ------------------------------------------------------------------------------------------

  async #ensureGroups(): Promise<void> {
    await Promise.all(this.#streams.map((stream) => ensureGroup(this.#c.redis, stream, this.#c.group)));
  }

  /** Resolves when a shard's handler finished an entry (its queue has room), after `ms`, or at close. */
  #waitForSpace(ms: number): Promise<void> {
    return this.#sleep(ms, (wake) => {
      this.#spaceMade = wake;
    }).finally(() => {
      this.#spaceMade = undefined;
    });
  }

  /** Resolves after `ms` or at close, whichever is first; `onWake` gets the function that ends it early. */
  #sleep(ms: number, onWake?: (wake: () => void) => void): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#timers.delete(timer);
        this.#sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#timers.add(timer);
      this.#sleepers.add(wake);
      onWake?.(wake);
    });
  }

  /** Waits for a best-effort command at close, at most a second (Redis may be down). */
  async #bounded(work: Promise<unknown>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      work.catch(() => undefined),
      new Promise((resolve) => {
        timer = setTimeout(resolve, 1_000);
      }),
    ]);
    clearTimeout(timer);
  }

  async #readGroup(
    streams: string[],
    count: number,
    blockMs = this.#c.options.blockMs,
  ): Promise<Map<string, StreamEntry[]>> {
    try {
      const raw = await this.#c.reader.callBuffer(
        'XREADGROUP',
        'GROUP',
        this.#c.group,
        this.name,
        'COUNT',
        count,
        'BLOCK',
        blockMs,
        'STREAMS',
        ...streams,
        ...streams.map(() => '>'),
      );
      return parseReadGroup(raw);
    } catch (error) {
      if (this.#closed) return new Map();
      if (isNoGroup(error)) {
        // Redis restarted without its data: the streams and groups are gone. Create them again.
        this.#log.warn(
          { topic: this.#c.topic, group: this.#c.group },
          'redis consumer group lost; recreating',
        );
        await this.#ensureGroups().catch(() => undefined);
      } else {
        this.#log.warn({ err: error, topic: this.#c.topic }, 'redis XREADGROUP failed; retrying');
        await this.#sleep(250);
      }
      return new Map();
    }
  }

  /**
   * Handles one entry to the end: ack, retry, or dead letter. `abandoned()` tells that the entry no longer
   * belongs to this instance (close, lost lease): then nothing more is written for it.
   */
  async #deliver(stream: string, item: Queued, abandoned: () => boolean): Promise<void> {
    const { redis, group, topic, maxAttempts, handler, options } = this.#c;
    const { entry } = item;
    try {
      if (!entry.fields) {
        await redis.call('XACK', stream, group, entry.id); // trimmed while pending: nothing left to handle
        return;
      }
      if (!entry.fields.has(FIELD.bytes)) {
        // Written by hand without the body field (docs/bus-contract.md): handing the handler empty bytes
        // would make it drop the message as malformed; a dead letter keeps it visible and recoverable.
        await this.#deadLetter(stream, entry, 0, MISSING_BODY);
        return;
      }
      const key = entryKey(entry);
      const bytes = entryBytes(entry);
      let attempt = item.attempt;
      if (attempt > maxAttempts) {
        // Delivered more often than allowed without an ack: its consumers died on it.
        await this.#deadLetter(stream, entry, attempt - 1, `delivered ${attempt - 1} times without an ack`);
        return;
      }
      for (;;) {
        try {
          await handler({ topic, key, bytes, attempt, redelivered: item.redelivered });
          if (abandoned()) return;
          await redis.call('XACK', stream, group, entry.id);
          return;
        } catch (error) {
          if (abandoned()) return;
          const message = error instanceof Error ? error.message : String(error);
          if (attempt >= maxAttempts) {
            await this.#deadLetter(stream, entry, attempt, message);
            return;
          }
          this.#log.warn({ topic, group, key, attempt, err: error }, 'work handler failed; retrying');
          await this.#sleep(Math.min(options.retryDelayMs * 2 ** (attempt - 1), options.maxRetryDelayMs));
          if (abandoned()) return;
          // Claiming it again counts the attempt in Redis (times-delivered) and resets its idle time.
          await redis.call('XCLAIM', stream, group, this.name, 0, entry.id);
          attempt++;
        }
      }
    } catch (error) {
      // Redis failed under us: the entry stays pending and is delivered again later.
      if (!this.#closed) this.#log.warn({ err: error, topic, group }, 'redis work ack failed');
    }
  }

  async #deadLetter(stream: string, entry: StreamEntry, attempts: number, error: string): Promise<void> {
    const { redis, topic, group, options } = this.#c;
    const results = await redis
      .multi([
        [
          'xadd',
          deadLetterStream(topic, group),
          'MAXLEN',
          '~',
          options.deadLetterMaxLength,
          '*',
          FIELD.key,
          entryKey(entry),
          FIELD.bytes,
          entry.fields?.get(FIELD.bytes) ?? '',
          FIELD.attempts,
          attempts,
          FIELD.error,
          error,
          FIELD.origin,
          `${stream} ${entry.id}`,
        ],
        ['xack', stream, group, entry.id],
      ])
      .exec();
    const failed = results?.find(([err]) => err);
    if (failed?.[0]) throw failed[0];
    this.#log.warn({ topic, group, attempts, error }, 'work message dead-lettered');
  }

  // ---- ordered: shard ownership -------------------------------------------------------------------------

  /** Heartbeat: membership, rebalance target, lease renewal; for unordered groups, reclaim and keep-alive. */
  async #tick(): Promise<void> {
    if (this.#ticking || this.#closed) return;
    this.#ticking = true;
    try {
      if (this.#c.ordered) await this.#membershipTick();
      else await this.#unorderedTick();
    } catch (error) {
      if (!this.#closed)
        this.#log.warn({ err: error, topic: this.#c.topic }, 'redis consumer heartbeat failed');
    } finally {
      this.#ticking = false;
    }
  }

  async #membershipTick(): Promise<void> {
    const { redis, topic, group, shards, options } = this.#c;
    const members = await heartbeat(redis, membersKey(topic, group), this.name, options.visibilityTimeoutMs);
    if (this.#closed) return;
    this.#wanted = new Set(assignShards(members, this.name, shards));
    await Promise.all(
      [...this.#owned.values()].map(async (owned) => {
        const held = await renewLease(
          redis,
          leaseKey(topic, group, owned.shard),
          this.name,
          options.visibilityTimeoutMs,
        );
        if (!held && !this.#closed && this.#owned.get(owned.shard) === owned) {
          this.#log.warn({ topic, group, shard: owned.shard }, 'redis shard lease lost');
          owned.phase = 'lost';
          owned.queue.length = 0;
          this.#owned.delete(owned.shard);
        }
      }),
    );
  }

  async #orderedLoop(): Promise<void> {
    const { redis, topic, group, options, prefetch } = this.#c;
    while (!this.#closed) {
      try {
        // Hand over what is no longer ours once it is drained (no read of it is in flight between reads).
        for (const owned of [...this.#owned.values()]) {
          if (owned.phase === 'reading' && !this.#wanted.has(owned.shard)) owned.phase = 'releasing';
          if (owned.phase === 'releasing' && !owned.pumping && owned.queue.length === 0) {
            this.#owned.delete(owned.shard);
            await releaseLease(redis, leaseKey(topic, group, owned.shard), this.name);
          }
        }
        // Take what is ours and free.
        for (const shard of this.#wanted) {
          if (this.#closed || this.#owned.has(shard)) continue;
          if (
            !(await acquireLease(
              redis,
              leaseKey(topic, group, shard),
              this.name,
              options.visibilityTimeoutMs,
            ))
          )
            continue;
          const owned: OwnedShard = {
            shard,
            stream: workStream(topic, shard),
            phase: 'recovering',
            queue: [],
            pumping: false,
          };
          this.#owned.set(shard, owned);
          await this.#recover(owned);
          if (owned.phase === 'recovering') owned.phase = 'reading';
        }
        const reading = [...this.#owned.values()].filter((owned) => owned.phase === 'reading');
        const readable = reading.filter((owned) => owned.queue.length < prefetch);
        if (readable.length === 0) {
          await this.#waitForSpace(options.blockMs);
          continue;
        }
        // A blocking read wakes only for the streams it names: while a full shard is left out, block briefly
        // so that it is read again as soon as its handler makes room (a long block capped a hot key — one
        // room — at `prefetch` messages per block).
        const someFull = readable.length < reading.length;
        const read = await this.#readGroup(
          readable.map((owned) => owned.stream),
          prefetch,
          someFull ? Math.min(FULL_SHARD_BLOCK_MS, options.blockMs) : options.blockMs,
        );
        for (const owned of readable) {
          const entries = read.get(owned.stream);
          if (!entries?.length || owned.phase === 'lost' || this.#closed) continue;
          for (const entry of entries) owned.queue.push({ entry, attempt: 1, redelivered: false });
          void this.#pump(owned);
        }
      } catch (error) {
        if (this.#closed) return;
        this.#log.warn({ err: error, topic }, 'redis ordered consumer step failed; retrying');
        await this.#sleep(250);
      }
    }
  }

  /** Claims everything pending on a shard we now own (other owners' leftovers), in stream order. */
  async #recover(owned: OwnedShard): Promise<void> {
    const { redis, group } = this.#c;
    let start = '-';
    for (;;) {
      const pending = parsePending(await redis.call('XPENDING', owned.stream, group, start, '+', READ_PAGE));
      if (pending.length === 0 || this.#closed) break;
      const ids = pending.map((p) => p.id);
      const claimed = new Map(
        parseEntries(await redis.callBuffer('XCLAIM', owned.stream, group, this.name, 0, ...ids)).map((e) => [
          e.id,
          e,
        ]),
      );
      for (const p of pending) {
        const entry = claimed.get(p.id) ?? { id: p.id, fields: undefined };
        // XCLAIM counted this delivery: attempts so far = deliveries before it + 1.
        owned.queue.push({ entry, attempt: p.deliveries + 1, redelivered: true });
      }
      start = `(${ids[ids.length - 1]}`;
      if (pending.length < READ_PAGE) break;
    }
    if (owned.queue.length > 0) {
      this.#log.info(
        { topic: this.#c.topic, group, shard: owned.shard, pending: owned.queue.length },
        'took over pending work',
      );
      void this.#pump(owned);
    }
  }

  async #pump(owned: OwnedShard): Promise<void> {
    if (owned.pumping) return;
    owned.pumping = true;
    const abandoned = () => this.#closed || owned.phase === 'lost';
    try {
      while (owned.queue.length > 0 && !abandoned()) {
        const item = owned.queue.shift()!;
        await this.#deliver(owned.stream, item, abandoned);
        this.#spaceMade?.();
      }
    } finally {
      owned.pumping = false;
    }
  }

  // ---- unordered: competing consumers ------------------------------------------------------------------

  async #unorderedLoop(): Promise<void> {
    const { prefetch } = this.#c;
    while (!this.#closed) {
      const free = prefetch - this.#inFlight.size;
      if (free <= 0) {
        await this.#sleep(10);
        continue;
      }
      const read = await this.#readGroup(this.#streams, free);
      for (const [stream, entries] of read) {
        for (const entry of entries) this.#start(stream, { entry, attempt: 1, redelivered: false });
      }
    }
  }

  #start(stream: string, item: Queued): void {
    const id = `${stream} ${item.entry.id}`;
    if (this.#closed || this.#inFlight.has(id)) return;
    this.#inFlight.set(id, { stream, id: item.entry.id, since: Date.now() });
    void this.#deliver(stream, item, () => this.#closed).finally(() => this.#inFlight.delete(id));
  }

  async #unorderedTick(): Promise<void> {
    const { redis, group, options, prefetch } = this.#c;
    // Keep entries we are still handling from looking abandoned.
    const stale = [...this.#inFlight.values()].filter(
      (f) => Date.now() - f.since > options.visibilityTimeoutMs / 3,
    );
    for (const f of stale) {
      await redis.call('XCLAIM', f.stream, group, this.name, 0, f.id, 'JUSTID');
      f.since = Date.now();
    }
    if (Date.now() - this.#lastReclaim < options.visibilityTimeoutMs / 2) return;
    this.#lastReclaim = Date.now();
    for (const stream of this.#streams) {
      const free = prefetch - this.#inFlight.size;
      if (free <= 0 || this.#closed) return;
      const raw = (await redis.callBuffer(
        'XAUTOCLAIM',
        stream,
        group,
        this.name,
        options.visibilityTimeoutMs,
        '0-0',
        'COUNT',
        free,
      )) as unknown[];
      const entries = parseEntries(raw?.[1]);
      for (const entry of entries) {
        const [info] = parsePending(await redis.call('XPENDING', stream, group, entry.id, entry.id, 1));
        this.#start(stream, { entry, attempt: info?.deliveries ?? 2, redelivered: true });
      }
    }
  }
}
