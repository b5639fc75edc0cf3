/**
 * The timers of one Redis work consumer, so that close() ends them all at once: the heartbeat interval, and
 * the pauses of its read loops and retries, which resolve early at close (or when woken: ordered-work.ts
 * wakes its loop as soon as a full shard makes room).
 */
export class ConsumerTimers {
  #closed = false;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #sleepers = new Set<() => void>();

  /** Calls `tick` every `ms` until close(). */
  every(ms: number, tick: () => void): void {
    const interval = setInterval(tick, ms);
    this.#timers.add(interval);
  }

  /** Resolves after `ms` or at close, whichever is first; `onWake` gets the function that ends it early. */
  sleep(ms: number, onWake?: (wake: () => void) => void): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#timers.delete(timer);
        this.#sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#timers.add(timer);
      this.#sleepers.add(wake);
      onWake?.(wake);
    });
  }

  /** Clears every timer and ends every pause; later sleeps resolve at once. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers.clear();
    for (const wake of this.#sleepers) wake();
  }
}
