/**
 * An instance of an ordered group (the default): each shard has one owner among the group's live
 * instances. Instances heartbeat into `sb:members:<topic>:<group>` (Redis' clock); shard s goes to member
 * s mod n of the sorted list, guarded by a lease `sb:lease:…:<s>` (SET NX PX, renewed every heartbeat). An
 * owner that must hand a shard over stops reading it, finishes and acks what it already read, then deletes
 * the lease; the next owner first claims everything still pending on the shard (a closed or dead owner's
 * unacked entries) and handles it in stream order before it reads new entries. Entries of one shard are
 * handled one at a time, so per-key order holds across instances; parallelism is across shards.
 */
import { readGroup } from './group-reader.js';
import { assignShards, leaseKey, membersKey, workStream } from './redis-names.js';
import {
  acquireLease,
  heartbeat,
  parseEntries,
  parsePending,
  releaseLease,
  renewLease,
} from './redis-streams.js';
import type { Queued, WorkContext } from './work-context.js';
import { deliver } from './work-delivery.js';

interface OwnedShard {
  readonly shard: number;
  readonly stream: string;
  phase: 'recovering' | 'reading' | 'releasing' | 'lost';
  readonly queue: Queued[];
  pumping: boolean;
}

const READ_PAGE = 100;
/** XREADGROUP BLOCK while an owned shard is full and left out of the read (see run()). */
const FULL_SHARD_BLOCK_MS = 10;

export class OrderedWork {
  readonly #context: WorkContext;
  readonly #owned = new Map<number, OwnedShard>();
  #wanted = new Set<number>();
  /** Set while the loop waits for a full shard to make room (see #waitForSpace). */
  #spaceMade: (() => void) | undefined;

  constructor(context: WorkContext) {
    this.#context = context;
  }

  /** The heartbeat: membership, the shards this instance should own, lease renewal. */
  async tick(): Promise<void> {
    const { redis, topic, group, shards, options, logger } = this.#context.config;
    const { name, closed } = this.#context;
    const members = await heartbeat(redis, membersKey(topic, group), name, options.visibilityTimeoutMs);
    if (closed()) return;
    this.#wanted = new Set(assignShards(members, name, shards));
    await Promise.all(
      [...this.#owned.values()].map(async (owned) => {
        const held = await renewLease(
          redis,
          leaseKey(topic, group, owned.shard),
          name,
          options.visibilityTimeoutMs,
        );
        if (!held && !closed() && this.#owned.get(owned.shard) === owned) {
          logger.warn({ topic, group, shard: owned.shard }, 'redis shard lease lost');
          owned.phase = 'lost';
          owned.queue.length = 0;
          this.#owned.delete(owned.shard);
        }
      }),
    );
  }

  /** The read loop, until close: hand over, take over, read the owned shards. */
  async run(): Promise<void> {
    const { redis, topic, group, options, prefetch, logger } = this.#context.config;
    const { name, closed, timers } = this.#context;
    while (!closed()) {
      try {
        // Hand over what is no longer ours once it is drained (no read of it is in flight between reads).
        for (const owned of [...this.#owned.values()]) {
          if (owned.phase === 'reading' && !this.#wanted.has(owned.shard)) owned.phase = 'releasing';
          if (owned.phase === 'releasing' && !owned.pumping && owned.queue.length === 0) {
            this.#owned.delete(owned.shard);
            await releaseLease(redis, leaseKey(topic, group, owned.shard), name);
          }
        }
        // Take what is ours and free.
        for (const shard of this.#wanted) {
          if (closed() || this.#owned.has(shard)) continue;
          if (!(await acquireLease(redis, leaseKey(topic, group, shard), name, options.visibilityTimeoutMs)))
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
        const read = await readGroup(
          this.#context,
          readable.map((owned) => owned.stream),
          prefetch,
          someFull ? Math.min(FULL_SHARD_BLOCK_MS, options.blockMs) : options.blockMs,
        );
        for (const owned of readable) {
          const entries = read.get(owned.stream);
          if (!entries?.length || owned.phase === 'lost' || closed()) continue;
          for (const entry of entries) owned.queue.push({ entry, attempt: 1, redelivered: false });
          void this.#pump(owned);
        }
      } catch (error) {
        if (closed()) return;
        logger.warn({ err: error, topic }, 'redis ordered consumer step failed; retrying');
        await timers.sleep(250);
      }
    }
  }

  /**
   * After the loop ended at close: gives up the leases and leaves the membership at once, so the others
   * take the shards over without waiting for them to run out. Entries in flight stay pending for them.
   */
  async close(): Promise<void> {
    const owned = [...this.#owned.values()];
    this.#owned.clear();
    const { redis, topic, group, options } = this.#context.config;
    const { name } = this.#context;
    await bounded(
      Promise.all([
        ...owned.map((s) => releaseLease(redis, leaseKey(topic, group, s.shard), name)),
        heartbeat(redis, membersKey(topic, group), name, options.visibilityTimeoutMs, true),
      ]),
    );
  }

  /** Resolves when a shard's handler finished an entry (its queue has room), after `ms`, or at close. */
  async #waitForSpace(ms: number): Promise<void> {
    try {
      await this.#context.timers.sleep(ms, (wake) => {
        this.#spaceMade = wake;
      });
    } finally {
      this.#spaceMade = undefined;
    }
  }

  /** Claims everything pending on a shard we now own (other owners' leftovers), in stream order. */
  async #recover(owned: OwnedShard): Promise<void> {
    const { redis, group, topic, logger } = this.#context.config;
    const { name, closed } = this.#context;
    let start = '-';
    for (;;) {
      const pending = parsePending(await redis.call('XPENDING', owned.stream, group, start, '+', READ_PAGE));
      if (pending.length === 0 || closed()) break;
      const ids = pending.map((p) => p.id);
      const claimed = new Map(
        parseEntries(await redis.callBuffer('XCLAIM', owned.stream, group, name, 0, ...ids)).map((e) => [
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
      logger.info(
        { topic, group, shard: owned.shard, pending: owned.queue.length },
        'took over pending work',
      );
      void this.#pump(owned);
    }
  }

  /** Handles the shard's queued entries one at a time, in order, until it is empty or the shard is lost. */
  async #pump(owned: OwnedShard): Promise<void> {
    if (owned.pumping) return;
    owned.pumping = true;
    const abandoned = () => this.#context.closed() || owned.phase === 'lost';
    try {
      while (owned.queue.length > 0 && !abandoned()) {
        const item = owned.queue.shift()!;
        await deliver(this.#context, owned.stream, item, abandoned);
        this.#spaceMade?.();
      }
    } finally {
      owned.pumping = false;
    }
  }
}

/** Waits for a best-effort command at close, at most a second (Redis may be down). */
async function bounded(work: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.catch(() => undefined),
    new Promise((resolve) => {
      timer = setTimeout(resolve, 1_000);
    }),
  ]);
  clearTimeout(timer);
}
