/**
 * A publisher at a steady rate through the HTTP API, as an application backend publishes: one request per
 * tick whether or not the earlier ones were answered (a broker outage must not slow the rate down, it must
 * show up as refusals). Message `n` carries `{ n }`; each request's answer is kept: 202 = confirmed (the
 * broker has it), 503 = refused (it must never show up later), 504 = outcome unknown (the broker connection
 * died before it confirmed: it may or may not show up), anything else breaks the API's contract.
 */

import { sleep } from '../support/wait.js';
import type { Topology } from './harness.js';

export interface Sent {
  readonly n: number;
  readonly sentAt: number;
  /** HTTP status; 0 while unanswered or when the request itself failed. */
  status: number;
  answeredAt: number;
  /** For an answer other than 202: the body or the request's error. */
  detail?: string;
}

export class SteadyPublisher {
  readonly sent: Sent[] = [];
  #running = false;
  #loop: Promise<void> | undefined;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(
    readonly t: Topology,
    readonly channel: string,
    readonly type: string,
    readonly perSecond: number,
  ) {}

  start(): void {
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops sending and resolves once every request was answered. */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
    await Promise.all(this.#inFlight);
  }

  confirmed(): Sent[] {
    return this.sent.filter((s) => s.status === 202);
  }

  refused(): Sent[] {
    return this.sent.filter((s) => s.status === 503);
  }

  /** 504 SB_ERR_BUS_OUTCOME_UNKNOWN: written to a broker connection that died before it confirmed. */
  unknown(): Sent[] {
    return this.sent.filter((s) => s.status === 504);
  }

  /** Answered with none of 202, 503, 504 (or not at all: the request failed). */
  other(): Sent[] {
    return this.sent.filter((s) => s.answeredAt > 0 && ![202, 503, 504].includes(s.status));
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  async #run(): Promise<void> {
    const everyMs = 1000 / this.perSecond;
    let due = Date.now();
    while (this.#running) {
      const now = Date.now();
      if (now < due) {
        await sleep(due - now);
        continue;
      }
      // A stalled event loop does not turn into a burst: at most a few ticks are caught up.
      due = Math.max(due + everyMs, now - 5 * everyMs);
      this.#publish(this.sent.length + 1);
    }
  }

  #publish(n: number): void {
    const entry: Sent = { n, sentAt: Date.now(), status: 0, answeredAt: 0 };
    this.sent.push(entry);
    const request = this.t
      .api('POST', '/v1/publish', { channel: this.channel, type: this.type, data: { n }, durable: true })
      .then(
        (r) => {
          entry.status = r.status;
          if (r.status !== 202) entry.detail = JSON.stringify(r.json).slice(0, 200);
        },
        (error: unknown) => {
          entry.detail = String(error).slice(0, 200);
        },
      )
      .finally(() => {
        entry.answeredAt = Date.now();
        this.#inFlight.delete(request);
      });
    this.#inFlight.add(request);
  }
}
