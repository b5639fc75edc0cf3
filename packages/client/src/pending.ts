/** Commands waiting for their answer, keyed by ClientFrame.id (a uint32, never 0). */
import type { ServerFrame } from '@switchboard/protocol/client';
import { TimeoutError } from './errors.js';

interface Entry {
  resolve(frame: ServerFrame): void;
  reject(error: unknown): void;
  timer: ReturnType<typeof setTimeout>;
}

export class PendingCommands {
  #lastId = 0;
  readonly #entries = new Map<number, Entry>();

  /** A fresh command id; ids are not reused within a client's lifetime (until uint32 wraps). */
  nextId(): number {
    this.#lastId = this.#lastId >= 0xffffffff ? 1 : this.#lastId + 1;
    return this.#lastId;
  }

  get size(): number {
    return this.#entries.size;
  }

  has(id: number): boolean {
    return this.#entries.has(id);
  }

  /** Waits for the answer to command `id`; rejects with TimeoutError after `timeoutMs`. */
  wait(id: number, timeoutMs: number, what: string): Promise<ServerFrame> {
    return new Promise<ServerFrame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#entries.delete(id);
        reject(new TimeoutError(`${what} after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#entries.set(id, { resolve, reject, timer });
    });
  }

  resolve(id: number, frame: ServerFrame): boolean {
    const entry = this.#take(id);
    entry?.resolve(frame);
    return entry !== undefined;
  }

  reject(id: number, error: unknown): boolean {
    const entry = this.#take(id);
    entry?.reject(error);
    return entry !== undefined;
  }

  rejectAll(error: () => unknown): void {
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    for (const entry of entries) {
      clearTimeout(entry.timer);
      entry.reject(error());
    }
  }

  #take(id: number): Entry | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    this.#entries.delete(id);
    clearTimeout(entry.timer);
    return entry;
  }
}
