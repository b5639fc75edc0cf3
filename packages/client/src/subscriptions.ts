/**
 * The client's subscriptions by channel: sends Subscribe (with `since` to resume) when connected,
 * retries temporary failures with backoff, resubscribes after a reconnect and routes publications,
 * joins and leaves to their subscription.
 */
import { type ServerFrame, shouldResubscribe, UnsubscribeCode } from '@switchboard/protocol/client';
import { Backoff } from './backoff.js';
import type { Commands } from './commands.js';
import { ClientError, ClientErrorCodes, ServerError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import { type SubscribeOptions, Subscription, type SubscriptionHost } from './subscription.js';

/** The part of the connection that subscriptions use. */
export interface SubscriptionLink {
  readonly connected: boolean;
  /** Changes when the socket does; answers from an older attempt are ignored. */
  readonly attempt: number;
}

export class Subscriptions implements SubscriptionHost {
  readonly #subs = new Map<string, Subscription>();
  readonly #backoffs = new Map<Subscription, Backoff>();
  readonly #retryTimers = new Map<Subscription, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly link: SubscriptionLink,
    private readonly commands: Commands,
    private readonly options: ResolvedOptions,
  ) {}

  /** Subscribes to `channel` (or returns the existing subscription, subscribing it again if needed). */
  subscribe(channel: string, options: SubscribeOptions = {}): Subscription {
    let sub = this.#subs.get(channel);
    if (!sub) {
      sub = new Subscription(this, channel, options);
      this.#subs.set(channel, sub);
      sub.subscribe();
    } else {
      sub.subscribe(options);
    }
    return sub;
  }

  get(channel: string): Subscription | undefined {
    return this.#subs.get(channel);
  }

  /** Unsubscribes and forgets the subscription. */
  remove(sub: Subscription): void {
    sub.unsubscribe();
    if (this.#subs.get(sub.channel) === sub) this.#subs.delete(sub.channel);
    sub.removeAllListeners();
  }

  list(): Subscription[] {
    return [...this.#subs.values()];
  }

  /** @internal Called by Subscription.subscribe(). */
  _subscribe(sub: Subscription): void {
    if (this.link.connected) this.#sendSubscribe(sub);
  }

  /** @internal Called by Subscription.unsubscribe(). */
  _unsubscribe(sub: Subscription): void {
    this.#clearRetry(sub);
    this.#backoffs.delete(sub);
    if (!this.link.connected) return;
    this.commands
      .issue((id) => ({ id, unsubscribe: { channel: sub.channel } }), 'unsubscribe')
      ?.catch(() => {});
  }

  /** @internal Called by Subscription on a gap in a durable channel's offsets (see subscription.ts). */
  _resync(sub: Subscription, reason: string): void {
    this.#resync(sub, UnsubscribeCode.InsufficientState, reason);
  }

  /** Connected: subscribe every subscription that waits for a connection. */
  resubscribe(): void {
    for (const sub of this.#subs.values()) if (sub.state === 'subscribing') this.#sendSubscribe(sub);
  }

  /** The socket went away: subscribed ones go back to subscribing, retries wait for the next connection. */
  onTransportLost(code: number, reason: string): void {
    for (const timer of this.#retryTimers.values()) clearTimeout(timer);
    this.#retryTimers.clear();
    for (const sub of this.#subs.values()) sub._toSubscribing(code, reason);
  }

  /** Publications, joins, leaves and unsubscribes by the server; false for other frames. */
  route(frame: ServerFrame): boolean {
    switch (frame.kind) {
      case 'publication': {
        const pub = frame.publication!;
        this.#subs.get(pub.channel ?? '')?._handlePublication(pub);
        return true;
      }
      case 'join':
      case 'leave': {
        const event = frame.kind === 'join' ? frame.join! : frame.leave!;
        this.#subs.get(event.channel ?? '')?._handleJoin(frame.kind, event.info);
        return true;
      }
      case 'unsubscribed': {
        const u = frame.unsubscribed!;
        const sub = this.#subs.get(u.channel ?? '');
        const code = u.code ?? 0;
        const reason = u.reason ?? 'unsubscribed by server';
        if (sub && shouldResubscribe(code)) this.#resync(sub, code, reason);
        else sub?._toUnsubscribed(code, reason);
        return true;
      }
      default:
        return false;
    }
  }

  /**
   * The server may have missed publications for us (Unsubscribed 2500–2999): subscribe again from our
   * position, which recovers the gap. When our Subscribe is still unanswered (its answer may be queued
   * behind this very frame), the re-sync follows that answer.
   */
  #resync(sub: Subscription, code: number, reason: string): void {
    if (sub._markResync()) return; // subscribing: see Subscription._handleSubscribed
    if (sub.state !== 'subscribed') return;
    sub._toSubscribing(code, reason);
    if (this.link.connected) this.#sendSubscribe(sub);
  }

  #sendSubscribe(sub: Subscription): void {
    this.#clearRetry(sub);
    const attempt = this.link.attempt;
    const since = sub._since();
    const token = sub.token;
    const answer = this.commands.issue(
      (id) => ({
        id,
        subscribe: { channel: sub.channel, ...(since ? { since } : {}), ...(token ? { token } : {}) },
      }),
      `subscribe ${sub.channel}`,
    );
    answer?.then(
      (frame) => {
        if (attempt !== this.link.attempt || this.#subs.get(sub.channel) !== sub) return;
        if (frame.subscribed) {
          this.#backoffs.get(sub)?.reset();
          // True when a re-sync was asked for meanwhile, or a buffered publication did not continue the stream.
          if (sub._handleSubscribed(frame.subscribed))
            this.#resync(sub, UnsubscribeCode.InsufficientState, 'server asked for a re-sync');
        } else this.#subscribeFailed(sub, new ClientError(ClientErrorCodes.Transport, 'unexpected answer'));
      },
      (error: unknown) => {
        if (attempt !== this.link.attempt || sub.state !== 'subscribing') return;
        this.#subscribeFailed(sub, error);
      },
    );
  }

  #subscribeFailed(sub: Subscription, error: unknown): void {
    const temporary = error instanceof ClientError || (error instanceof ServerError && error.temporary);
    if (!temporary) {
      sub._toUnsubscribed(
        error instanceof ServerError ? error.wire : 0,
        String((error as Error)?.message),
        error,
      );
      return;
    }
    sub._error(error);
    let backoff = this.#backoffs.get(sub);
    if (!backoff) {
      backoff = new Backoff(
        { minDelayMs: this.options.minReconnectDelayMs, maxDelayMs: this.options.maxReconnectDelayMs },
        this.options.random,
      );
      this.#backoffs.set(sub, backoff);
    }
    const timer = setTimeout(() => {
      this.#retryTimers.delete(sub);
      if (this.link.connected && sub.state === 'subscribing') this.#sendSubscribe(sub);
    }, backoff.next());
    this.#retryTimers.set(sub, timer);
  }

  #clearRetry(sub: Subscription): void {
    const timer = this.#retryTimers.get(sub);
    if (timer !== undefined) clearTimeout(timer);
    this.#retryTimers.delete(sub);
  }
}
