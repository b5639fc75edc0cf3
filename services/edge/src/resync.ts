/**
 * After the bus connection drops and comes back, this node may have missed deliveries (its inbox was gone
 * while services kept publishing to the broker) and the lifecycle events of the outage may have been lost.
 * Fan-out is at most once by design; the re-sync is what turns that into "nothing lost" for what the
 * README promises:
 * - every durable subscription gets Unsubscribed 2500 (InsufficientState): the client subscribes again
 *   with `since` and the history service recovers the gap (the edge keeps the subscription meanwhile);
 * - every live connection is announced again (`connection_opened`, idempotent for every consumer): the
 *   notifications service re-sends the user's unacked inbox (clients drop ids they already have) and the
 *   registries learn connections opened during the outage; so is every presence-channel subscription
 *   (`subscribed`: the presence service joins a member only once).
 *
 * Order matters for the 2500s: a client that gets a live publication from after the gap before its 2500
 * takes that offset as its position and resumes past the gap, asking for nothing older (issue 18). A
 * transport reports `reconnected` only after its consumers are attached again, so deliveries can arrive
 * first (6 ms of them on RabbitMQ). Hence the 2500s go out, synchronously and encoded once per channel, at
 * whichever comes first after a `disconnected`: the first delivery (`beforeDelivery`, called by the fan-out
 * before it writes anything) or `reconnected`. The announcements are not ordered against deliveries and
 * walk the connections in slices so that a node with many sockets does not stall its event loop.
 */

import type { Transport } from '@switchboard/bus';
import type { Logger } from 'pino';
import type { Connection } from './connection.js';
import type { ChannelContinuity } from './continuity.js';
import { resyncFrame } from './continuity.js';
import type { Lifecycle } from './lifecycle.js';
import type { EdgeMetrics } from './metrics.js';
import type { EncodedFrame } from './wire.js';

const SLICE = 500;
const REASON = 'bus reconnected: subscribe again with since to recover';

export interface ResyncResult {
  readonly connections: number;
  readonly subscriptions: number;
}

export interface ChannelKinds {
  readonly durable: (channel: string) => boolean;
  readonly presence: (channel: string) => boolean;
}

export interface BusResyncDeps {
  /** The node's live connections (walked at the moment of the re-sync). */
  readonly connections: () => Iterable<Connection>;
  readonly kinds: ChannelKinds;
  readonly lifecycle: Lifecycle;
  readonly continuity: ChannelContinuity;
  readonly metrics: EdgeMetrics;
}

export class BusResync {
  readonly #deps: BusResyncDeps;
  /** The bus dropped and the 2500s have not gone out since. */
  #owed = false;
  /** A `disconnected` not yet followed by `reconnected`. */
  #down = false;
  /** 2500s sent since the last `disconnected` (reported with the announcements). */
  #signalled = 0;

  constructor(deps: BusResyncDeps) {
    this.#deps = deps;
  }

  /** The transport reported `disconnected`: nothing is forwarded any more before the 2500s went out. */
  disconnected(): void {
    this.#owed = true;
    this.#down = true;
    this.#signalled = 0;
  }

  /** Called by the fan-out before it writes any delivery: sends the owed 2500s first. */
  beforeDelivery(): void {
    if (this.#owed) this.#signal();
  }

  /**
   * The transport reported `reconnected`: the 2500s unless a delivery already triggered them (or, for a
   * transport that reported no `disconnected`, in any case), then the announcements.
   */
  async reconnected(): Promise<ResyncResult> {
    if (this.#owed || !this.#down) this.#signal();
    this.#down = false;
    const subscriptions = this.#signalled;
    const connections = await announceAgain(this.#deps.connections(), this.#deps.kinds, this.#deps.lifecycle);
    return { connections, subscriptions };
  }

  /** Unsubscribed 2500 to every durable subscription of every connected client, now. */
  #signal(): void {
    this.#owed = false;
    /** Per channel: its 2500, or null for a channel that is not durable. */
    const frames = new Map<string, EncodedFrame | null>();
    const { durable } = this.#deps.kinds;
    let written = 0;
    for (const c of this.#deps.connections()) {
      if (c.state !== 'connected') continue;
      for (const channel of c.channels) {
        let frame = frames.get(channel);
        if (frame === undefined) {
          frame = durable(channel) ? resyncFrame(channel, REASON) : null;
          frames.set(channel, frame);
        }
        if (frame && c.write(frame, true) === 'queued') written++;
      }
    }
    if (written > 0) this.#deps.metrics.framesOut.inc(written);
    this.#signalled += written;
    // Every durable subscriber resumes from its own position: a check from before the outage would take
    // the first publication after it for a second gap.
    this.#deps.continuity.reset();
  }
}

/**
 * Follows the transport's connection events for the node: counts refused deliveries, logs the rest, and
 * runs the re-sync (above) across a disconnect. `closed` turns it off once the node is closing.
 */
export function watchBus(
  transport: Transport,
  deps: { resync: BusResync; metrics: EdgeMetrics; log: Logger; closed: () => boolean },
): void {
  const { resync, metrics, log } = deps;
  transport.on('event', (event) => {
    if (deps.closed()) return;
    if (event.type === 'delivery-refused') {
      // The transport already logs these, rate-limited; each one is counted (docs/bus-contract.md).
      metrics.drops.inc({ reason: 'unroutable_delivery' });
      return;
    }
    log.warn({ event: event.type, err: event.type === 'disconnected' ? event.error : undefined }, 'bus');
    if (event.type === 'disconnected') resync.disconnected();
    if (event.type === 'reconnected') {
      metrics.transportReconnects.inc();
      void resync.reconnected().then((result) =>
        // warn like the 'bus' events it follows: part of the same incident, and what clients were asked to do.
        log.warn(result, 'bus reconnected: connections announced again, durable subscriptions re-synced'),
      );
    }
  });
}

/** Announces every connection (and presence subscription) again; returns how many connections. */
async function announceAgain(
  connections: Iterable<Connection>,
  kinds: ChannelKinds,
  lifecycle: Lifecycle,
): Promise<number> {
  const all = [...connections];
  let announced = 0;
  for (let start = 0; start < all.length; start += SLICE) {
    if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    for (const c of all.slice(start, start + SLICE)) {
      if (c.state !== 'connected') continue;
      lifecycle.opened(c);
      announced++;
      for (const channel of c.channels) if (kinds.presence(channel)) lifecycle.subscribed(c, channel);
    }
  }
  return announced;
}
