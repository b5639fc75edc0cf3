/**
 * Turns scattered kafkajs signals (consumer crashes, failed and successful sends, group joins) into the
 * transport's `disconnected` / `reconnected` events, emitted once per transition and never after close.
 */
import type { TransportEvent } from '../transport.js';

export class ConnectionState {
  #up = true;
  #closed = false;
  readonly #emit: (event: TransportEvent) => void;

  constructor(emit: (event: TransportEvent) => void) {
    this.#emit = emit;
  }

  get connected(): boolean {
    return this.#up;
  }

  down(error?: Error): void {
    if (this.#closed || !this.#up) return;
    this.#up = false;
    this.#emit(error ? { type: 'disconnected', error } : { type: 'disconnected' });
  }

  up(): void {
    if (this.#closed || this.#up) return;
    this.#up = true;
    this.#emit({ type: 'reconnected' });
  }

  close(): void {
    this.#closed = true;
  }
}
