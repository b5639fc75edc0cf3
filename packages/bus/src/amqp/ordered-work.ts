/**
 * The consumers of an ordered group (the default): the `shards` shard queues are shared out between the
 * group's live instances (membership-channel.ts hears who they are; membership.ts: rendezvous hashing with
 * bounded load), and an instance consumes only the shards it owns, each on its own channel (a lane). When a
 * shard moves away the instance stops starting handlers for it, waits for the running ones (which ack), then
 * closes the shard's channel: the broker puts the unstarted messages back at their original positions and
 * only then activates the next consumer, all in one step of the queue process, so the new owner continues
 * exactly where the old one stopped and per-key order holds during the move. The shard queues keep
 * x-single-active-consumer: an instance that acquires a shard before the old owner let go (views not
 * converged yet) waits as a standby, so at most one instance ever receives a shard's messages. A dead
 * instance's connection closes its channels, the broker requeues its unacked messages, and the others take
 * its shards when its lease runs out (at once when it closes cleanly: it announces that it leaves).
 */
import { assignShards, TICK_MS } from './membership.js';
import { MembershipChannel } from './membership-channel.js';
import type { Session } from './session.js';
import { declareWorkGroup, shardQueue } from './topology.js';
import { WorkLane } from './work-lane.js';
import { queueSettings, type WorkRegistration } from './work-registration.js';

const ignore = () => undefined;

export class OrderedWork {
  readonly #work: WorkRegistration;
  readonly #membership: MembershipChannel;
  /** Shard -> lane of every shard this instance consumes (or is acquiring, or handing over). */
  readonly #lanes = new Map<number, WorkLane>();
  #owned = new Set<number>();
  /** Shards with an acquire/release running, and those to look at again when it ends. */
  readonly #syncing = new Set<number>();
  readonly #dirty = new Set<number>();
  #session: Session | undefined;
  #ticker: NodeJS.Timeout | undefined;

  constructor(work: WorkRegistration, member: string) {
    this.#work = work;
    this.#membership = new MembershipChannel(work, member, () => this.#reconcile());
  }

  /** The shards this instance currently consumes; for tests and metrics. */
  get shards(): number[] {
    return [...this.#lanes.keys()].sort((x, y) => x - y);
  }

  async attach(session: Session): Promise<void> {
    const work = this.#work;
    if (work.closed() || this.#session === session) return;
    const membership = await session.openChannel(`members ${work.topic}/${work.group}`);
    try {
      await declareWorkGroup(
        membership,
        work.topic,
        work.group,
        true,
        work.options.shards,
        queueSettings(work, session),
      );
      await this.#membership.listen(membership);
    } catch (error) {
      await membership.close().catch(ignore);
      throw error;
    }
    if (work.closed()) {
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
    this.#membership.use(session, membership);
    this.#membership.announce('alive');
    this.#reconcile();
    this.#ticker ??= setInterval(() => this.#tick(), TICK_MS);
  }

  /** Called once, by WorkConsumer.close(). */
  async close(): Promise<void> {
    clearInterval(this.#ticker);
    this.#ticker = undefined;
    // Tell the others first, so they take the shards over as soon as our channels close below.
    this.#membership.announce('leaving');
    const lanes = [...this.#lanes.values()];
    this.#lanes.clear();
    for (const lane of lanes) lane.stop();
    // Closing the channels without acking returns in-flight messages to their queues.
    await Promise.all(lanes.map((lane) => lane.channel.close().catch(ignore)));
    await this.#membership.close();
  }

  #tick(): void {
    const session = this.#session;
    if (this.#work.closed() || !session?.alive) return;
    this.#membership.tick(session);
    // Every tick, not only on changes: this also retries an acquire that failed.
    this.#reconcile();
  }

  /** Recomputes the shards this instance owns and starts moving every shard that is not where it should be. */
  #reconcile(): void {
    const { options, topic, group } = this.#work;
    if (this.#work.closed()) return;
    const self = this.#membership.self;
    const owners = assignShards(this.#membership.live(), options.shards);
    const owned = new Set<number>();
    owners.forEach((owner, shard) => {
      if (owner === self) owned.add(shard);
    });
    if (!sameSet(owned, this.#owned)) {
      options.logger.debug(
        { topic, group, member: self, shards: [...owned] },
        'ordered group shards reassigned',
      );
      this.#owned = owned;
      const prefetch = this.#shardPrefetch();
      for (const lane of this.#lanes.values()) {
        if (lane.live) lane.channel.prefetch(prefetch, false).catch(ignore);
      }
    }
    for (let shard = 0; shard < options.shards; shard++) {
      if (owned.has(shard) !== this.#lanes.has(shard)) this.#kick(shard);
    }
  }

  /** The instance's prefetch split over the shards it owns (each shard has its own channel). */
  #shardPrefetch(): number {
    return Math.max(1, Math.ceil(this.#work.prefetch / Math.max(1, this.#owned.size)));
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
        } while (this.#dirty.has(shard) && !this.#work.closed());
      } catch (error) {
        const { topic, group } = this.#work;
        this.#work.options.logger.warn(
          { err: error, topic, group, shard },
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
    if (this.#work.closed() || !session?.alive) return;
    const lane = this.#lanes.get(shard);
    const wanted = this.#owned.has(shard);
    if (wanted && !lane) await this.#acquire(session, shard);
    else if (!wanted && lane) await this.#release(shard, lane);
  }

  /** Subscribes to the shard queue on a channel of its own (a standby until the previous owner lets go). */
  async #acquire(session: Session, shard: number): Promise<void> {
    const { topic, group, delivery } = this.#work;
    const channel = await session.openChannel(`work ${topic}/${group} shard ${shard}`);
    const lane = new WorkLane(channel, session);
    channel.once('close', () => {
      lane.stop();
      if (this.#lanes.get(shard) === lane) this.#lanes.delete(shard);
    });
    this.#lanes.set(shard, lane);
    try {
      await channel.prefetch(this.#shardPrefetch(), false);
      await channel.consume(
        shardQueue(topic, group, shard),
        (message) =>
          delivery.onMessage(lane, message, shard, () => {
            if (this.#lanes.get(shard) === lane) void this.#release(shard, lane);
          }),
        { noAck: false },
      );
    } catch (error) {
      lane.stop();
      if (this.#lanes.get(shard) === lane) this.#lanes.delete(shard);
      await channel.close().catch(ignore);
      throw error;
    }
    if (this.#work.closed() || this.#session !== session) {
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
  async #release(shard: number, lane: WorkLane): Promise<void> {
    lane.starting = false;
    await Promise.allSettled([...lane.inflight]);
    lane.live = false;
    if (this.#lanes.get(shard) === lane) this.#lanes.delete(shard);
    await lane.channel.close().catch(ignore);
  }
}

function sameSet(a: ReadonlySet<number>, b: ReadonlySet<number>): boolean {
  if (a.size !== b.size) return false;
  for (const value of a) if (!b.has(value)) return false;
  return true;
}
