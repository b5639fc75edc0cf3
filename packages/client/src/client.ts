/**
 * Switchboard client: one WebSocket to an edge, reconnecting with full-jitter backoff, resubscribing
 * and resuming durable channels, correlating commands by id and requests by request id.
 *
 * This file is the public facade; the parts live in connection.ts (state machine, sockets, close
 * codes), commands.ts (command ids and answers), subscriptions.ts (subscription registry), pushes.ts
 * (notifications, de-duplication, acks) and token-refresh.ts (refresh before expiry).
 */
import { CloseCode, type ServerFrame } from '@switchboard/protocol/client';
import { Commands } from './commands.js';
import { Connection } from './connection.js';
import { Emitter } from './emitter.js';
import { ClientError, ClientErrorCodes, ServerError } from './errors.js';
import {
  type ClientOptions,
  type HistoryOptions,
  type RequestOptions,
  type ResolvedOptions,
  resolveOptions,
  type SendOptions,
} from './options.js';
import { Pushes } from './pushes.js';
import type { SubscribeOptions, Subscription } from './subscription.js';
import { Subscriptions } from './subscriptions.js';
import { TokenRefresh } from './token-refresh.js';
import {
  type ClientEvents,
  type ClientState,
  type ConnectedContext,
  type HistoryResult,
  type PresenceResult,
  type ReplyResult,
  toNumber,
} from './types.js';

export type { ClientOptions, HistoryOptions, RequestOptions, SendOptions, TokenContext } from './options.js';
export type { ClientEvents } from './types.js';

export class Client extends Emitter<ClientEvents> {
  readonly url: string;
  readonly #options: ResolvedOptions;
  readonly #connection: Connection;
  readonly #commands: Commands;
  readonly #subs: Subscriptions;
  readonly #pushes: Pushes;
  readonly #tokenRefresh: TokenRefresh;
  #pingTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(url: string, options: ClientOptions = {}) {
    super();
    this.url = url;
    this.#options = resolveOptions(options);
    this.#connection = new Connection(url, this.#options, {
      emit: (event, payload) => this.emit(event, payload),
      nextId: () => this.#commands.nextId(),
      onFrame: (frame) => this.#onFrame(frame),
      onConnected: (context) => this.#onConnected(context),
      onTransportLost: (code, reason) => this.#onTransportLost(code, reason),
    });
    this.#commands = new Commands(this.#connection, this.#options.timeoutMs);
    this.#subs = new Subscriptions(this.#connection, this.#commands, this.#options);
    this.#pushes = new Pushes(this.#options.pushDedupWindow, (ids) =>
      this.#connection.write({ ack: { ids } }),
    );
    this.#tokenRefresh = new TokenRefresh(this.#options.refreshBeforeExpiryMs, {
      refresh: () => this.#refreshToken(),
      onError: (error) => this.emit('error', { type: 'token', error }),
    });
  }

  get state(): ClientState {
    return this.#connection.state;
  }

  /** Details of the current connection, while connected. */
  get connection(): ConnectedContext | null {
    return this.#connection.context;
  }

  /** Starts connecting (and reconnecting until `disconnect()` or a close code that says stop). */
  connect(): void {
    this.#connection.start();
  }

  /** Closes the connection and stops reconnecting; clears every timer. Subscriptions are kept and resume on `connect()`. */
  disconnect(): void {
    this.#connection.stop();
  }

  /** Resolves when connected; rejects when the client stops (disconnected) first or after `timeoutMs`. */
  ready(timeoutMs = this.#options.timeoutMs): Promise<void> {
    if (this.state === 'connected') return Promise.resolve();
    if (this.state === 'disconnected') return Promise.reject(new ClientError(ClientErrorCodes.NotConnected));
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        offConnected();
        offDisconnected();
      };
      const timer = setTimeout(() => {
        done();
        reject(new ClientError(ClientErrorCodes.Timeout, `not connected after ${timeoutMs} ms`));
      }, timeoutMs);
      const offConnected = this.on('connected', () => {
        done();
        resolve();
      });
      const offDisconnected = this.on('disconnected', ({ code, reason }) => {
        done();
        reject(new ClientError(ClientErrorCodes.NotConnected, `${code} ${reason}`));
      });
    });
  }

  // ------------------------------------------------------------------ subscriptions

  /** Subscribes to `channel` (or returns the existing subscription, subscribing it again if needed). */
  subscribe(channel: string, options: SubscribeOptions = {}): Subscription {
    return this.#subs.subscribe(channel, options);
  }

  getSubscription(channel: string): Subscription | undefined {
    return this.#subs.get(channel);
  }

  /** Unsubscribes and forgets the subscription. */
  removeSubscription(sub: Subscription): void {
    this.#subs.remove(sub);
  }

  get subscriptions(): Subscription[] {
    return this.#subs.list();
  }

  // ------------------------------------------------------------------ commands

  /** Fire and forget to a business service. Throws ClientError NotConnected when not connected. */
  send(service: string, type: string, payload: Uint8Array, options: SendOptions = {}): void {
    this.#commands.send(service, type, payload, options);
  }

  /**
   * Request/reply with a business service. Resolves with the reply; rejects with ServerError (the
   * service failed or the edge timed out), TimeoutError (no answer in `timeoutMs`) or ClientError
   * (not connected, connection lost).
   */
  request(
    service: string,
    type: string,
    payload: Uint8Array,
    options: RequestOptions = {},
  ): Promise<ReplyResult> {
    return this.#commands.request(service, type, payload, options);
  }

  history(channel: string, options: HistoryOptions = {}): Promise<HistoryResult> {
    return this.#commands.history(channel, options);
  }

  presence(channel: string): Promise<PresenceResult> {
    return this.#commands.presence(channel);
  }

  /** App-level ping; resolves with the round trip in ms. */
  ping(timeoutMs?: number): Promise<number> {
    return this.#commands.ping(timeoutMs);
  }

  /** Acknowledges user notifications (Push.id); sent in one Ack frame per tick, kept until connected. */
  ack(ids: string | readonly string[]): void {
    this.#pushes.ack(typeof ids === 'string' ? [ids] : ids);
  }

  // ------------------------------------------------------------------ wiring

  #onFrame(frame: ServerFrame): void {
    if (this.#commands.resolve(frame) || this.#subs.route(frame)) return;
    if (frame.kind === 'error') {
      const error = new ServerError(frame.error!);
      if (!this.#commands.reject(frame.id, error)) this.emit('error', { type: 'server', error });
    } else if (frame.kind === 'push') {
      const push = this.#pushes.receive(frame.push!);
      if (push) this.emit('push', push);
    }
  }

  #onConnected(context: ConnectedContext): void {
    this.#subs.resubscribe();
    this.#pushes.flush();
    this.#schedulePing();
    if (this.#options.getToken) this.#tokenRefresh.schedule(context.expiresAtMs);
  }

  #onTransportLost(code: number, reason: string): void {
    clearTimeout(this.#pingTimer);
    this.#pingTimer = undefined;
    this.#tokenRefresh.cancel();
    this.#commands.rejectAll(code, reason);
    this.#subs.onTransportLost(code, reason);
  }

  async #refreshToken(): Promise<number> {
    const attempt = this.#connection.attempt;
    let token: string;
    try {
      token = await this.#options.getToken!({ expired: false });
    } catch (cause) {
      throw new ClientError(ClientErrorCodes.Token, 'refresh', { cause });
    }
    if (attempt !== this.#connection.attempt) return 0; // that connection is gone; a new one has its own plan
    const connected = await this.#commands.refresh(token);
    const expiresAtMs = toNumber(connected.expiresAtMs);
    if (attempt === this.#connection.attempt) this.#connection.updateExpiry(expiresAtMs);
    return expiresAtMs;
  }

  #schedulePing(): void {
    const interval = this.#options.pingIntervalMs;
    if (!interval || !this.#connection.connected) return;
    const attempt = this.#connection.attempt;
    this.#pingTimer = setTimeout(() => {
      this.#pingTimer = undefined;
      this.ping().then(
        () => {
          if (attempt === this.#connection.attempt) this.#schedulePing();
        },
        (error: unknown) => {
          if (attempt !== this.#connection.attempt || !this.#connection.connected) return;
          this.emit('error', { type: 'ping', error });
          this.#connection.drop(CloseCode.NoPong, 'no pong');
        },
      );
    }, interval);
  }
}
