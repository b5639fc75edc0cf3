/**
 * Switchboard client: one WebSocket to an edge, a connection state machine
 * `disconnected | connecting | connected`, reconnects with full-jitter backoff, resubscribes and
 * resumes durable channels, correlates commands by id and requests by request id.
 *
 * Every socket gets an attempt id; handlers of a socket whose attempt is over are ignored, so late
 * events from a dead socket cannot touch the current connection.
 */

import type { switchboard } from '@switchboard/protocol';
import {
  CloseCode,
  ErrorCodes,
  type IClientFrame,
  type ServerFrame,
  shouldReconnect,
} from '@switchboard/protocol';
import { AckBuffer } from './acks.js';
import { Backoff } from './backoff.js';
import { Emitter } from './emitter.js';
import { ClientError, ClientErrorCodes, ServerError } from './errors.js';
import { PendingCommands } from './pending.js';
import { type SubscribeOptions, Subscription, type SubscriptionHost } from './subscription.js';
import { openTransport, resolveWebSocket, type Transport, type WebSocketConstructor } from './transport.js';
import {
  type ClientState,
  type ConnectedContext,
  type DisconnectContext,
  type ErrorContext,
  type HistoryResult,
  type PresenceResult,
  type PushNotification,
  type ReplyResult,
  type StateChange,
  toClientInfo,
  toNumber,
  toPosition,
  toPublication,
  toPush,
} from './types.js';

export interface TokenContext {
  /** The server said the previous token expired: return a fresh one. */
  expired: boolean;
}

export interface ClientOptions {
  /** A fixed token, used when `getToken` is not given. */
  token?: string;
  /** Called before every (re)connect; `expired` is true after the server rejected the token as expired. */
  getToken?: (context: TokenContext) => string | Promise<string>;
  /** WebSocket constructor (e.g. `WebSocket` from 'ws'); default: the global one, else a dynamic import of 'ws'. */
  WebSocket?: WebSocketConstructor;
  /** Client name and version, for the server's logs. */
  name?: string;
  version?: string;
  /** Full-jitter backoff between reconnect attempts. Defaults 500 ms / 20 s. */
  minReconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  /** Default timeout of commands (subscribe, history, presence, ping) and requests. Default 10 s. */
  timeoutMs?: number;
  /** Time allowed from opening the socket to Connected. Default 10 s. */
  connectTimeoutMs?: number;
  /** Send an app-level Ping this often and reconnect when no Pong comes within `timeoutMs`. 0 (default) = off. */
  pingIntervalMs?: number;
  /** Random source for the backoff jitter (tests). */
  random?: () => number;
}

export interface ClientEvents {
  state: StateChange<ClientState>;
  connecting: DisconnectContext;
  connected: ConnectedContext;
  disconnected: DisconnectContext;
  error: ErrorContext;
  push: PushNotification;
}

export interface SendOptions {
  /** Ordering key (room, order id): messages with one key are handled in order. */
  key?: string;
}

export interface RequestOptions extends SendOptions {
  timeoutMs?: number;
}

export interface HistoryOptions {
  limit?: number;
  /** Only publications before this offset; 0 or absent = newest. */
  beforeOffset?: number;
}

interface ServerDisconnect {
  code: number;
  reason: string;
  reconnect: boolean;
  delayMs: number;
}

const DEFAULTS = {
  minReconnectDelayMs: 500,
  maxReconnectDelayMs: 20_000,
  timeoutMs: 10_000,
  connectTimeoutMs: 10_000,
  pingIntervalMs: 0,
};

/** Close code for the client's own reasons (connect or ping timeout, bad server answer): reconnect. */
const CLIENT_RECONNECT = 3000;

export class Client extends Emitter<ClientEvents> implements SubscriptionHost {
  readonly url: string;
  readonly #options: ClientOptions & typeof DEFAULTS;
  readonly #backoff: Backoff;
  readonly #subBackoff = new Map<Subscription, Backoff>();
  readonly #subs = new Map<string, Subscription>();
  readonly #subRetryTimers = new Map<Subscription, ReturnType<typeof setTimeout>>();
  readonly #pending = new PendingCommands();
  readonly #acks = new AckBuffer((ids) => this.#write({ ack: { ids } }));
  #state: ClientState = 'disconnected';
  #attempt = 0;
  #transport: Transport | null = null;
  #connectId = 0;
  #connected: ConnectedContext | null = null;
  #tokenExpired = false;
  #serverDisconnect: ServerDisconnect | null = null;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #connectTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(url: string, options: ClientOptions = {}) {
    super();
    this.url = url;
    this.#options = { ...DEFAULTS, ...stripUndefined(options) };
    this.#backoff = new Backoff(
      { minDelayMs: this.#options.minReconnectDelayMs, maxDelayMs: this.#options.maxReconnectDelayMs },
      this.#options.random,
    );
  }

  get state(): ClientState {
    return this.#state;
  }

  /** Details of the current connection, while connected. */
  get connection(): ConnectedContext | null {
    return this.#connected ? { ...this.#connected } : null;
  }

  /** Starts connecting (and reconnecting until `disconnect()` or a close code that says stop). */
  connect(): void {
    if (this.#state !== 'disconnected') return;
    this.#backoff.reset();
    this.#setState('connecting');
    this.emit('connecting', { code: 0, reason: 'connect called' });
    void this.#startAttempt();
  }

  /** Closes the connection and stops reconnecting; clears every timer. Subscriptions are kept and resume on `connect()`. */
  disconnect(): void {
    if (this.#state === 'disconnected') return;
    this.#attempt += 1;
    const transport = this.#transport;
    this.#transport = null;
    transport?.close(CloseCode.Normal, 'client disconnect');
    this.#afterTransportLost(CloseCode.Normal, 'disconnect called');
    this.#toDisconnected(CloseCode.Normal, 'disconnect called');
  }

  /** Resolves when connected; rejects when the client stops (disconnected) first or after `timeoutMs`. */
  ready(timeoutMs = this.#options.timeoutMs): Promise<void> {
    if (this.#state === 'connected') return Promise.resolve();
    if (this.#state === 'disconnected') return Promise.reject(new ClientError(ClientErrorCodes.NotConnected));
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

  getSubscription(channel: string): Subscription | undefined {
    return this.#subs.get(channel);
  }

  /** Unsubscribes and forgets the subscription. */
  removeSubscription(sub: Subscription): void {
    sub.unsubscribe();
    if (this.#subs.get(sub.channel) === sub) this.#subs.delete(sub.channel);
    sub.removeAllListeners();
  }

  get subscriptions(): Subscription[] {
    return [...this.#subs.values()];
  }

  /** @internal Called by Subscription.subscribe(). */
  _subscribe(sub: Subscription): void {
    if (this.#state === 'connected') this.#sendSubscribe(sub);
  }

  /** @internal Called by Subscription.unsubscribe(). */
  _unsubscribe(sub: Subscription): void {
    this.#clearSubRetry(sub);
    this.#subBackoff.delete(sub);
    if (this.#state !== 'connected') return;
    const id = this.#pending.nextId();
    if (this.#write({ id, unsubscribe: { channel: sub.channel } }))
      this.#pending.wait(id, this.#options.timeoutMs, 'unsubscribe').catch(() => {});
  }

  #sendSubscribe(sub: Subscription): void {
    this.#clearSubRetry(sub);
    const id = this.#pending.nextId();
    const attempt = this.#attempt;
    const since = sub._since();
    const token = sub.token;
    const frame: IClientFrame = {
      id,
      subscribe: { channel: sub.channel, ...(since ? { since } : {}), ...(token ? { token } : {}) },
    };
    if (!this.#write(frame)) return;
    this.#pending.wait(id, this.#options.timeoutMs, `subscribe ${sub.channel}`).then(
      (answer) => {
        if (attempt !== this.#attempt || this.#subs.get(sub.channel) !== sub) return;
        if (answer.subscribed) {
          this.#subBackoff.get(sub)?.reset();
          sub._handleSubscribed(answer.subscribed);
        } else this.#subscribeFailed(sub, new ClientError(ClientErrorCodes.Transport, 'unexpected answer'));
      },
      (error: unknown) => {
        if (attempt !== this.#attempt || sub.state !== 'subscribing') return;
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
    let backoff = this.#subBackoff.get(sub);
    if (!backoff) {
      backoff = new Backoff(
        { minDelayMs: this.#options.minReconnectDelayMs, maxDelayMs: this.#options.maxReconnectDelayMs },
        this.#options.random,
      );
      this.#subBackoff.set(sub, backoff);
    }
    const timer = setTimeout(() => {
      this.#subRetryTimers.delete(sub);
      if (this.#state === 'connected' && sub.state === 'subscribing') this.#sendSubscribe(sub);
    }, backoff.next());
    this.#subRetryTimers.set(sub, timer);
  }

  #clearSubRetry(sub: Subscription): void {
    const timer = this.#subRetryTimers.get(sub);
    if (timer !== undefined) clearTimeout(timer);
    this.#subRetryTimers.delete(sub);
  }

  // ------------------------------------------------------------------ commands

  /** Fire and forget to a business service. Throws ClientError NotConnected when not connected. */
  send(service: string, type: string, payload: Uint8Array, options: SendOptions = {}): void {
    const frame: IClientFrame = {
      send: { service, type, payload, ...(options.key ? { key: options.key } : {}) },
    };
    if (!this.#write(frame)) throw new ClientError(ClientErrorCodes.NotConnected, `send ${service}/${type}`);
  }

  /**
   * Request/reply with a business service. Resolves with the reply; rejects with ServerError (the
   * service failed or the edge timed out), TimeoutError (no answer in `timeoutMs`) or ClientError
   * (not connected, connection lost).
   */
  async request(
    service: string,
    type: string,
    payload: Uint8Array,
    options: RequestOptions = {},
  ): Promise<ReplyResult> {
    const id = this.#pending.nextId();
    const frame: IClientFrame = {
      id,
      send: { service, type, payload, requestId: String(id), ...(options.key ? { key: options.key } : {}) },
    };
    const answer = await this.#command(id, frame, options.timeoutMs, `request ${service}/${type}`);
    const reply = answer.reply;
    if (!reply) throw new ClientError(ClientErrorCodes.Transport, `unexpected answer ${answer.kind}`);
    if (reply.error?.code) throw new ServerError(reply.error);
    return { type: reply.type ?? '', payload: reply.payload ?? new Uint8Array(0) };
  }

  async history(channel: string, options: HistoryOptions = {}): Promise<HistoryResult> {
    const id = this.#pending.nextId();
    const answer = await this.#command(
      id,
      { id, history: { channel, limit: options.limit ?? 0, beforeOffset: options.beforeOffset ?? 0 } },
      undefined,
      `history ${channel}`,
    );
    const h = answer.history;
    if (!h) throw new ClientError(ClientErrorCodes.Transport, `unexpected answer ${answer.kind}`);
    const position = toPosition(h.position);
    return {
      channel: h.channel || channel,
      ...(position ? { position } : {}),
      publications: (h.publications ?? []).map(toPublication),
    };
  }

  async presence(channel: string): Promise<PresenceResult> {
    const id = this.#pending.nextId();
    const answer = await this.#command(id, { id, presence: { channel } }, undefined, `presence ${channel}`);
    const p = answer.presence;
    if (!p) throw new ClientError(ClientErrorCodes.Transport, `unexpected answer ${answer.kind}`);
    return {
      channel: p.channel || channel,
      clients: (p.clients ?? []).map(toClientInfo).filter((c) => c !== undefined),
    };
  }

  /** App-level ping; resolves with the round trip in ms. */
  async ping(timeoutMs?: number): Promise<number> {
    const id = this.#pending.nextId();
    const started = Date.now();
    await this.#command(id, { id, ping: { timeMs: started } }, timeoutMs, 'ping');
    return Date.now() - started;
  }

  /** Acknowledges user notifications (Push.id); sent in one Ack frame per tick, kept until connected. */
  ack(ids: string | readonly string[]): void {
    this.#acks.add(typeof ids === 'string' ? [ids] : ids);
  }

  #command(
    id: number,
    frame: IClientFrame,
    timeoutMs: number | undefined,
    what: string,
  ): Promise<ServerFrame> {
    if (this.#state !== 'connected') {
      return Promise.reject(new ClientError(ClientErrorCodes.NotConnected, what));
    }
    const answer = this.#pending.wait(id, timeoutMs ?? this.#options.timeoutMs, what);
    if (!this.#write(frame)) this.#pending.reject(id, new ClientError(ClientErrorCodes.NotConnected, what));
    return answer;
  }

  #write(frame: IClientFrame): boolean {
    if (this.#state !== 'connected' || !this.#transport) return false;
    return this.#transport.send(frame);
  }

  // ------------------------------------------------------------------ connection

  async #startAttempt(): Promise<void> {
    this.#attempt += 1;
    const attempt = this.#attempt;
    const live = () => attempt === this.#attempt && this.#state === 'connecting';
    let token: string;
    let Ctor: WebSocketConstructor;
    try {
      token = await this.#resolveToken();
    } catch (cause) {
      if (!live()) return;
      this.emit('error', {
        type: 'token',
        error: new ClientError(ClientErrorCodes.Token, undefined, { cause }),
      });
      this.#scheduleReconnect();
      return;
    }
    try {
      Ctor = await resolveWebSocket(this.#options.WebSocket);
    } catch (error) {
      if (!live()) return;
      this.emit('error', { type: 'transport', error });
      this.#scheduleReconnect();
      return;
    }
    if (!live()) return;
    const current = () => attempt === this.#attempt;
    try {
      this.#transport = openTransport(Ctor, this.url, {
        onOpen: () => {
          if (!current()) return;
          this.#connectId = this.#pending.nextId();
          const { name, version } = this.#options;
          this.#transport?.send({
            id: this.#connectId,
            connect: { token, ...(name ? { name } : {}), ...(version ? { version } : {}) },
          });
        },
        onFrame: (frame) => {
          if (current()) this.#onFrame(frame);
        },
        onBadFrame: (error) => {
          if (current()) this.emit('error', { type: 'decode', error });
        },
        onError: (event) => {
          if (current())
            this.emit('error', {
              type: 'transport',
              error: new ClientError(ClientErrorCodes.Transport, errorText(event)),
            });
        },
        onClose: (code, reason) => {
          if (current()) this.#onTransportClosed(code, reason);
        },
      });
    } catch (cause) {
      this.emit('error', {
        type: 'transport',
        error: new ClientError(ClientErrorCodes.Transport, undefined, { cause }),
      });
      this.#scheduleReconnect();
      return;
    }
    this.#connectTimer = setTimeout(() => {
      if (current()) this.#dropTransport(CLIENT_RECONNECT, 'connect timeout');
    }, this.#options.connectTimeoutMs);
  }

  async #resolveToken(): Promise<string> {
    const expired = this.#tokenExpired;
    if (this.#options.getToken) return await this.#options.getToken({ expired });
    return this.#options.token ?? '';
  }

  #onFrame(frame: ServerFrame): void {
    const id = frame.id;
    switch (frame.kind) {
      case 'connected':
        if (id === this.#connectId && this.#state === 'connecting') this.#onConnected(frame.connected!);
        return;
      case 'error':
        this.#onError(id, frame.error!);
        return;
      case 'subscribed':
      case 'unsubscribed':
      case 'pong':
      case 'history':
      case 'presence':
        if (id && this.#pending.resolve(id, frame)) return;
        if (frame.kind === 'unsubscribed') this.#onServerUnsubscribed(frame.unsubscribed!);
        return;
      case 'reply': {
        const requestId = Number(frame.reply?.requestId);
        if (Number.isInteger(requestId) && requestId > 0) this.#pending.resolve(requestId, frame);
        return;
      }
      case 'publication': {
        const pub = frame.publication!;
        this.#subs.get(pub.channel ?? '')?._handlePublication(pub);
        return;
      }
      case 'join':
      case 'leave': {
        const event = frame.kind === 'join' ? frame.join! : frame.leave!;
        this.#subs.get(event.channel ?? '')?._handleJoin(frame.kind, event.info);
        return;
      }
      case 'push':
        this.emit('push', toPush(frame.push!));
        return;
      case 'disconnect': {
        const d = frame.disconnect!;
        this.#serverDisconnect = {
          code: d.code ?? 0,
          reason: d.reason ?? '',
          reconnect: d.reconnect ?? false,
          delayMs: d.reconnectDelayMs ?? 0,
        };
        this.#dropTransport(d.code || CloseCode.Normal, d.reason ?? '');
        return;
      }
      default:
        return;
    }
  }

  #onConnected(c: switchboard.v1.IConnected): void {
    clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    this.#backoff.reset();
    this.#tokenExpired = false;
    this.#connected = {
      connectionId: c.connectionId ?? '',
      userId: c.userId ?? '',
      nodeId: c.nodeId ?? '',
      pingIntervalMs: c.pingIntervalMs ?? 0,
      expiresAtMs: toNumber(c.expiresAtMs),
    };
    this.#setState('connected');
    this.emit('connected', { ...this.#connected });
    if (this.#state !== 'connected') return; // a listener disconnected
    for (const sub of this.#subs.values()) if (sub.state === 'subscribing') this.#sendSubscribe(sub);
    this.#acks.flush();
    this.#schedulePing();
  }

  #onError(id: number, e: switchboard.v1.IError): void {
    const error = new ServerError(e);
    if (e.code === ErrorCodes.TokenExpired.wire) this.#tokenExpired = true;
    if (id && id === this.#connectId && this.#state === 'connecting') {
      this.emit('error', { type: 'connect', error });
      if (e.code === ErrorCodes.TokenExpired.wire) this.#dropTransport(CloseCode.TokenExpired, error.message);
      else if (error.temporary) this.#dropTransport(CLIENT_RECONNECT, error.message);
      else this.#dropTransport(error.closeCode ?? CloseCode.BadRequest, error.message);
      return;
    }
    if (id && this.#pending.reject(id, error)) return;
    this.emit('error', { type: 'server', error });
  }

  #onServerUnsubscribed(u: switchboard.v1.IUnsubscribed): void {
    const sub = this.#subs.get(u.channel ?? '');
    sub?._toUnsubscribed(u.code ?? 0, u.reason ?? 'unsubscribed by server');
  }

  #schedulePing(): void {
    const interval = this.#options.pingIntervalMs;
    if (!interval || this.#state !== 'connected') return;
    const attempt = this.#attempt;
    this.#pingTimer = setTimeout(() => {
      this.#pingTimer = undefined;
      this.ping().then(
        () => {
          if (attempt === this.#attempt) this.#schedulePing();
        },
        (error: unknown) => {
          if (attempt !== this.#attempt || this.#state !== 'connected') return;
          this.emit('error', { type: 'ping', error });
          this.#dropTransport(CloseCode.NoPong, 'no pong');
        },
      );
    }, interval);
  }

  /** The client ends the current socket itself and decides at once (no need to wait for the close handshake). */
  #dropTransport(code: number, reason: string): void {
    const transport = this.#transport;
    this.#onTransportClosed(code, reason);
    transport?.close();
  }

  #onTransportClosed(code: number, reason: string): void {
    this.#attempt += 1; // whatever this socket still emits is now stale
    this.#transport = null;
    let reconnect = shouldReconnect(code);
    let delayMs: number | undefined;
    const d = this.#serverDisconnect;
    this.#serverDisconnect = null;
    if (d) {
      code = d.code || code;
      reason = d.reason || reason;
      reconnect = d.reconnect;
      if (d.delayMs > 0) delayMs = d.delayMs;
    }
    if (code === CloseCode.TokenExpired) {
      this.#tokenExpired = true;
      reconnect = true;
    }
    this.#afterTransportLost(code, reason);
    if (this.#state === 'disconnected') return;
    if (!reconnect) {
      this.#toDisconnected(code, reason);
      return;
    }
    if (this.#state === 'connected') {
      this.#setState('connecting');
      this.emit('connecting', { code, reason });
    }
    this.#scheduleReconnect(delayMs);
  }

  #afterTransportLost(code: number, reason: string): void {
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#pingTimer);
    this.#connectTimer = undefined;
    this.#pingTimer = undefined;
    this.#connectId = 0;
    this.#connected = null;
    for (const timer of this.#subRetryTimers.values()) clearTimeout(timer);
    this.#subRetryTimers.clear();
    this.#pending.rejectAll(() => new ClientError(ClientErrorCodes.Disconnected, `${code} ${reason}`));
    for (const sub of this.#subs.values()) sub._toSubscribing(code, reason);
  }

  #scheduleReconnect(delayMs?: number): void {
    if (this.#state !== 'connecting') return;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#state === 'connecting') void this.#startAttempt();
    }, delayMs ?? this.#backoff.next());
  }

  #toDisconnected(code: number, reason: string): void {
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    this.#setState('disconnected');
    this.emit('disconnected', { code, reason });
  }

  #setState(newState: ClientState): void {
    const oldState = this.#state;
    if (oldState === newState) return;
    this.#state = newState;
    this.emit('state', { newState, oldState });
  }
}

function stripUndefined<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function errorText(event: unknown): string {
  if (event instanceof Error) return event.message;
  const inner = (event as { error?: unknown; message?: unknown } | null)?.error;
  if (inner instanceof Error) return inner.message;
  const message = (event as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : 'WebSocket error';
}
