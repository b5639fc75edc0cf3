/**
 * Runs tasks one at a time per key, in arrival order, while different keys run concurrently. With a
 * single active consumer per shard queue and prefetch > 1, this is what keeps one key's messages from
 * overlapping inside the instance.
 */
export class KeySerializer {
  readonly #tails = new Map<string, Promise<void>>();

  run(key: string, task: () => Promise<void>): Promise<void> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const next = previous.then(task);
    const tail = next.catch(() => undefined);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return next;
  }
}
