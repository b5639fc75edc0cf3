/**
 * Reference-counted interest of one node: the transport is asked to route a channel/user to the node when
 * its first local subscriber arrives and to stop when the last one leaves. Changes per route are applied
 * in order, so a quick subscribe/unsubscribe/subscribe never leaves the broker binding in the wrong state.
 */
import { routeKey } from './routes.js';
import type { NodeSubscription, Route } from './transport.js';

export class InterestIndex {
  readonly #node: NodeSubscription;
  readonly #counts = new Map<string, number>();
  readonly #pending = new Map<string, Promise<void>>();

  constructor(node: NodeSubscription) {
    this.#node = node;
  }

  /** Local subscriber count of a route. */
  count(route: Route): number {
    return this.#counts.get(routeKey(route)) ?? 0;
  }

  has(route: Route): boolean {
    return this.count(route) > 0;
  }

  /** Number of routes with local interest (= broker bindings this node holds, besides its own). */
  get size(): number {
    return this.#counts.size;
  }

  /** Adds one local subscriber; resolves once the broker routes `route` to this node. */
  acquire(route: Route): Promise<void> {
    const key = routeKey(route);
    const count = (this.#counts.get(key) ?? 0) + 1;
    this.#counts.set(key, count);
    if (count === 1) return this.#chain(key, () => this.#node.addInterest(route));
    return this.#pending.get(key) ?? Promise.resolve();
  }

  /** Removes one local subscriber; the broker binding goes when the last one leaves. */
  release(route: Route): Promise<void> {
    const key = routeKey(route);
    const count = (this.#counts.get(key) ?? 0) - 1;
    if (count < 0) return Promise.resolve();
    if (count > 0) {
      this.#counts.set(key, count);
      return Promise.resolve();
    }
    this.#counts.delete(key);
    return this.#chain(key, async () => {
      // A subscriber may have come back while earlier changes were applied.
      if (!this.#counts.has(key)) await this.#node.removeInterest(route);
    });
  }

  #chain(key: string, change: () => Promise<void>): Promise<void> {
    const previous = this.#pending.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(change);
    const tracked = next.finally(() => {
      if (this.#pending.get(key) === tracked) this.#pending.delete(key);
    });
    this.#pending.set(key, tracked);
    return next;
  }
}
