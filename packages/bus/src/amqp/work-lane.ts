/**
 * One consumer of a consumeWork() registration on a channel of its own: the unordered group's queue, or one
 * shard queue an ordered instance owns. Its flags are what the delivery code (work-delivery.ts) asks before
 * starting a handler and before acking, once the lane has been replaced, handed over or closed; its
 * in-flight set is what a shard hand-over (ordered-work.ts) waits for.
 */
import type { Channel } from 'amqplib';
import { KeySerializer } from './key-serializer.js';
import type { Session } from './session.js';

export class WorkLane {
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
