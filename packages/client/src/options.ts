/** Options of the client and of its commands, with their named defaults. */
import type { WebSocketConstructor, WireFormat } from './transport.js';

export interface TokenContext {
  /** The server said the previous token expired: return a fresh one. */
  expired: boolean;
}

export interface ClientOptions {
  /** A fixed token, used when `getToken` is not given. */
  token?: string;
  /**
   * Called before every (re)connect; `expired` is true after the server rejected the token as expired.
   * Also called with `expired: false` shortly before the token expires (see `refreshBeforeExpiryMs`).
   */
  getToken?: (context: TokenContext) => string | Promise<string>;
  /** WebSocket constructor (e.g. `WebSocket` from 'ws'); default: the global one, else a dynamic import of 'ws'. */
  WebSocket?: WebSocketConstructor;
  /** Wire format: binary Protobuf (`switchboard.v1.protobuf`, default) or JSON text frames (`switchboard.v1.json`). */
  format?: WireFormat;
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
  /**
   * With `getToken` and a token expiry in Connected: refresh the token on the live connection this long
   * before it expires (at most half of the remaining lifetime). Default 30 s.
   */
  refreshBeforeExpiryMs?: number;
  /** How many recent push ids are remembered to drop redeliveries. 0 = no de-duplication. Default 1000. */
  pushDedupWindow?: number;
  /** Random source for the backoff jitter (tests). */
  random?: () => number;
}

export interface SendOptions {
  /** Ordering key (room, order id): messages with one key are handled in order. */
  key?: string;
}

export interface RequestOptions extends SendOptions {
  timeoutMs?: number;
  /**
   * Times the request is sent again after a temporary failure — the server's temporary errors (its request
   * timeout, the broker unavailable, rate limited) and this client's own timeout — with full-jitter backoff
   * (like Socket.IO's `retries`). Each attempt has the whole `timeoutMs`. Only for requests the service
   * handles idempotently (chat's `chat.send` with a `clientMsgId`). Default 0, at most 10.
   */
  retries?: number;
}

export interface HistoryOptions {
  limit?: number;
  /** Only publications before this offset; 0 or absent = newest. */
  beforeOffset?: number;
}

export const DEFAULTS = {
  format: 'protobuf' as WireFormat,
  minReconnectDelayMs: 500,
  maxReconnectDelayMs: 20_000,
  timeoutMs: 10_000,
  connectTimeoutMs: 10_000,
  pingIntervalMs: 0,
  refreshBeforeExpiryMs: 30_000,
  pushDedupWindow: 1_000,
};

export type ResolvedOptions = ClientOptions & typeof DEFAULTS;

export function resolveOptions(options: ClientOptions): ResolvedOptions {
  return { ...DEFAULTS, ...stripUndefined(options) };
}

function stripUndefined<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>;
}
