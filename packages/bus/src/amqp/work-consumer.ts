/**
 * One consumeWork() registration: consumers on the group's queues, manual ack after the handler resolves.
 *
 * Unordered groups: one channel consuming the group queue; closing it hands every unacked message back
 * to the broker, which redelivers it to another instance.
 *
 * Ordered groups: the 16 (`shards`) shard queues are shared out between the group's live instances
 * (membership.ts: announcements on `sb.members`, rendezvous hashing with bounded load), and an instance
 * consumes only the shards it owns, each on its own channel. When a shard moves away the instance stops
 * starting handlers for it, waits for the running ones (which ack), then closes the shard's channel:
 * the broker puts the unstarted messages back at their original positions and only then activates the
 * next consumer, all in one step of the queue process, so the new owner continues exactly where the old
 * one stopped and per-key order holds during the move. The shard queues keep x-single-active-consumer:
 * an instance that acquires a shard before the old owner let go (views not converged yet) waits as a
 * standby, so at most one instance ever receives a shard's messages. A dead instance's connection closes
 * its channels, the broker requeues its unacked messages, and the others take its shards when its lease
 * runs out (at once when it closes cleanly: it announces that it leaves).
 *
 * Retries happen in-process: a failed handler is called again on the same delivery (after a capped
 * exponential pause) with attempt + 1, and only after `maxAttempts` failures is the message published to
 * the dead-letter queue and the original acked. This keeps per-key order for ordered groups (later
 * messages of the key wait behind the retry instead of overtaking a requeued copy) and needs no extra
 * queues. The attempt count lives in the consumer: if the instance dies mid-retry, the broker redelivers
 * the message (redelivered = true) and counting restarts at 1. A message that kills its consumer every
 * time is caught by the quorum queue's x-delivery-limit instead, which the broker counts (queue-declarer.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Closable, WorkConsumerOptions, WorkHandler, WorkMessage } from '../transport.js';
import { cappedExponential } from './backoff.js';
import type { ConnectionManager, SessionResource } from './connection-manager.js';
import { errorMessage } from './connection-manager.js';
import { KeySerializer } from './key-serializer.js';
import {
  ANNOUNCE_MS,
  type Announcement,
  assignShards,
  decodeAnnouncement,
  encodeAnnouncement,
  LEASE_MS,
  MemberTable,
  TICK_MS,
} from './membership.js';
import type { ResolvedOptions } from './options.js';
import { publishConfirmed } from './publisher.js';
import type { DurableQueueSettings } from './queue-declarer.js';
import type { Session } from './session.js';
import {
  deadLetterQueue,
  declareMemberQueue,
  declareWorkGroup,
  HEADER_ATTEMPTS,
  HEADER_ERROR,
  HEADER_GROUP,
  HEADER_KEY,
  HEADER_TOPIC,
  MEMBERS_EXCHANGE,
  membersRoutingKey,
  shardQueue,
} from './topology.js';

export const DEFAULT_PREFETCH = 16;
export const DEFAULT_MAX_ATTEMPTS = 5;

/** The lane of an unordered group (its one queue) in the lanes map. */
const GROUP_LANE = -1;

const ignore = () => undefined;

/** One consumer on one channel: the group queue, or one owned shard queue. */
class Lane {
  /** May start handlers for newly delivered messages (false once the shard is being handed over). */
  starting = true;
  /** Acks on the channel still mean something. */
  live = true;
  readonly inflight = new Set<Promise<void>>();
  readonly keys = new KeySerializer();

  constructor(
    readonly channel: Channel,
    readonly session: Session,
  ) {}

  stop(): void {
    this.starting = false;
    this.live = false;
  }
}

export class WorkConsumer implements SessionResource, Closable {
  readonly #manager: ConnectionManager;
  readonly #options: ResolvedOptions;
  readonly #topic: string;
  readonly #group: string;
  readonly #ordered: boolean;
  readonly #prefetch: number;
  readonly #maxAttempts: number;
  readonly #handler: WorkHandler;
  /** Unordered: GROUP_LANE -> lane. Ordered: shard -> lane of every shard this instance consumes. */
  readonly #lanes = new Map<number, Lane>();
  readonly #members: MemberTable;
  #owned = new Set<number>();
  /** Shards with an acquire/release running, and those to look at again when it ends. */
  readonly #syncing = new Set<number>();
  readonly #dirty = new Set<number>();
  #session: Session | undefined;
  #membership: Channel | undefined;
  #membershipOpening = false;
  #ticker: NodeJS.Timeout | undefined;
  #lastAnnounce = 0;
  #closed = false;

  constructor(
    manager: ConnectionManager,
    options: ResolvedOptions,
    topic: string,
    consumer: WorkConsumerOptions,
    handler: WorkHandler,
  ) {
    this.#manager = manager;
    this.#options = options;
    this.#topic = topic;
    this.#group = consumer.group;
    this.#ordered = consumer.ordered ?? true;
    this.#prefetch = consumer.prefetch ?? DEFAULT_PREFETCH;
    this.#maxAttempts = consumer.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.#handler = handler;
    this.#members = new MemberTable(randomUUID(), LEASE_MS);
  }

  /** This instance's id in the group's membership (ordered groups). */
  get member(): string {
    return this.#members.self;
  }

  /** The shards this instance currently consumes (ordered groups); for tests and metrics. */
  get shards(): number[] {
    return [...this.#lanes.keys()].filter((shard) => shard !== GROUP_LANE).sort((x, y) => x - y);
  }

  async attach(session: Session): Promise<void> {
    if (this.#closed || this.#session === session) return;
    if (this.#ordered) await this.#attachOrdered(session);
    else await this.#attachUnordered(session);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#manager.unregister(this);
    clearInterval(this.#ticker);
    this.#ticker = undefined;
    // Tell the others first, so they take the shards over as soon as our channels close below.
    if (this.#ordered) this.#announce('leaving');
    const lanes = [...this.#lanes.values()];
    this.#lanes.clear();
    for (const lane of lanes) lane.stop();
    // Closing the channels without acking returns in-flight messages to their queues.
    await Promise.all(lanes.map((lane) => lane.channel.close().catch(ignore)));
    const membership = this.#membership;
    this.#membership = undefined;
    await membership?.close().catch(ignore);
  }

  /** How the group's durable queues are declared (queue-declarer.ts), probing through short-lived channels. */
  #queueSettings(session: Session): DurableQueueSettings {
    return {
      queueType: this.#options.queueType,
      deliveryLimit: this.#options.deliveryLimit,
      bound: this.#options.topicBounds.get(this.#topic),
      // Not session.openChannel: its error listener would log the expected 406 of a legacy queue as a
      // channel failure; declareWorkGroup reports that itself, once per group.
      openChannel: async () => {
        const channel = await session.connection.createChannel();
        channel.on('error', () => undefined);
        return channel;
      },
      logger: this.#options.logger,
    };
  }

  async #attachUnordered(session: Session): Promise<void> {
    const channel = await session.openChannel(`work ${this.#topic}/${this.#group}`);
    const lane = new Lane(channel, session);
    // Set before consuming: deliveries may arrive before consume() resolves.
    const previous = this.#lanes.get(GROUP_LANE);
    this.#lanes.set(GROUP_LANE, lane);
    try {
      const queues = await declareWorkGroup(
        channel,
        this.#topic,
        this.#group,
        false,
        this.#options.shards,
        this.#queueSettings(session),
      );
      // Per consumer (global = false): quorum queues refuse a channel-wide limit, and the channel has only
      // this one consumer, so the limit still applies to the whole instance.
      await channel.prefetch(this.#prefetch, false);
      for (const queue of queues) {
        await channel.consume(queue, (message) => this.#onMessage(lane, message), { noAck: false });
      }
    } catch (error) {
      lane.stop();
      if (this.#lanes.get(GROUP_LANE) === lane) {
        if (previous) this.#lanes.set(GROUP_LANE, previous);
        else this.#lanes.delete(GROUP_LANE);
      }
      await channel.close().catch(ignore);
      throw error;
    }
    if (this.#closed) {
      lane.stop();
      await channel.close().catch(ignore);
      return;
    }
    previous?.stop();
    this.#session = session;
  }

  async #attachOrdered(session: Session): Promise<void> {
    const membership = await session.openChannel(`members ${this.#topic}/${this.#group}`);
    try {
      await declareWorkGroup(
        membership,
        this.#topic,
        this.#group,
        true,
        this.#options.shards,
        this.#queueSettings(session),
      );
      await this.#listen(membership);
    } catch (error) {
      await membership.close().catch(ignore);
      throw error;
    }
    if (this.#closed) {
      await membership.close().catch(ignore);
      return;
    }
    // Lanes of an earlier connection died with it (the broker requeued their unacked messages).
    for (const [shard, lane] of this.#lanes) {
      if (lane.session !== session) {
        lane.stop();
        this.#lanes.delete(shard);
      }
    }
    this.#session = session;
    this.#membership = membership;
    this.#announce('alive');
    this.#reconcile();
    this.#ticker ??= setInterval(() => this.#tick(), TICK_MS);
  }

  /** Consumes the group's announcements on `channel` (which becomes the membership channel). */
  async #listen(channel: Channel): Promise<void> {
    channel.once('close', () => {
      if (this.#membership === channel) this.#membership = undefined;
    });
    const queue = await declareMemberQueue(channel, this.#topic, this.#group);
    await channel.consume(
      queue,
      (message) => {
        if (message) this.#onAnnouncement(message.content);
      },
      { noAck: true },
    );
  }

  #onAnnouncement(content: Buffer): void {
    if (this.#closed) return;
    const announcement = decodeAnnouncement(content);
    if (!announcement || announcement.member === this.#members.self) return;
    if (announcement.state === 'leaving') {
      if (this.#members.left(announcement.member)) this.#reconcile();
      return;
    }
    if (this.#members.heard(announcement.member, Date.now())) {
      // A newcomer: answer at once so it learns about us without waiting for the next round.
      this.#announce('alive');
      this.#reconcile();
    }
  }

  #announce(state: Announcement['state']): void {
    const channel = this.#membership;
    if (!channel) return;
    this.#lastAnnounce = Date.now();
    try {
      channel.publish(
        MEMBERS_EXCHANGE,
        membersRoutingKey(this.#topic, this.#group),
        encodeAnnouncement({ member: this.#members.self, state }),
        { expiration: String(LEASE_MS) },
      );
    } catch (error) {
      this.#options.logger.debug({ err: error }, 'membership announcement not sent');
    }
  }

  #tick(): void {
    const session = this.#session;
    if (this.#closed || !session?.alive) return;
    if (!this.#membership) void this.#reopenMembership(session);
    const now = Date.now();
    if (now - this.#lastAnnounce >= ANNOUNCE_MS) this.#announce('alive');
    this.#members.expire(now);
    // Every tick, not only on changes: this also retries an acquire that failed.
    this.#reconcile();
  }

  /** The membership channel broke while the connection stayed up (a channel error): open a new one. */
  async #reopenMembership(session: Session): Promise<void> {
    if (this.#membershipOpening) return;
    this.#membershipOpening = true;
    try {
      const channel = await session.openChannel(`members ${this.#topic}/${this.#group}`);
      try {
        await this.#listen(channel);
      } catch (error) {
        await channel.close().catch(ignore);
        throw error;
      }
      if (this.#closed || this.#session !== session) {
        await channel.close().catch(ignore);
        return;
      }
      this.#membership = channel;
      this.#announce('alive');
    } catch (error) {
      this.#options.logger.warn(
        { err: error, topic: this.#topic, group: this.#group },
        'membership reopen failed',
      );
    } finally {
      this.#membershipOpening = false;
    }
  }

  /** Recomputes the shards this instance owns and starts moving every shard that is not where it should be. */
  #reconcile(): void {
    if (this.#closed) return;
    const owners = assignShards(this.#members.live(), this.#options.shards);
    const owned = new Set<number>();
    owners.forEach((owner, shard) => {
      if (owner === this.#members.self) owned.add(shard);
    });
    if (!sameSet(owned, this.#owned)) {
      this.#options.logger.debug(
        { topic: this.#topic, group: this.#group, member: this.#members.self, shards: [...owned] },
        'ordered group shards reassigned',
      );
      this.#owned = owned;
      const prefetch = this.#shardPrefetch();
      for (const lane of this.#lanes.values()) {
        if (lane.live) lane.channel.prefetch(prefetch, false).catch(ignore);
      }
    }
    for (let shard = 0; shard < this.#options.shards; shard++) {
      if (owned.has(shard) !== this.#lanes.has(shard)) this.#kick(shard);
    }
  }

  /** The instance's prefetch split over the shards it owns (each shard has its own channel). */
  #shardPrefetch(): number {
    return Math.max(1, Math.ceil(this.#prefetch / Math.max(1, this.#owned.size)));
  }

  /** Runs #sync(shard), one at a time per shard; a kick during a run makes it run again afterwards. */
  #kick(shard: number): void {
    if (this.#syncing.has(shard)) {
      this.#dirty.add(shard);
      return;
    }
    this.#syncing.add(shard);
    void (async () => {
      try {
        do {
          this.#dirty.delete(shard);
          await this.#sync(shard);
        } while (this.#dirty.has(shard) && !this.#closed);
      } catch (error) {
        this.#options.logger.warn(
          { err: error, topic: this.#topic, group: this.#group, shard },
          'shard acquire/release failed; retrying',
        );
      } finally {
        this.#syncing.delete(shard);
        this.#dirty.delete(shard);
      }
    })();
  }

  async #sync(shard: number): Promise<void> {
    const session = this.#session;
    if (this.#closed || !session?.alive) return;
    const lane = this.#lanes.get(shard);
    const wanted = this.#owned.has(shard);
    if (wanted && !lane) await this.#acquire(session, shard);
    else if (!wanted && lane) await this.#release(shard, lane);
  }

  /** Subscribes to the shard queue on a channel of its own (a standby until the previous owner lets go). */
  async #acquire(session: Session, shard: number): Promise<void> {
    const channel = await session.openChannel(`work ${this.#topic}/${this.#group} shard ${shard}`);
    const lane = new Lane(channel, session);
    channel.once('close', () => {
      lane.stop();
      if (this.#lanes.get(shard) === lane) this.#lanes.delete(shard);
    });
    this.#lanes.set(shard, lane);
    try {
      await channel.prefetch(this.#shardPrefetch(), false);
      await channel.consume(
        shardQueue(this.#topic, this.#group, shard),
        (message) => this.#onMessage(lane, message, shard),
        { noAck: false },
      );
    } catch (error) {
      lane.stop();
      if (this.#lanes.get(shard) === lane) this.#lanes.delete(shard);
      await channel.close().catch(ignore);
      throw error;
    }
    if (this.#closed || this.#session !== session) {
      lane.stop();
      if (this.#lanes.get(shard) === lane) this.#lanes.delete(shard);
      await channel.close().catch(ignore);
    }
  }

  /**
   * Hands the shard over without breaking per-key order: start nothing new, let the running handlers
   * finish (they ack), then close the channel. Closing — not basic.cancel followed by nacks — matters:
   * the queue requeues the unstarted messages at their original positions and activates the next
   * consumer in the same step, so no later message can reach the new owner before them.
   */
  async #release(shard: number, lane: Lane): Promise<void> {
    lane.starting = false;
    await Promise.allSettled([...lane.inflight]);
    lane.live = false;
    if (this.#lanes.get(shard) === lane) this.#lanes.delete(shard);
    await lane.channel.close().catch(ignore);
  }

  #onMessage(lane: Lane, message: ConsumeMessage | null, shard?: number): void {
    if (!message) {
      this.#options.logger.warn(
        { topic: this.#topic, group: this.#group, shard },
        'amqp consumer cancelled by the broker',
      );
      if (shard !== undefined && this.#lanes.get(shard) === lane) void this.#release(shard, lane);
      return;
    }
    const key = headerString(message, HEADER_KEY) ?? '';
    const run = () => this.#handle(lane, message, key);
    const done = (this.#ordered ? lane.keys.run(key, run) : run()).catch((error: unknown) => {
      this.#options.logger.error(
        { err: error, topic: this.#topic, group: this.#group },
        'work handling failed',
      );
    });
    lane.inflight.add(done);
    void done.then(() => lane.inflight.delete(done));
  }

  /** Whether acks on the lane's channel still mean something: not closed by us, not replaced, not handed over. */
  #live(lane: Lane): boolean {
    return !this.#closed && lane.live;
  }

  async #handle(lane: Lane, message: ConsumeMessage, key: string): Promise<void> {
    // Handed over (or closed) before this message's turn: closing the channel requeues it in place.
    if (!lane.starting || !this.#live(lane)) return;
    const bytes = new Uint8Array(
      message.content.buffer,
      message.content.byteOffset,
      message.content.byteLength,
    );
    for (let attempt = 1; ; attempt++) {
      if (!this.#live(lane)) return; // the broker redelivers it elsewhere
      const work: WorkMessage = {
        topic: this.#topic,
        key,
        bytes,
        attempt,
        redelivered: message.fields.redelivered,
      };
      let failure: unknown;
      try {
        await this.#handler(work);
        this.#settle(lane, message, 'ack');
        return;
      } catch (error) {
        failure = error;
      }
      if (!this.#live(lane)) return;
      this.#options.logger.warn(
        { err: failure, topic: this.#topic, group: this.#group, key, attempt },
        'work handler failed',
      );
      if (attempt >= this.#maxAttempts) {
        await this.#deadLetter(lane, message, key, attempt, errorMessage(failure));
        return;
      }
      const resumed = await this.#manager.timers.sleep(
        cappedExponential(attempt, this.#options.retryBaseMs, this.#options.retryMaxMs),
      );
      if (!resumed) return;
    }
  }

  async #deadLetter(lane: Lane, message: ConsumeMessage, key: string, attempts: number, error: string) {
    try {
      await publishConfirmed(
        this.#manager,
        'dead-letter',
        '',
        deadLetterQueue(this.#topic, this.#group),
        message.content,
        {
          persistent: true,
          headers: {
            [HEADER_KEY]: key,
            [HEADER_TOPIC]: this.#topic,
            [HEADER_GROUP]: this.#group,
            [HEADER_ATTEMPTS]: attempts,
            [HEADER_ERROR]: error,
          },
        },
      );
      this.#settle(lane, message, 'ack');
    } catch (failure) {
      this.#options.logger.error(
        { err: failure, topic: this.#topic, key },
        'dead-lettering failed; requeueing',
      );
      this.#settle(lane, message, 'requeue');
    }
  }

  #settle(lane: Lane, message: ConsumeMessage, outcome: 'ack' | 'requeue'): void {
    if (!this.#live(lane)) return;
    try {
      if (outcome === 'ack') lane.channel.ack(message);
      else lane.channel.nack(message, false, true);
    } catch (error) {
      // The channel closed under us: the broker has already requeued the message.
      this.#options.logger.debug({ err: error }, 'ack on a closed channel ignored');
    }
  }
}

function sameSet(a: ReadonlySet<number>, b: ReadonlySet<number>): boolean {
  if (a.size !== b.size) return false;
  for (const value of a) if (!b.has(value)) return false;
  return true;
}

export function headerString(message: ConsumeMessage, name: string): string | undefined {
  const value: unknown = message.properties.headers?.[name];
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}
