/**
 * Every timer a transport starts goes through one TimerSet, so close() can clear them all: pending waits
 * resolve at once, races time out, intervals stop, and nothing starts afterwards. Shared by the AMQP and
 * Kafka transports and the Redis work consumer.
 */
export class TimerSet {
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #wakers = new Set<() => void>();
  #cleared = false;

  /** Resolves after `ms`, or at once when the set is cleared. */
  async delay(ms: number): Promise<void> {
    await this.sleep(ms);
  }

  /**
   * Resolves true after `ms`, or false at once when the set is cleared (a retry loop's cue to stop).
   * `onWake` gets a function that ends this pause early (false), for a loop that also waits for an event
   * (the Redis ordered consumer sleeps until a full shard makes room).
   */
  sleep(ms: number, onWake?: (wake: () => void) => void): Promise<boolean> {
    if (this.#cleared) return Promise.resolve(false);
    return new Promise((resolve) => {
      const end = (elapsed: boolean) => {
        clearTimeout(timer);
        this.#timers.delete(timer);
        this.#wakers.delete(wake);
        resolve(elapsed);
      };
      const wake = () => end(false);
      const timer = setTimeout(() => end(true), ms);
      this.#timers.add(timer);
      this.#wakers.add(wake);
      onWake?.(wake);
    });
  }

  /** Runs `tick` every `ms` until the returned stop function is called or the set is cleared. */
  every(ms: number, tick: () => void): () => void {
    if (this.#cleared) return () => undefined;
    const timer = setInterval(tick, ms);
    this.#timers.add(timer);
    return () => {
      clearInterval(timer);
      this.#timers.delete(timer);
    };
  }

  /** Settles like `promise`, or resolves to `onTimeout()` after `ms` (or on clear), whichever comes first. */
  race<T, U>(promise: Promise<T>, ms: number, onTimeout: () => U): Promise<T | U> {
    if (this.#cleared) return Promise.resolve(onTimeout());
    let stop: () => void = () => undefined;
    const timedOut = new Promise<U>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#timers.delete(timer);
        this.#wakers.delete(wake);
        resolve(onTimeout());
      };
      const timer = setTimeout(wake, ms);
      this.#timers.add(timer);
      this.#wakers.add(wake);
      stop = () => {
        clearTimeout(timer);
        this.#timers.delete(timer);
        this.#wakers.delete(wake);
      };
    });
    return Promise.race([promise.finally(() => stop()), timedOut]);
  }

  get size(): number {
    return this.#timers.size;
  }

  /** Clears every timer; pending delays resolve and pending races time out now. Later calls do nothing. */
  clear(): void {
    this.#cleared = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const wake of [...this.#wakers]) wake();
  }
}
