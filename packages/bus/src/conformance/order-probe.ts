/**
 * Watches competing instances of an ordered group: which instance handled which message of which key, and
 * whether two instances ever ran one key at once (an order violation). For tests only.
 */
import type { WorkMessage } from '../transport.js';
import { sleep, text } from './wait.js';

export class OrderProbe<Who extends string> {
  /** Instances whose results count (a closed instance's acks are void). */
  readonly #open = new Set<Who>();
  /** Completed handlings, in completion order, of instances that were open. Message bodies are numbers. */
  readonly handled: { who: Who; key: string; n: number }[] = [];
  /** Key -> the open instance handling it right now. */
  readonly #running = new Map<string, { who: Who }>();
  readonly overlaps: string[] = [];

  /** `pauseMs` draws how long each handling takes. */
  constructor(
    instances: readonly Who[],
    private readonly pauseMs: () => number,
  ) {
    for (const who of instances) this.#open.add(who);
  }

  /** The work handler of instance `who`. */
  handler(who: Who): (m: WorkMessage) => Promise<void> {
    return async (m) => {
      const n = Number(text(m.bytes));
      let mine: { who: Who } | undefined;
      if (this.#open.has(who)) {
        const other = this.#running.get(m.key);
        if (other) this.overlaps.push(`${m.key} ${n}: ${who} started while ${other.who} ran`);
        mine = { who };
        this.#running.set(m.key, mine);
      }
      await sleep(this.pauseMs());
      if (mine && this.#running.get(m.key) === mine) this.#running.delete(m.key);
      if (this.#open.has(who)) this.handled.push({ who, key: m.key, n });
    };
  }

  /** Handlings completed by `who`. */
  by(who: Who): number {
    return this.handled.filter((h) => h.who === who).length;
  }

  /** `who` is about to close: from now on its handlings neither count nor hold a key. */
  closing(who: Who): void {
    this.#open.delete(who);
    for (const [key, holder] of this.#running) if (holder.who === who) this.#running.delete(key);
  }
}
