/**
 * Typed options of an EdgeNode with named defaults. Library code takes these; only `config.ts` reads the
 * environment and turns it into options.
 */
import { DEFAULT_CLIENT_CALLABLE } from '@switchboard/protocol';
import { DEFAULT_MAX_TOKEN_BYTES, DEFAULT_MAX_USER_ID_BYTES } from './auth.js';

export interface EdgeLimits {
  /** Largest accepted WebSocket message; bigger ones close the connection with 1009. */
  readonly maxPayloadBytes: number;
  /** Malformed frames tolerated (each answered with an Error frame) before closing with 1007. */
  readonly maxMalformedFrames: number;
  /** Token bucket: frames per second refilled, and bucket size. */
  readonly rateLimitPerSecond: number;
  readonly rateLimitBurst: number;
  /** Rejected frames before the connection is closed with RateLimited (3004). */
  readonly rateLimitCloseAfter: number;
  readonly maxSubscriptions: number;
  readonly maxConnectionsPerUser: number;
  /** Bytes queued for one connection (ours + the socket's) before it counts as a slow consumer. */
  readonly maxQueuedBytes: number;
  /** Longest token (Connect, `?token=`, Refresh, Subscribe) accepted, in bytes; longer: Error 110, close 3500. */
  readonly maxTokenBytes: number;
  /** Longest user id (`sub`), in UTF-8 bytes; longer: Error 110, close 3500. */
  readonly maxUserIdBytes: number;
  /**
   * Bytes of one connection's frames waiting behind a command still running (auth, a broker confirm);
   * a frame past it is refused like one over the rate limit (Error 130, counted towards 3004).
   */
  readonly maxInboxBytes: number;
  /** Requests of one connection awaiting an answer (Send with a request id, history, presence, recovery). */
  readonly maxPendingRequests: number;
}

export interface EdgeNodeOptions {
  /** Node id on the bus; letters, digits, `_` and `-` only (it becomes part of connection ids and routes). */
  readonly nodeId: string;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly jwtSecret?: string;
  readonly jwksUrl?: string;
  readonly jwtAudience?: string;
  readonly jwtIssuer?: string;
  readonly allowAnonymous?: boolean;
  /** Time a client without `?token=` has to send its Connect frame. */
  readonly connectTimeoutMs?: number;
  /**
   * Time a new TCP connection has to deliver its HTTP request head (the `/ws` upgrade, or a plain request);
   * then it is destroyed. Node's headersTimeout only starts at the first byte: without this, a socket
   * that never sends anything holds a descriptor forever.
   */
  readonly handshakeTimeoutMs?: number;
  /** Accept tokens without `exp` (valid forever). Default false: Error 110, close 3500. */
  readonly allowTokensWithoutExp?: boolean;
  readonly pingIntervalMs?: number;
  /** No pong or frame for this long: the peer is dead (like Swoole's heartbeat_idle_time). */
  readonly idleTimeoutMs?: number;
  readonly limits?: Partial<EdgeLimits>;
  /** Empty: any origin. */
  readonly allowedOrigins?: readonly string[];
  readonly deflate?: boolean;
  readonly deflateThresholdBytes?: number;
  readonly requestTimeoutMs?: number;
  /**
   * What a client's `Send` may reach: `<service>/<type>` or `<service>/*` entries. Everything else is internal
   * and refused with SB_ERR_NOT_CALLABLE before anything is published. Default: the chat service's types.
   */
  readonly clientCallable?: readonly string[];
  /** Channel namespaces (`chat` for `chat:room`) whose history service can recover with `since`. */
  readonly durableNamespaces?: readonly string[];
  readonly nodeHeartbeatMs?: number;
  readonly drainTimeoutMs?: number;
  readonly drainJitterMs?: number;
  readonly reconnectDelayMaxMs?: number;
}

export const DEFAULT_LIMITS: EdgeLimits = Object.freeze({
  maxPayloadBytes: 64 * 1024,
  maxMalformedFrames: 3,
  rateLimitPerSecond: 50,
  rateLimitBurst: 100,
  rateLimitCloseAfter: 100,
  maxSubscriptions: 128,
  maxConnectionsPerUser: 16,
  maxQueuedBytes: 1024 * 1024,
  maxTokenBytes: DEFAULT_MAX_TOKEN_BYTES,
  maxUserIdBytes: DEFAULT_MAX_USER_ID_BYTES,
  maxInboxBytes: 1024 * 1024,
  maxPendingRequests: 32,
});

export const DEFAULTS = Object.freeze({
  host: '0.0.0.0',
  port: 8080,
  allowAnonymous: false,
  connectTimeoutMs: 5_000,
  handshakeTimeoutMs: 10_000,
  allowTokensWithoutExp: false,
  pingIntervalMs: 25_000,
  idleTimeoutMs: 60_000,
  allowedOrigins: [] as readonly string[],
  deflate: false,
  deflateThresholdBytes: 1024,
  requestTimeoutMs: 10_000,
  clientCallable: DEFAULT_CLIENT_CALLABLE,
  durableNamespaces: ['chat'] as readonly string[],
  nodeHeartbeatMs: 5_000,
  drainTimeoutMs: 10_000,
  drainJitterMs: 2_000,
  reconnectDelayMaxMs: 5_000,
});

export type ResolvedOptions = Required<
  Omit<EdgeNodeOptions, 'limits' | 'jwtSecret' | 'jwksUrl' | 'jwtAudience' | 'jwtIssuer'>
> &
  Pick<EdgeNodeOptions, 'jwtSecret' | 'jwksUrl' | 'jwtAudience' | 'jwtIssuer'> & {
    readonly limits: EdgeLimits;
  };

const NODE_ID = /^[A-Za-z0-9_-]{1,80}$/;
/** `<service>/<type>` or `<service>/*`; the service part is a work topic name. */
const CLIENT_CALLABLE = /^[A-Za-z0-9_-]{1,100}\/(\*|[\x21-\x7e]{1,200})$/;

export function resolveOptions(options: EdgeNodeOptions): ResolvedOptions {
  if (!NODE_ID.test(options.nodeId))
    throw new TypeError(`nodeId "${options.nodeId}" must match ${NODE_ID} (letters, digits, _ and -)`);
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const resolved = {
    ...DEFAULTS,
    ...defined,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
  } as ResolvedOptions;
  if (!resolved.jwtSecret && !resolved.jwksUrl && !resolved.allowAnonymous)
    throw new TypeError('set jwtSecret or jwksUrl, or allowAnonymous: true');
  if (resolved.jwtSecret && resolved.jwksUrl) throw new TypeError('set jwtSecret or jwksUrl, not both');
  for (const entry of resolved.clientCallable)
    if (!CLIENT_CALLABLE.test(entry))
      throw new TypeError(
        `clientCallable entry "${entry}" must be <service>/<type> or <service>/* (e.g. chat/chat.send)`,
      );
  return Object.freeze(resolved);
}
