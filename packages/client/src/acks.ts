/**
 * Acks of user notifications. Ids are collected and sent in one Ack frame per tick; while the client
 * is not connected they wait for the next connection (the server keeps unacked notifications in the
 * user's inbox and redelivers them, so an ack lost with a socket only costs a duplicate).
 */
export class AckBuffer {
  readonly #ids = new Set<string>();
  #scheduled = false;

  constructor(private readonly flushTo: (ids: string[]) => boolean) {}

  get size(): number {
    return this.#ids.size;
  }

  add(ids: readonly string[]): void {
    for (const id of ids) if (id) this.#ids.add(id);
    if (this.#ids.size === 0 || this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.flush();
    });
  }

  /** Sends every buffered id; keeps them when the client cannot send right now. */
  flush(): void {
    if (this.#ids.size === 0) return;
    const ids = [...this.#ids];
    if (this.flushTo(ids)) for (const id of ids) this.#ids.delete(id);
  }

  clear(): void {
    this.#ids.clear();
  }
}
