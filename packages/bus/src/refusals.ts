/**
 * Loud refusal of a delivery a node cannot route (docs/bus-contract.md): every refusal is reported as a
 * `delivery-refused` transport event (the edge counts it in its dropped-frames metric), and logged as a
 * warning at most once per interval per node, with the number refused since the last warning, so a
 * misconfigured publisher is visible without flooding the log.
 */
import type { TransportEvent } from './transport.js';

/** Warnings about refused deliveries: at most one per node per this many ms. */
export const REFUSAL_WARN_INTERVAL_MS = 60_000;

export interface RefusalLogger {
  warn(obj: object, msg?: string): void;
}

export class DeliveryRefusals {
  readonly #node: string;
  readonly #emit: (event: TransportEvent) => void;
  readonly #logger: RefusalLogger;
  readonly #intervalMs: number;
  readonly #now: () => number;
  #lastWarnAt = Number.NEGATIVE_INFINITY;
  #unwarned = 0;

  constructor(
    node: string,
    emit: (event: TransportEvent) => void,
    logger: RefusalLogger,
    intervalMs = REFUSAL_WARN_INTERVAL_MS,
    now: () => number = Date.now,
  ) {
    this.#node = node;
    this.#emit = emit;
    this.#logger = logger;
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /** Reports one delivery dropped because no route could be found; `detail` says what it carried. */
  refuse(detail: Record<string, unknown>): void {
    this.#unwarned++;
    try {
      this.#emit({ type: 'delivery-refused', node: this.#node, reason: 'no_route' });
    } catch {
      // A throwing listener must not stop the node's inbox.
    }
    const now = this.#now();
    if (now - this.#lastWarnAt < this.#intervalMs) return;
    this.#lastWarnAt = now;
    this.#logger.warn(
      { node: this.#node, refused: this.#unwarned, ...detail },
      'delivery refused: no route (no valid route header, and the body is not a Delivery with a target); ' +
        'see docs/bus-contract.md',
    );
    this.#unwarned = 0;
  }
}
