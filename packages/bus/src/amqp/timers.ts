/** Every timer the transport starts goes through here, so close() can clear them all. */
export class TimerSet {
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #cancels = new Set<() => void>();

  /** Resolves after `ms`, or early (with false) when the set is cleared. */
  sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.#cancels.delete(cancel);
        resolve(true);
      }, ms);
      const cancel = () => resolve(false);
      this.#timers.add(timer);
      this.#cancels.add(cancel);
    });
  }

  clear(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const cancel of this.#cancels) cancel();
    this.#cancels.clear();
  }
}
