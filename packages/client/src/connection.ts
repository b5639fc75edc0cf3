/**
 * The connection state machine `disconnected | connecting | connected`, one socket at a time: token,
 * socket, Connect handshake and its timeout, close codes and Disconnect frames, reconnects with
 * full-jitter backoff. Everything else a socket carries goes to the host (the Client).
 *
 * Every socket gets an attempt id; handlers of a socket whose attempt is over are ignored, so late
 * events from a dead socket cannot touch the current connection.
 */
import {
  CloseCode,
  ErrorCodes,
  type IClientFrame,
  type ServerFrame,
  type switchboard,
} from '@switchboard/protocol/client';
import { Backoff } from './backoff.js';
import { decideAfterClose, type ServerDisconnect, toServerDisconnect } from './close-policy.js';
import { ClientError, ClientErrorCodes, ServerError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import { openTransport, resolveWebSocket, type Transport, type WebSocketConstructor } from './transport.js';
import { type ClientEvents, type ClientState, type ConnectedContext, toNumber } from './types.js';

/** What the connection needs from its owner. */
export interface ConnectionHost {
  emit<K extends keyof ClientEvents>(event: K, payload: ClientEvents[K]): void;
  /** A fresh command id (shared with the other commands, so that answers cannot be confused). */
  nextId(): number;
  /** Every frame of the live socket except the answer to Connect and Disconnect. */
  onFrame(frame: ServerFrame): void;
  /** Connected, after the `connected` event (unless a listener disconnected meanwhile). */
  onConnected(context: ConnectedContext): void;
  /** The socket is gone or given up; runs before the state changes. */
  onTransportLost(code: number, reason: string): void;
}

/** Close code for the client's own reasons (connect or ping timeout, bad server answer): reconnect. */
export const CLIENT_RECONNECT = 3000;

export class Connection {
  readonly #url: string;
  readonly #options: ResolvedOptions;
  readonly #host: ConnectionHost;
  readonly #backoff: Backoff;
  #state: ClientState = 'disconnected';
  #attempt = 0;
  #transport: Transport | null = null;
  #connectId = 0;
  #connected: ConnectedContext | null = null;
  #tokenExpired = false;
  #serverDisconnect: ServerDisconnect | null = null;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #connectTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(url: string, options: ResolvedOptions, host: ConnectionHost) {
    this.#url = url;
    this.#options = options;
    this.#host = host;
    this.#backoff = new Backoff(
      { minDelayMs: options.minReconnectDelayMs, maxDelayMs: options.maxReconnectDelayMs },
      options.random,
    );
  }

  get state(): ClientState {
    return this.#state;
  }

  /** Changes whenever a socket starts or ends: callbacks compare it to tell that their connection is over. */
  get attempt(): number {
    return this.#attempt;
  }

  get connected(): boolean {
    return this.#state === 'connected';
  }

  /** Details of the current connection, while connected. */
  get context(): ConnectedContext | null {
    return this.#connected ? { ...this.#connected } : null;
  }

  /** Starts connecting (and reconnecting until `stop()` or a close code that says stop). */
  start(): void {
    if (this.#state !== 'disconnected') return;
    this.#backoff.reset();
    this.#setState('connecting');
    this.#host.emit('connecting', { code: 0, reason: 'connect called' });
    void this.#startAttempt();
  }

  /** Closes the socket and stops reconnecting; clears every timer. */
  stop(): void {
    if (this.#state === 'disconnected') return;
    this.#attempt += 1;
    const transport = this.#transport;
    this.#transport = null;
    transport?.close(CloseCode.Normal, 'client disconnect');
    this.#afterTransportLost(CloseCode.Normal, 'disconnect called');
    this.#toDisconnected(CloseCode.Normal, 'disconnect called');
  }

  /** Sends a frame on the live connection; false when not connected. */
  write(frame: IClientFrame): boolean {
    if (this.#state !== 'connected' || !this.#transport) return false;
    return this.#transport.send(frame);
  }

  /** The client ends the current socket itself and decides at once (no need to wait for the close handshake). */
  drop(code: number, reason: string): void {
    const transport = this.#transport;
    this.#onTransportClosed(code, reason);
    transport?.close();
  }

  /** A token refresh on the live connection moved the expiry. */
  updateExpiry(expiresAtMs: number): void {
    if (this.#connected) this.#connected.expiresAtMs = expiresAtMs;
  }

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
      this.#host.emit('error', {
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
      this.#host.emit('error', { type: 'transport', error });
      this.#scheduleReconnect();
      return;
    }
    if (!live()) return;
    const current = () => attempt === this.#attempt;
    try {
      this.#transport = openTransport(
        Ctor,
        this.#url,
        {
          onOpen: () => {
            if (current()) this.#sendConnect(token);
          },
          onFrame: (frame) => {
            if (current()) this.#onFrame(frame);
          },
          onBadFrame: (error) => {
            if (current()) this.#host.emit('error', { type: 'decode', error });
          },
          onError: (error) => {
            if (current()) this.#host.emit('error', { type: 'transport', error });
          },
          onClose: (code, reason) => {
            if (current()) this.#onTransportClosed(code, reason);
          },
        },
        this.#options.format,
      );
    } catch (cause) {
      this.#host.emit('error', {
        type: 'transport',
        error: new ClientError(ClientErrorCodes.Transport, undefined, { cause }),
      });
      this.#scheduleReconnect();
      return;
    }
    this.#connectTimer = setTimeout(() => {
      if (current()) this.drop(CLIENT_RECONNECT, 'connect timeout');
    }, this.#options.connectTimeoutMs);
  }

  async #resolveToken(): Promise<string> {
    const expired = this.#tokenExpired;
    if (this.#options.getToken) return await this.#options.getToken({ expired });
    return this.#options.token ?? '';
  }

  #sendConnect(token: string): void {
    this.#connectId = this.#host.nextId();
    const { name, version } = this.#options;
    this.#transport?.send({
      id: this.#connectId,
      connect: { token, ...(name ? { name } : {}), ...(version ? { version } : {}) },
    });
  }

  #onFrame(frame: ServerFrame): void {
    const handshake = frame.id !== 0 && frame.id === this.#connectId && this.#state === 'connecting';
    switch (frame.kind) {
      case 'connected':
        if (handshake) this.#onConnected(frame.connected!);
        else this.#host.onFrame(frame); // e.g. the answer to a token refresh
        return;
      case 'error':
        if (frame.error?.code === ErrorCodes.TokenExpired.wire) this.#tokenExpired = true;
        if (handshake) this.#onConnectError(new ServerError(frame.error!));
        else this.#host.onFrame(frame);
        return;
      case 'disconnect':
        this.#serverDisconnect = toServerDisconnect(frame.disconnect!);
        this.drop(this.#serverDisconnect.code || CloseCode.Normal, this.#serverDisconnect.reason);
        return;
      default:
        this.#host.onFrame(frame);
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
    this.#host.emit('connected', { ...this.#connected });
    if (this.#state !== 'connected' || !this.#connected) return; // a listener disconnected
    this.#host.onConnected({ ...this.#connected });
  }

  #onConnectError(error: ServerError): void {
    this.#host.emit('error', { type: 'connect', error });
    if (error.wire === ErrorCodes.TokenExpired.wire) this.drop(CloseCode.TokenExpired, error.message);
    else if (error.temporary) this.drop(CLIENT_RECONNECT, error.message);
    else this.drop(error.closeCode ?? CloseCode.BadRequest, error.message);
  }

  #onTransportClosed(closeCode: number, closeReason: string): void {
    this.#attempt += 1; // whatever this socket still emits is now stale
    this.#transport = null;
    const { code, reason, reconnect, delayMs, tokenExpired } = decideAfterClose(
      closeCode,
      closeReason,
      this.#serverDisconnect,
    );
    this.#serverDisconnect = null;
    if (tokenExpired) this.#tokenExpired = true;
    this.#afterTransportLost(code, reason);
    if (this.#state === 'disconnected') return;
    if (!reconnect) {
      this.#toDisconnected(code, reason);
      return;
    }
    if (this.#state === 'connected') {
      this.#setState('connecting');
      this.#host.emit('connecting', { code, reason });
    }
    this.#scheduleReconnect(delayMs);
  }

  #afterTransportLost(code: number, reason: string): void {
    clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    this.#connectId = 0;
    this.#connected = null;
    this.#host.onTransportLost(code, reason);
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
    this.#host.emit('disconnected', { code, reason });
  }

  #setState(newState: ClientState): void {
    const oldState = this.#state;
    if (oldState === newState) return;
    this.#state = newState;
    this.#host.emit('state', { newState, oldState });
  }
}
