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
 * Connections are walked in slices so that a node with many sockets does not stall its event loop.
 */
import { UnsubscribeCode } from '@switchboard/protocol';
import type { Connection } from './connection.js';
import type { Lifecycle } from './lifecycle.js';

const SLICE = 500;

export interface ResyncResult {
  readonly connections: number;
  readonly subscriptions: number;
}

export interface ChannelKinds {
  readonly durable: (channel: string) => boolean;
  readonly presence: (channel: string) => boolean;
}

export async function resyncAfterReconnect(
  connections: Iterable<Connection>,
  kinds: ChannelKinds,
  lifecycle: Lifecycle,
): Promise<ResyncResult> {
  const all = [...connections];
  let announced = 0;
  let subscriptions = 0;
  for (let start = 0; start < all.length; start += SLICE) {
    if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    for (const c of all.slice(start, start + SLICE)) {
      if (c.state !== 'connected') continue;
      lifecycle.opened(c);
      announced++;
      for (const channel of c.channels) {
        if (kinds.presence(channel)) lifecycle.subscribed(c, channel);
        if (!kinds.durable(channel)) continue;
        c.send({
          unsubscribed: {
            channel,
            code: UnsubscribeCode.InsufficientState,
            reason: 'bus reconnected: subscribe again with since to recover',
          },
        });
        subscriptions++;
      }
    }
  }
  return { connections: announced, subscriptions };
}
