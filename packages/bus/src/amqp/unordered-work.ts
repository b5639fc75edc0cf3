/**
 * The consumer of an unordered group (`ordered: false`): one channel consuming the group queue, with the
 * instance's whole prefetch. Closing the channel hands every unacked message back to the broker, which
 * redelivers it to another instance; on a new connection a new lane replaces the old one.
 */
import type { Session } from './session.js';
import { declareWorkGroup } from './topology.js';
import { WorkLane } from './work-lane.js';
import { queueSettings, type WorkRegistration } from './work-registration.js';

const ignore = () => undefined;

export class UnorderedWork {
  readonly #work: WorkRegistration;
  /** The lane consuming the group queue on the current connection. */
  #lane: WorkLane | undefined;
  #session: Session | undefined;

  constructor(work: WorkRegistration) {
    this.#work = work;
  }

  /** An unordered group owns no shards. */
  get shards(): number[] {
    return [];
  }

  async attach(session: Session): Promise<void> {
    const work = this.#work;
    if (work.closed() || this.#session === session) return;
    const channel = await session.openChannel(`work ${work.topic}/${work.group}`);
    const lane = new WorkLane(channel, session);
    // Set before consuming: deliveries may arrive before consume() resolves.
    const previous = this.#lane;
    this.#lane = lane;
    try {
      const queues = await declareWorkGroup(
        channel,
        work.topic,
        work.group,
        false,
        work.options.shards,
        queueSettings(work, session),
      );
      // Per consumer (global = false): quorum queues refuse a channel-wide limit, and the channel has only
      // this one consumer, so the limit still applies to the whole instance.
      await channel.prefetch(work.prefetch, false);
      for (const queue of queues) {
        await channel.consume(queue, (message) => work.delivery.onMessage(lane, message), { noAck: false });
      }
    } catch (error) {
      lane.stop();
      if (this.#lane === lane) this.#lane = previous;
      await channel.close().catch(ignore);
      throw error;
    }
    if (work.closed()) {
      lane.stop();
      await channel.close().catch(ignore);
      return;
    }
    previous?.stop();
    this.#session = session;
  }

  /** Called once, by WorkConsumer.close(): closing the channel without acking requeues what is in flight. */
  async close(): Promise<void> {
    const lane = this.#lane;
    this.#lane = undefined;
    lane?.stop();
    await lane?.channel.close().catch(ignore);
  }
}
