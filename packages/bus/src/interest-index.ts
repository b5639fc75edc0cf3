/**
 * Reference-counted interest of one node: the transport is asked to route a channel/user to the node when
 * its first local subscriber arrives and to stop when the last one leaves. Changes per route are applied
 * in order, so a quick subscribe/unsubscribe/subscribe never leaves the broker binding in the wrong state.
 *
 * New routes are batched: a connect storm signs in hundreds of users a second, each with a user route.
 * Routes that appear while a batch is being applied wait for it and then go together as the next batch —
 * one `addInterests` call (one broker round trip) at a time, as many routes as arrived meanwhile — and
 * each acquirer resolves once its batch is bound. An idle index applies a new route on the next
 * `setImmediate`, with whatever else arrived in that turn.
 *
 * `minBatchIntervalMs` spaces batches out under load: a batch starts at least that long after the one
 * before it started. A broker that answers in a fraction of a millisecond otherwise turns a storm into
 * batches of a route or two, a socket write to the broker and a round trip each (issue 17: ~7,300 writes
 * to the broker for 10,000 JWT connects; binding 10,000 routes cost the edge 88 µs a route in batches of
 * 5, 22 µs in batches of 500). An index that has been idle for the interval still applies a new route at
 * the next turn.
 */
import { routeKey } from './routes.js';
import type { NodeSubscription, Route } from './transport.js';

interface Batch {
  readonly routes: Route[];
  readonly applied: Promise<void>;
  settle(error?: unknown): void;
}

function newBatch(): Batch {
  let settle: (error?: unknown) => void = () => undefined;
  const applied = new Promise<void>((resolve, reject) => {
    settle = (error) => (error === undefined ? resolve() : reject(error));
  });
  // Each acquirer gets `applied` and handles it; this keeps a batch nobody waits for any more quiet.
  applied.catch(() => undefined);
  return { routes: [], applied, settle };
}

export class InterestIndex {
  readonly #node: NodeSubscription;
  readonly #counts = new Map<string, number>();
  readonly #pending = new Map<string, Promise<void>>();
  /** New routes waiting for the next batch. */
  #open: Batch | undefined;
  /** A batch is being applied: the open one waits for it. */
  #applying = false;

  /** Routes whose last subscriber left less than releaseDelayMs ago: still bound, removal pending. */
  readonly #releasing = new Map<string, NodeJS.Timeout>();
  readonly #releaseDelayMs: number;
  readonly #minBatchIntervalMs: number;
  /** When the last batch started (performance.now()). */
  #lastBatchAt = Number.NEGATIVE_INFINITY;

  /**
   * `releaseDelayMs` (default 0): how long a route stays bound after its last local subscriber left. A
   * client that reconnects within it (a reconnect storm, a handshake timeout and retry) finds its route
   * still bound — no unbind and re-bind round trips for the broker; until then the node receives that
   * route's deliveries and drops them (nobody local wants them).
   */
  constructor(
    node: NodeSubscription,
    options: { releaseDelayMs?: number; minBatchIntervalMs?: number } = {},
  ) {
    this.#node = node;
    this.#releaseDelayMs = options.releaseDelayMs ?? 0;
    this.#minBatchIntervalMs = options.minBatchIntervalMs ?? 0;
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
    if (count > 1) return this.#pending.get(key) ?? Promise.resolve();
    const releasing = this.#releasing.get(key);
    if (releasing) {
      // Back before its removal: the binding never went.
      clearTimeout(releasing);
      this.#releasing.delete(key);
      return this.#pending.get(key) ?? Promise.resolve();
    }
    // A change of this route still under way (a release) goes first: chain behind it, unbatched.
    if (this.#pending.has(key)) return this.#chain(key, () => this.#node.addInterest(route));
    return this.#track(key, this.#batched(route));
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
    // A subscriber may have come back while earlier changes were applied.
    const remove = () =>
      this.#chain(key, async () => {
        if (!this.#counts.has(key)) await this.#node.removeInterest(route);
      });
    if (this.#releaseDelayMs <= 0) return remove();
    const timer = setTimeout(() => {
      this.#releasing.delete(key);
      // Nobody awaits a delayed removal; a failed one leaves a binding whose deliveries are dropped here.
      remove().catch(() => undefined);
    }, this.#releaseDelayMs);
    timer.unref();
    this.#releasing.set(key, timer);
    return Promise.resolve();
  }

  #batched(route: Route): Promise<void> {
    let batch = this.#open;
    if (!batch) {
      batch = newBatch();
      this.#open = batch;
      if (!this.#applying) setImmediate(() => void this.#applyBatches());
    }
    batch.routes.push(route);
    return batch.applied;
  }

  /** Applies the open batch, then the one that filled meanwhile, until none is left. */
  async #applyBatches(): Promise<void> {
    if (this.#applying) return;
    this.#applying = true;
    try {
      for (let batch = this.#open; batch; batch = this.#open) {
        const wait = this.#lastBatchAt + this.#minBatchIntervalMs - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        this.#lastBatchAt = performance.now();
        this.#open = undefined;
        try {
          await this.#apply(batch.routes);
          batch.settle();
        } catch (error) {
          batch.settle(error ?? new Error('addInterests failed'));
        }
      }
    } finally {
      this.#applying = false;
    }
  }

  async #apply(routes: Route[]): Promise<void> {
    // A route released before its turn ended needs no binding (its release is chained after this batch).
    const live = routes.filter((route) => this.#counts.has(routeKey(route)));
    if (live.length === 0) return;
    if (this.#node.addInterests) return this.#node.addInterests(live);
    await Promise.all(live.map((route) => this.#node.addInterest(route)));
  }

  #chain(key: string, change: () => Promise<void>): Promise<void> {
    const previous = this.#pending.get(key) ?? Promise.resolve();
    return this.#track(key, previous.catch(() => undefined).then(change));
  }

  /** Records `next` as the route's change under way until it settles; returns it. */
  #track(key: string, next: Promise<void>): Promise<void> {
    const tracked = next.finally(() => {
      if (this.#pending.get(key) === tracked) this.#pending.delete(key);
    });
    // `tracked` is only awaited by later changes: its rejection is `next`'s, reported to the caller.
    tracked.catch(() => undefined);
    this.#pending.set(key, tracked);
    return next;
  }
}
