/**
 * Answers a lifecycle consumer's re-announce request (Delivery.reannounce on this node's route, sent when
 * the consumer found holes in the node's lifecycle stream): the node publishes a snapshot of its current
 * connections and subscriptions (Lifecycle.snapshot), which the consumer puts in place of what it holds.
 *
 * Only requests that name this node count. At most one snapshot per `minIntervalMs`: a request inside the
 * window is answered once at its end, however many came meanwhile (several consumer groups, several
 * instances, a flood of gaps), so a node never republishes its state continuously. Only the bus reaches
 * here: a client's frames never become a Delivery, and its Send to an internal type is refused by the
 * allow-list (client-callable.ts).
 */
import type { switchboard } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { Lifecycle, SnapshotSource } from './lifecycle.js';
import type { EdgeMetrics } from './metrics.js';

export interface ReannounceDeps {
  readonly nodeId: string;
  readonly lifecycle: Lifecycle;
  /** The node's registered connections, walked at the moment of the snapshot. */
  readonly connections: () => Iterable<SnapshotSource>;
  readonly minIntervalMs: number;
  readonly metrics: EdgeMetrics;
  readonly log: Logger;
}

export class Reannouncer {
  readonly #deps: ReannounceDeps;
  #lastAt = Number.NEGATIVE_INFINITY;
  #deferred: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(deps: ReannounceDeps) {
    this.#deps = deps;
  }

  /** A request from the bus: a snapshot now, or once at the end of the rate-limit window. */
  request(request: switchboard.v1.ILifecycleReannounce): void {
    const { nodeId, metrics, log, minIntervalMs } = this.#deps;
    if (this.#closed) return;
    if (request.nodeId !== nodeId) {
      metrics.reannounces.inc({ outcome: 'ignored' });
      log.debug({ asked: request.nodeId }, 're-announce request for another node ignored');
      return;
    }
    const wait = this.#lastAt + minIntervalMs - Date.now();
    if (wait <= 0) {
      this.#snapshot(request);
      return;
    }
    metrics.reannounces.inc({ outcome: 'deferred' });
    this.#deferred ??= setTimeout(() => {
      this.#deferred = undefined;
      this.#snapshot(request);
    }, wait);
    this.#deferred.unref();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#deferred);
    this.#deferred = undefined;
  }

  #snapshot(request: switchboard.v1.ILifecycleReannounce): void {
    if (this.#closed) return;
    this.#lastAt = Date.now();
    const connections = this.#deps.lifecycle.snapshot(this.#deps.connections());
    this.#deps.metrics.reannounces.inc({ outcome: 'published' });
    this.#deps.log.info(
      { requestedBy: request.requestedBy, appliedSeq: Number(request.appliedSeq ?? 0), connections },
      'lifecycle snapshot published on request',
    );
  }
}
