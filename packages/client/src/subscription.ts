/**
 * One channel subscription with its own state machine `unsubscribed | subscribing | subscribed`.
 * It tracks the stream position of durable channels, drops duplicates by offset, and buffers live
 * publications that arrive while subscribing so that recovered ones are delivered first, in order.
 *
 * Continuity: a publication of a durable channel is emitted only when it is the next offset of the same
 * epoch (or the first one seen). A jump (offset past the next one) or another epoch is never emitted: the
 * subscription resubscribes with `since` its last position and the recovery fills the gap, or answers
 * `recovered: false` (a lost position: the epoch changed or history no longer has the offsets), which the
 * `subscribed` event reports. The edge checks the same and says so with Unsubscribed 2500; the client's
 * check covers what the edge cannot see (a gap between its Subscribed answer and the first publication).
 */
import type { switchboard } from '@switchboard/protocol/client';
import { Emitter } from './emitter.js';
import {
  type ClientInfo,
  type Publication,
  type StateChange,
  type StreamPosition,
  type SubscribedContext,
  type SubscriptionState,
  toClientInfo,
  toPosition,
  toPublication,
} from './types.js';

export interface SubscriptionEvents {
  state: StateChange<SubscriptionState>;
  subscribing: { code: number; reason: string };
  subscribed: SubscribedContext;
  unsubscribed: { code: number; reason: string };
  publication: Publication;
  join: { channel: string; info?: ClientInfo };
  leave: { channel: string; info?: ClientInfo };
  error: { error: unknown };
}

export interface SubscribeOptions {
  /** Resume a durable channel from this position (e.g. one saved by the app). */
  since?: StreamPosition;
  /** Subscription token, required for `private-` channels. */
  token?: string;
}

/** What a Subscription needs from its client. @internal */
export interface SubscriptionHost {
  _subscribe(sub: Subscription): void;
  _unsubscribe(sub: Subscription): void;
  /** A gap in the stream: subscribe again with `since` the position (see the header). */
  _resync(sub: Subscription, reason: string): void;
}

/** What happened to a publication offered to the stream. */
type Continuity = 'emitted' | 'duplicate' | 'gap';

export class Subscription extends Emitter<SubscriptionEvents> {
  readonly channel: string;
  readonly #host: SubscriptionHost;
  #state: SubscriptionState = 'unsubscribed';
  #position: StreamPosition | undefined;
  #token: string | undefined;
  #buffer: Publication[] = [];
  /** Set while subscribing when a re-sync was asked for: how many buffered publications came before it. */
  #resyncMark: number | undefined;

  /** @internal Use `client.subscribe(channel)`. */
  constructor(host: SubscriptionHost, channel: string, options: SubscribeOptions = {}) {
    super();
    this.#host = host;
    this.channel = channel;
    this.#position = options.since ? { ...options.since } : undefined;
    this.#token = options.token;
  }

  get state(): SubscriptionState {
    return this.#state;
  }

  /** Last position seen in a durable channel (what a resume sends as `since`). */
  get position(): StreamPosition | undefined {
    return this.#position ? { ...this.#position } : undefined;
  }

  /** @internal */
  get token(): string | undefined {
    return this.#token;
  }

  /** Starts subscribing (again); no-op unless unsubscribed. */
  subscribe(options: SubscribeOptions = {}): void {
    if (this.#state !== 'unsubscribed') return;
    if (options.since) this.#position = { ...options.since };
    if (options.token !== undefined) this.#token = options.token;
    this.#setState('subscribing');
    this.emit('subscribing', { code: 0, reason: 'subscribe called' });
    this.#host._subscribe(this);
  }

  /** Stops the subscription; the client sends Unsubscribe when connected. */
  unsubscribe(): void {
    if (this.#state === 'unsubscribed') return;
    this._toUnsubscribed(0, 'unsubscribe called');
    this.#host._unsubscribe(this);
  }

  /** @internal The `since` to send with Subscribe. */
  _since(): StreamPosition | undefined {
    return this.#position ? { ...this.#position } : undefined;
  }

  /** @internal The connection went away: wait for the next one. */
  _toSubscribing(code: number, reason: string): void {
    if (this.#state !== 'subscribed') return;
    this.#buffer = [];
    this.#resyncMark = undefined;
    this.#setState('subscribing');
    this.emit('subscribing', { code, reason });
  }

  /** @internal Server refused or ended the subscription, or the app unsubscribed. */
  _toUnsubscribed(code: number, reason: string, error?: unknown): void {
    if (this.#state === 'unsubscribed') return;
    this.#buffer = [];
    this.#resyncMark = undefined;
    this.#setState('unsubscribed');
    if (error !== undefined) this.emit('error', { error });
    this.emit('unsubscribed', { code, reason });
  }

  /** @internal */
  _error(error: unknown): void {
    this.emit('error', { error });
  }

  /**
   * @internal The server asked for a re-sync (Unsubscribed 2500) while our Subscribe is unanswered: what was
   * buffered so far is good, anything after it may follow a gap. Returns false unless subscribing.
   */
  _markResync(): boolean {
    if (this.#state !== 'subscribing') return false;
    this.#resyncMark ??= this.#buffer.length;
    return true;
  }

  /**
   * @internal Answer to our Subscribe. True when a re-sync is needed: it was asked for meanwhile (publications
   * buffered after that request were not delivered: the re-sync's recovery brings them, after the gap), or a
   * buffered publication did not continue the stream (it and the rest are left to the recovery).
   */
  _handleSubscribed(s: switchboard.v1.ISubscribed): boolean {
    if (this.#state !== 'subscribing') return false;
    const position = toPosition(s.position);
    const durable = s.durable ?? false;
    const mark = this.#resyncMark;
    this.#resyncMark = undefined;
    const buffered = mark === undefined ? this.#buffer : this.#buffer.slice(0, mark);
    this.#buffer = [];
    const recovered = (s.publications ?? []).map(toPublication).sort((a, b) => a.offset - b.offset);
    const since = this.#position;
    // A recovery that does not lead from our position to the top, in one epoch, did not recover: say so.
    const complete =
      (s.recovered ?? false) && (!durable || !since || !position || covers(since, recovered, position));
    this.#setState('subscribed');
    this.emit('subscribed', {
      channel: this.channel,
      durable,
      wasRecovering: s.wasRecovering ?? false,
      recovered: complete,
      ...(position ? { position } : {}),
    });
    if (complete) for (const pub of recovered) this.#deliver(pub);
    else for (const pub of recovered) this.#accept(pub);
    // From the top on, the stream must be continuous: a fresh subscribe starts there, an incomplete recovery
    // was reported above.
    if (durable && position) this.#advanceTo(position);
    for (const pub of buffered) if (this.#deliver(pub) === 'gap') return true;
    return mark !== undefined;
  }

  /** @internal */
  _handlePublication(p: switchboard.v1.IPublication): void {
    const pub = toPublication(p);
    if (this.#state === 'subscribing') this.#buffer.push(pub);
    else if (this.#state === 'subscribed' && this.#deliver(pub) === 'gap') {
      const last = this.#position;
      this.#host._resync(this, `offset ${pub.epoch}:${pub.offset} after ${last?.epoch}:${last?.offset}`);
    }
  }

  /** @internal */
  _handleJoin(event: 'join' | 'leave', info: switchboard.v1.IClientInfo | null | undefined): void {
    if (this.#state !== 'subscribed') return;
    const client = toClientInfo(info);
    this.emit(event, { channel: this.channel, ...(client ? { info: client } : {}) });
  }

  /**
   * Emits `pub` when it continues the stream. After a gap nothing later is emitted either (the caller
   * resubscribes; until the answer the subscription buffers), so the position never passes a hole.
   */
  #deliver(pub: Publication): Continuity {
    if (pub.offset > 0) {
      const last = this.#position;
      const next = continuityOf(last, pub);
      if (next !== 'emitted') return next;
      this.#position = { offset: pub.offset, epoch: pub.epoch };
    }
    this.emit('publication', pub);
    return 'emitted';
  }

  /** Emits `pub` unless its offset was seen (publications of an answer that reported a gap itself). */
  #accept(pub: Publication): void {
    const last = this.#position;
    if (pub.offset > 0 && last && last.epoch === pub.epoch && pub.offset <= last.offset) return;
    if (pub.offset > 0) this.#position = { offset: pub.offset, epoch: pub.epoch };
    this.emit('publication', pub);
  }

  /** After a Subscribed: the stream top is where we stand now (a gap was reported via `recovered`). */
  #advanceTo(top: StreamPosition): void {
    const last = this.#position;
    if (!last || last.epoch !== top.epoch || last.offset < top.offset) this.#position = { ...top };
  }

  #setState(newState: SubscriptionState): void {
    const oldState = this.#state;
    if (oldState === newState) return;
    this.#state = newState;
    this.emit('state', { newState, oldState });
  }
}

/**
 * The rule every client follows (docs/protocol.md): the next offset of the same epoch continues the stream;
 * an offset already seen is a duplicate; anything else is a gap. After an empty stream (position offset 0)
 * offset 1 starts it, in whatever epoch. Without a position, the first publication starts it.
 */
function continuityOf(last: StreamPosition | undefined, pub: Publication): Continuity {
  if (!last) return 'emitted';
  if (last.offset === 0) return pub.offset === 1 ? 'emitted' : 'gap';
  if (last.epoch !== pub.epoch) return 'gap';
  if (pub.offset <= last.offset) return 'duplicate';
  return pub.offset === last.offset + 1 ? 'emitted' : 'gap';
}

/** Whether recovered publications (sorted) lead from `since` to `top` without a hole, in one epoch. */
function covers(since: StreamPosition, publications: readonly Publication[], top: StreamPosition): boolean {
  let at: StreamPosition = since;
  for (const pub of publications) {
    const next = continuityOf(at, pub);
    if (next === 'gap') return false;
    if (next === 'emitted') at = { offset: pub.offset, epoch: pub.epoch };
  }
  return at.offset === top.offset && (at.offset === 0 || at.epoch === top.epoch);
}
