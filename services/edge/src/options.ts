/**
 * Typed options of an EdgeNode with named defaults. Library code takes these; only `config.ts` reads the
 * environment and turns it into options.
 */
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
  readonly pingIntervalMs?: number;
  /** No pong or frame for this long: the peer is dead (like Swoole's heartbeat_idle_time). */
  readonly idleTimeoutMs?: number;
  readonly limits?: Partial<EdgeLimits>;
  /** Empty: any origin. */
  readonly allowedOrigins?: readonly string[];
  readonly deflate?: boolean;
  readonly deflateThresholdBytes?: number;
  readonly requestTimeoutMs?: number;
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
});

export const DEFAULTS = Object.freeze({
  host: '0.0.0.0',
  port: 8080,
  allowAnonymous: false,
  connectTimeoutMs: 5_000,
  pingIntervalMs: 25_000,
  idleTimeoutMs: 60_000,
  allowedOrigins: [] as readonly string[],
  deflate: false,
  deflateThresholdBytes: 1024,
  requestTimeoutMs: 10_000,
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
  return Object.freeze(resolved);
}
