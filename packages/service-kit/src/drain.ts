/**
 * In-flight bookkeeping for graceful stop: running handlers are tracked until they settle; messages that
 * arrive while draining are parked (never started, never acked) and released once the consumers are closed,
 * by which time the broker has taken them back for another instance.
 */
export class Drain {
  readonly #running = new Set<Promise<unknown>>();
  readonly #parked: (() => void)[] = [];
  #draining = false;

  get draining(): boolean {
    return this.#draining;
  }

  get running(): number {
    return this.#running.size;
  }

  /** Runs `task`, tracked until it settles. */
  track<T>(task: () => Promise<T>): Promise<T> {
    const promise = task();
    this.#running.add(promise);
    const forget = () => this.#running.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  /** Resolves when `release()` runs; the transport ignores the ack of a closed consumer. */
  park(): Promise<void> {
    return new Promise((resolve) => this.#parked.push(resolve));
  }

  /** From now on `draining` is true: callers park new work instead of starting it. */
  stopAccepting(): void {
    this.#draining = true;
  }

  /** Stops new work and waits up to `timeoutMs` for running tasks. Resolves false on timeout. */
  async drain(timeoutMs: number): Promise<boolean> {
    this.#draining = true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      while (this.#running.size > 0) {
        const settled = Promise.allSettled([...this.#running]).then(() => true as const);
        if (!(await Promise.race([settled, timedOut]))) return false;
      }
      return true;
    } finally {
      clearTimeout(timer);
    }
  }

  release(): void {
    for (const resolve of this.#parked.splice(0)) resolve();
  }
}
