/**
 * Sends a stream of messages to one destination in call order, for transports whose client would otherwise
 * let concurrent publishes overtake each other (an async step before each send) or flush them after their
 * caller was told they failed (client-side retries and offline queues).
 *
 * One attempt is in flight at a time; whatever is enqueued meanwhile waits and goes out as the next batch,
 * in order (batching also saves round trips under load). Each publish has a deadline (`timeoutMs`):
 * - while it waits (never handed to the client) the deadline rejects it at once, and it is never sent;
 * - once handed to the client it is past the point of no return: it waits for that attempt's outcome
 *   (the client's own request timeout bounds it). Success resolves it even after the deadline; a failure
 *   retries it in place, ahead of everything enqueued later, unless its deadline has passed.
 * So a publish that rejected because the broker was unreachable was either never sent or failed to send;
 * only a request whose answer was lost with the connection may still have landed (no client can know):
 * such a rejection says `maybeDelivered`.
 */
import { BusClosedError, type BusError, BusUnavailableError } from './errors.js';

export interface OrderedSenderOptions<T> {
  /** How long a publish may wait for an unreachable broker. */
  readonly timeoutMs: number;
  /** Approximate bytes per batch; a single larger item goes alone. */
  readonly maxBatchBytes: number;
  /** Pause after a transient failure before the next attempt. */
  readonly retryPauseMs: number;
  /** Runs before each attempt (connect, create a topic); items stay cancellable while it runs. */
  readonly prepare?: () => Promise<void>;
  /**
   * One attempt at sending `items` in this order. Resolves when the broker accepted all of them, or to one
   * entry per item (undefined: accepted; else that item's error). Throws when the attempt failed as a whole.
   */
  readonly send: (items: readonly T[]) => Promise<readonly unknown[] | undefined>;
  readonly sizeOf: (item: T) => number;
  /** Whether trying `error` again may succeed (no connection, timeouts, leader moves). */
  readonly isTransient: (error: unknown) => boolean;
  /** The error a publish rejects with; `expired` when its deadline passed. */
  readonly toError: (error: unknown, expired: boolean) => BusError;
  /** Waits `ms` (a transport's timer set, so close() cuts it short). */
  readonly delay: (ms: number) => Promise<void>;
  /**
   * Retry what failed transiently as the same batch, without the publishes issued meanwhile (default false:
   * they join it), and give it up as a whole once one of it is past its deadline (rejected, maybe delivered).
   * For a client that deduplicates by the batch it sends (Kafka's idempotent producer: the broker drops a
   * batch whose sequence numbers it already has only when it is the very same batch).
   */
  readonly retryFailedAlone?: boolean;
}

interface Entry<T> {
  readonly item: T;
  readonly deadline: number;
  /** Sent on its own after its batch failed permanently, so only the culprit is rejected. */
  solo: boolean;
  /** Handed to the client at least once: a failure now leaves the outcome unknown (it may have landed). */
  attempted: boolean;
  /** Put back after a transient failure of its batch (see `retryFailedAlone`). */
  failed: boolean;
  settled: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  resolve(): void;
  reject(error: Error): void;
}

export class OrderedSender<T> {
  readonly #options: OrderedSenderOptions<T>;
  readonly #waiting: Entry<T>[] = [];
  #running = false;
  #closed = false;
  #lastError: unknown = new Error('the broker did not answer');

  constructor(options: OrderedSenderOptions<T>) {
    this.#options = options;
  }

  /** Resolves once the broker accepted `item`; rejects with a BusError. */
  send(item: T): Promise<void> {
    if (this.#closed) return Promise.reject(new BusClosedError());
    return new Promise<void>((resolve, reject) => {
      const entry: Entry<T> = {
        item,
        deadline: Date.now() + this.#options.timeoutMs,
        solo: false,
        attempted: false,
        failed: false,
        settled: false,
        timer: undefined,
        resolve,
        reject,
      };
      entry.timer = setTimeout(() => this.#expire(entry), this.#options.timeoutMs);
      this.#waiting.push(entry);
      void this.#run();
    });
  }

  /** Rejects every waiting publish with BusClosedError; an attempt in flight settles with its outcome. */
  close(): void {
    this.#closed = true;
    for (const entry of this.#waiting.splice(0)) this.#settle(entry, new BusClosedError());
  }

  /** The deadline of a waiting publish: it was never sent, so rejecting it is final. */
  #expire(entry: Entry<T>): void {
    entry.timer = undefined;
    const index = this.#waiting.indexOf(entry);
    if (index < 0) return; // in flight: its attempt decides
    this.#waiting.splice(index, 1);
    this.#settle(entry, this.#options.toError(this.#lastError, true));
  }

  async #run(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#waiting.length > 0 && !this.#closed) {
        if (!(await this.#prepare())) continue;
        const batch = this.#takeBatch();
        if (batch.length === 0) continue;
        const retry = await this.#attempt(batch);
        if (retry) await this.#options.delay(this.#options.retryPauseMs);
      }
    } finally {
      this.#running = false;
    }
    if (this.#closed) this.close();
  }

  /** True when the destination is ready; on failure the waiting publishes keep their deadlines. */
  async #prepare(): Promise<boolean> {
    if (!this.#options.prepare) return true;
    try {
      await this.#options.prepare();
      return true;
    } catch (error) {
      if (this.#options.isTransient(error)) {
        this.#lastError = error;
        await this.#options.delay(this.#options.retryPauseMs);
      } else {
        for (const entry of this.#waiting.splice(0)) this.#settle(entry, this.#options.toError(error, false));
      }
      return false;
    }
  }

  #takeBatch(): Entry<T>[] {
    const batch: Entry<T>[] = [];
    let bytes = 0;
    const failedOnly = this.#options.retryFailedAlone === true && this.#waiting[0]?.failed === true;
    for (const entry of this.#waiting) {
      const size = this.#options.sizeOf(entry.item);
      if (failedOnly && !entry.failed) break;
      if (batch.length > 0 && (entry.solo || batch[0]!.solo || bytes + size > this.#options.maxBatchBytes))
        break;
      batch.push(entry);
      bytes += size;
    }
    this.#waiting.splice(0, batch.length);
    return batch;
  }

  /** Sends one batch; returns true when a transient failure put some of it back (pause before retrying). */
  async #attempt(batch: Entry<T>[]): Promise<boolean> {
    let outcome: readonly unknown[] | undefined;
    for (const entry of batch) {
      entry.attempted = true;
      entry.failed = false;
    }
    try {
      outcome = await this.#options.send(batch.map((entry) => entry.item));
    } catch (error) {
      outcome = batch.map(() => error);
      if (!this.#options.isTransient(error) && batch.length > 1) {
        // One bad item must not fail its neighbours: send each alone, still in order.
        for (const entry of batch) entry.solo = true;
        this.#waiting.unshift(...batch);
        return false;
      }
    }
    const again: Entry<T>[] = [];
    const now = Date.now();
    const failedTransiently = (i: number) => {
      const error = outcome?.[i];
      return error !== undefined && error !== null && this.#options.isTransient(error);
    };
    // Retried as the same batch, or given up as a whole once one of it is past its deadline.
    const givenUp =
      this.#options.retryFailedAlone === true &&
      batch.some((entry, i) => failedTransiently(i) && now >= entry.deadline);
    for (const [i, entry] of batch.entries()) {
      const error = outcome?.[i];
      if (error === undefined || error === null) this.#settle(entry);
      else if (this.#closed) this.#settle(entry, new BusClosedError());
      else if (!this.#options.isTransient(error)) this.#settle(entry, this.#options.toError(error, false));
      else if (givenUp || now >= entry.deadline) this.#settle(entry, this.#options.toError(error, true));
      else {
        this.#lastError = error;
        entry.failed = true;
        again.push(entry);
      }
    }
    this.#waiting.unshift(...again);
    return again.length > 0;
  }

  #settle(entry: Entry<T>, error?: Error): void {
    if (entry.settled) return;
    entry.settled = true;
    if (error instanceof BusUnavailableError && entry.attempted) error.maybeDelivered = true;
    if (entry.timer) clearTimeout(entry.timer);
    if (error) entry.reject(error);
    else entry.resolve();
  }
}
