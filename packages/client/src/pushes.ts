/**
 * User notifications. Delivery upstream is at least once, so a notification may come again (after a
 * reconnect, or when an ack was lost with its socket): ids seen recently are remembered in a bounded
 * window and a redelivery is not shown to the app again. When the app already acked it, the ack is
 * sent again so that the server stops redelivering.
 */
import type { switchboard } from '@switchboard/protocol/client';
import { AckBuffer } from './acks.js';
import { type PushNotification, toPush } from './types.js';

export class Pushes {
  readonly #acks: AckBuffer;
  /** Recent push ids, oldest first, with whether the app acked them. */
  readonly #seen = new Map<string, boolean>();

  constructor(
    private readonly window: number,
    flushTo: (ids: string[]) => boolean,
  ) {
    this.#acks = new AckBuffer(flushTo);
  }

  /** The notification to hand to the app, or undefined for a redelivery within the window. */
  receive(p: switchboard.v1.IPush): PushNotification | undefined {
    const push = toPush(p);
    if (!push.id || this.window <= 0) return push;
    const acked = this.#seen.get(push.id);
    if (acked !== undefined) {
      if (acked) this.#acks.add([push.id]);
      return undefined;
    }
    this.#seen.set(push.id, false);
    if (this.#seen.size > this.window) this.#seen.delete(this.#seen.keys().next().value as string);
    return push;
  }

  /** Batches acks (one Ack frame per tick, held until connected). */
  ack(ids: readonly string[]): void {
    for (const id of ids) if (this.#seen.has(id)) this.#seen.set(id, true);
    this.#acks.add(ids);
  }

  /** Sends held acks (on connect). */
  flush(): void {
    this.#acks.flush();
  }
}
