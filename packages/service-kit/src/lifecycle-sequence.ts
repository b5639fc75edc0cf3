/**
 * Where a lifecycle consumer stands in each node's stream. Every lifecycle message of an edge carries the
 * edge process's incarnation and a sequence number counted from 1 without holes (bus.proto
 * LifecycleEvent.seq); heartbeats carry the last sequence sent (NodeHeartbeat.last_seq). The backlog bound
 * drops the oldest messages of an absent consumer, a Redis failover can lose a registry write, a publish
 * can fail: a consumer that compares sequences knows it missed something instead of keeping a wrong
 * picture forever. This file holds the pure rules and the cursor stores; lifecycle-resync.ts acts on them.
 */

/** The last message of a node a consumer group applied. */
export interface LifecycleCursor {
  readonly incarnation: string;
  readonly seq: number;
}

/**
 * Where the cursors live. A store shared by every instance of a group (Redis) lets a fresh instance carry
 * on where another stopped; the memory one starts empty, so its first message of a node with seq > 1 is a
 * gap — right for a consumer whose state is in memory too, and lost with it.
 */
export interface LifecycleCursorStore {
  /**
   * Moves the node's cursor to `next` when that is ahead of it (another incarnation, or a higher seq), in
   * one atomic step, and returns the cursor as it was before (undefined: none).
   */
  advance(nodeId: string, next: LifecycleCursor): Promise<LifecycleCursor | undefined>;
  get(nodeId: string): Promise<LifecycleCursor | undefined>;
  /** The node expired: its cursor goes too (a node that comes back is then unknown, hence re-synced). */
  forget(nodeId: string): Promise<void>;
}

export type GapReason = 'hole' | 'incarnation' | 'unknown_node' | 'behind_heartbeat';

/** What one sequenced message means against the cursor it found. */
export type SequenceVerdict =
  /** The next message: apply it. */
  | { readonly kind: 'next' }
  /** The message the cursor already names (a retry or redelivery): apply it again, it is idempotent. */
  | { readonly kind: 'repeat' }
  /** Older than the cursor (a late redelivery): applying it would undo newer state; skip it. */
  | { readonly kind: 'stale' }
  /** Messages were lost before this one: apply it, and the node is out of sync. */
  | { readonly kind: 'gap'; readonly reason: GapReason; readonly missed: number };

/** The verdict for message `seq` of `incarnation`, given the cursor before it. */
export function classify(
  previous: LifecycleCursor | undefined,
  incarnation: string,
  seq: number,
): SequenceVerdict {
  if (!previous)
    return seq === 1 ? { kind: 'next' } : { kind: 'gap', reason: 'unknown_node', missed: seq - 1 };
  if (previous.incarnation !== incarnation)
    return { kind: 'gap', reason: 'incarnation', missed: Math.max(0, seq - 1) };
  if (seq === previous.seq + 1) return { kind: 'next' };
  if (seq === previous.seq) return { kind: 'repeat' };
  if (seq < previous.seq) return { kind: 'stale' };
  return { kind: 'gap', reason: 'hole', missed: seq - previous.seq - 1 };
}

/** A cursor is ahead of another when it is of another incarnation or further on in the same one. */
export function isAhead(next: LifecycleCursor, previous: LifecycleCursor | undefined): boolean {
  return !previous || previous.incarnation !== next.incarnation || next.seq > previous.seq;
}

/** Cursors in this process: one consumer instance, lost with it (like a MemoryPresenceStore). */
export class MemoryLifecycleCursors implements LifecycleCursorStore {
  readonly #cursors = new Map<string, LifecycleCursor>();

  async advance(nodeId: string, next: LifecycleCursor): Promise<LifecycleCursor | undefined> {
    const previous = this.#cursors.get(nodeId);
    if (isAhead(next, previous)) this.#cursors.set(nodeId, { incarnation: next.incarnation, seq: next.seq });
    return previous;
  }

  async get(nodeId: string): Promise<LifecycleCursor | undefined> {
    return this.#cursors.get(nodeId);
  }

  async forget(nodeId: string): Promise<void> {
    this.#cursors.delete(nodeId);
  }
}

/** Runs a Lua script on Redis (e.g. `(script, args) => redis.eval(script, 0, ...args)` with ioredis). */
export type RedisEval = (script: string, args: readonly string[]) => Promise<unknown>;

// ARGV: key, incarnation, seq, ttl ms -> {incarnation, seq} as they were (false, false: none)
const ADVANCE = `
local old = redis.call('HMGET', ARGV[1], 'inc', 'seq')
if not old[1] or old[1] ~= ARGV[2] or tonumber(old[2]) < tonumber(ARGV[3]) then
  redis.call('HSET', ARGV[1], 'inc', ARGV[2], 'seq', ARGV[3])
end
redis.call('PEXPIRE', ARGV[1], ARGV[4])
return old`;

const GET = `return redis.call('HMGET', ARGV[1], 'inc', 'seq')`;
const FORGET = `return redis.call('DEL', ARGV[1])`;

/** A day: the cursor of a node that vanished without expiring (its consumer was gone too) goes by itself. */
const CURSOR_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Cursors on Redis, next to the consumer's own state (`<prefix>cursor:<node>`, a hash {inc, seq}), so every
 * instance of the group and the next one after a restart see the same. Written once per message (a batch
 * counts as one).
 */
export class RedisLifecycleCursors implements LifecycleCursorStore {
  readonly #eval: RedisEval;
  readonly #prefix: string;

  constructor(run: RedisEval, prefix: string) {
    this.#eval = run;
    this.#prefix = prefix;
  }

  async advance(nodeId: string, next: LifecycleCursor): Promise<LifecycleCursor | undefined> {
    const key = this.#key(nodeId);
    return cursorOf(
      await this.#eval(ADVANCE, [key, next.incarnation, String(next.seq), String(CURSOR_TTL_MS)]),
    );
  }

  async get(nodeId: string): Promise<LifecycleCursor | undefined> {
    return cursorOf(await this.#eval(GET, [this.#key(nodeId)]));
  }

  async forget(nodeId: string): Promise<void> {
    await this.#eval(FORGET, [this.#key(nodeId)]);
  }

  #key(nodeId: string): string {
    return `${this.#prefix}cursor:${nodeId}`;
  }
}

function cursorOf(row: unknown): LifecycleCursor | undefined {
  const [incarnation, seq] = (row ?? []) as (string | null)[];
  return incarnation ? { incarnation, seq: Number(seq ?? 0) } : undefined;
}
