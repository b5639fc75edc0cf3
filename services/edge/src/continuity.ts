/**
 * Continuity of durable channels at the edge: a subscriber never gets offset N+k (k > 1) after N without
 * N+1 … N+k-1 in between or an explicit signal first. Per durable channel this node serves, it remembers
 * the last offset and epoch it forwarded and checks every publication with an offset against it:
 * - next offset (same epoch): forwarded;
 * - offset at or below the last (same epoch): a duplicate (e.g. a redelivery after a broker failover), dropped;
 * - offset past the next one: this node missed publications (its inbox was gone while history kept
 *   publishing). Every local subscriber of the channel gets Unsubscribed 2500 first, and the publication
 *   itself is not written: the clients resubscribe with `since` their last position and the recovery brings
 *   the missing ones and this one, in order. Later publications flow again (clients buffer them while
 *   resubscribing and drop what the recovery already gave them);
 * - another epoch: the stream was reset, offsets of the old one mean nothing; also 2500, whose recovery
 *   from the old epoch answers `recovered: false` with the new stream top.
 *
 * Where the check starts. A channel's first local subscriber acquires the channel route and only then asks
 * the history service for the stream top T (the recovery request is published after the route is bound).
 * History stores a publication before it publishes it, so every offset above the T of any answer was
 * published after the route was bound and reaches this node, in offset order (history publishes per
 * channel in order). The answer and the live publications travel on different routes and race:
 * - answers before the first publication: the lowest T answered is kept as a hint; the first publication
 *   must then be at most T+1 (T = 0: the stream was empty, it must be offset 1, in whatever epoch), else
 *   offsets were missed and the subscribers get 2500. A first publication at or below T is forwarded: a
 *   subscriber with an older answer may still need it (clients drop offsets they already have);
 * - the first publication before any answer: accepted as the start of the check (nothing to compare it
 *   with); each client checks it against its own answer (the client SDK resubscribes on a jump);
 * - answers after the first publication tell nothing: a higher T may still be on its way here.
 * An answer never moves the last offset: it is one connection's view and may be older than another's, so
 * dropping publications at or below it could starve a subscriber that still needs them.
 * When the channel's last local subscriber leaves, the route is released and what was remembered is stale:
 * LocalIndex replaces a channel's connection set when it empties and fills again, so a state is bound to the
 * set it was made for and starts over with a new one.
 *
 * After a bus reconnect the re-sync (resync.ts) tells every durable subscription to resubscribe and calls
 * `reset()`: the first publication per channel starts the check again, instead of a second 2500 for the
 * gap the re-sync already reported.
 */
import { type Delivery, UnsubscribeCode } from '@switchboard/protocol';
import type { Connection } from './connection.js';
import type { EdgeMetrics } from './metrics.js';
import { EncodedFrame } from './wire.js';

export type Verdict = 'forward' | 'duplicate' | 'gap' | 'epoch';

interface Position {
  offset: number;
  epoch: string;
}

interface ChannelState {
  /** The local connection set this state was made for (see the header: a new set starts over). */
  readonly members: ReadonlySet<Connection>;
  /** False for channels outside the durable namespaces: never checked. */
  readonly durable: boolean;
  /** The last offset forwarded; undefined until the first publication. */
  last: Position | undefined;
  /** Lowest stream top answered before the first publication. */
  hint: Position | undefined;
}

/** States kept before the first sweep of channels that lost their last local subscriber. */
const SWEEP_MIN = 1024;

type Offset = number | { toNumber(): number } | null | undefined;

const toNumber = (value: Offset): number =>
  value === null || value === undefined ? 0 : typeof value === 'number' ? value : value.toNumber();

export class ChannelContinuity {
  readonly #channels = new Map<string, ChannelState>();
  readonly #members: (channel: string) => ReadonlySet<Connection> | undefined;
  readonly #durable: (channel: string) => boolean;
  #sweepAt = SWEEP_MIN;

  /**
   * `members`: the channel's local connections (LocalIndex.channel); `durable`: whether the channel is in a
   * durable namespace (only those get 2500: a resubscribe with `since` is refused elsewhere).
   */
  constructor(
    members: (channel: string) => ReadonlySet<Connection> | undefined,
    durable: (channel: string) => boolean,
  ) {
    this.#members = members;
    this.#durable = durable;
  }

  /** A Subscribed answer from the history service is about to be written to one of this node's connections. */
  answered(channel: string, position: { offset?: Offset; epoch?: string | null } | null | undefined): void {
    if (!position) return;
    const state = this.#state(channel);
    if (!state?.durable || state.last) return;
    const top = { offset: toNumber(position.offset), epoch: position.epoch ?? '' };
    const hint = state.hint;
    if (!hint || hint.epoch !== top.epoch || top.offset < hint.offset) state.hint = top;
  }

  /** Checks a publication with an offset for `channel` and remembers it as the last one when it goes on. */
  check(channel: string, offset: number, epoch: string): Verdict {
    const state = this.#state(channel);
    if (!state?.durable) return 'forward';
    const last = state.last;
    state.last = { offset, epoch };
    if (!last) {
      const hint = state.hint;
      state.hint = undefined;
      if (!hint) return 'forward';
      if (hint.offset > 0 && hint.epoch !== epoch) return 'epoch';
      return offset > hint.offset + 1 ? 'gap' : 'forward';
    }
    if (last.epoch !== epoch) return 'epoch';
    if (offset <= last.offset) {
      state.last = last; // a duplicate does not move the position back
      return 'duplicate';
    }
    return offset > last.offset + 1 ? 'gap' : 'forward';
  }

  /** The channel's local connections (none when it has no subscriber here). */
  membersOf(channel: string): Iterable<Connection> {
    return this.#members(channel) ?? [];
  }

  /** Every durable subscription was told to resubscribe: start every check over. */
  reset(): void {
    this.#channels.clear();
    this.#sweepAt = SWEEP_MIN;
  }

  /** The channel's state for its current local connections; undefined when it has none. */
  #state(channel: string): ChannelState | undefined {
    const members = this.#members(channel);
    if (!members) {
      this.#channels.delete(channel);
      return undefined;
    }
    const state = this.#channels.get(channel);
    if (state?.members === members) return state;
    if (!state && this.#channels.size >= this.#sweepAt) this.#sweep();
    const fresh: ChannelState = {
      members,
      durable: this.#durable(channel),
      last: undefined,
      hint: undefined,
    };
    this.#channels.set(channel, fresh);
    return fresh;
  }

  /** Forgets channels whose local subscribers left (amortised: the bound doubles with what stays). */
  #sweep(): void {
    for (const [channel, state] of this.#channels)
      if (this.#members(channel) !== state.members) this.#channels.delete(channel);
    this.#sweepAt = Math.max(SWEEP_MIN, this.#channels.size * 2);
  }
}

/**
 * The connection a delivery is not written to. A publication with an offset goes to every subscriber, its
 * sender's connection included: `except_connection` would leave a hole in that subscriber's stream, which
 * it must take for a gap (and resubscribe after every message it sent). Ephemeral deliveries honour it.
 */
export function exceptOf(delivery: Delivery): string | undefined {
  if (!delivery.exceptConnection) return undefined;
  return delivery.body === 'publication' && toNumber(delivery.publication?.offset as Offset) > 0
    ? undefined
    : delivery.exceptConnection;
}

/** Unsubscribed 2500 for `channel`: encoded once, the same bytes for every connection. */
export function resyncFrame(channel: string, reason: string): EncodedFrame {
  return new EncodedFrame({
    unsubscribed: { channel, code: UnsubscribeCode.InsufficientState, reason },
  });
}

/**
 * Follows a page of a longer recovery (Delivery.recovery_continues): the client subscribes again with
 * `since` = the page's position, as after any 2500, and gets the next page.
 */
export function nextPageFrame(channel: string): EncodedFrame {
  return resyncFrame(channel, 'recovery continues: subscribe again with since for the next page');
}

const REASONS: Record<'gap' | 'epoch', string> = {
  gap: 'publications missed: subscribe again with since to recover',
  epoch: 'stream epoch changed: subscribe again with since',
};

/**
 * The fan-out's continuity step for a channel publication: true when it may be written to the channel's
 * local subscribers. On a gap or an epoch change they get 2500 here, before anything later.
 */
export function admitPublication(
  continuity: ChannelContinuity,
  delivery: Delivery,
  metrics: EdgeMetrics,
): boolean {
  const publication = delivery.body === 'publication' ? delivery.publication : undefined;
  const offset = toNumber(publication?.offset as Offset);
  if (delivery.target !== 'channel' || offset <= 0) return true;
  const channel = delivery.channel ?? '';
  const verdict = continuity.check(channel, offset, publication?.epoch ?? '');
  if (verdict === 'forward') return true;
  metrics.drops.inc({ reason: verdict === 'duplicate' ? 'duplicate_offset' : `continuity_${verdict}` });
  if (verdict === 'duplicate') return false;
  const frame = resyncFrame(channel, REASONS[verdict]);
  let written = 0;
  for (const c of continuity.membersOf(channel))
    if (c.state === 'connected' && c.write(frame, true) === 'queued') written++;
  if (written > 0) metrics.framesOut.inc(written);
  return false;
}
