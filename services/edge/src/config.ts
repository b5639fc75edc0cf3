/**
 * Reads the environment once, validates it and returns a frozen config. Every error names the variable
 * and says how to fix it. Nothing else in the edge reads process.env.
 */

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { DEFAULT_LIMITS, DEFAULTS, type EdgeNodeOptions } from './options.js';

export interface EdgeConfig {
  readonly bus: string;
  readonly workers: number;
  readonly logLevel: string;
  readonly node: EdgeNodeOptions;
}

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function int(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new ConfigError(name, `"${raw}" is not an integer >= ${min}; unset it for the default ${fallback}`);
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `"${env[name]}" is not a boolean; use true or false`);
}

function list(env: Env, name: string, fallback: readonly string[]): readonly string[] {
  const raw = env[name];
  if (raw === undefined) return fallback;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function workersFromArgv(argv: readonly string[]): string | undefined {
  const index = argv.findIndex((a) => a === '--workers' || a.startsWith('--workers='));
  if (index < 0) return undefined;
  const arg = argv[index]!;
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[index + 1];
}

export function defaultNodeId(): string {
  const host = hostname()
    .replace(/[^A-Za-z0-9_-]/g, '-')
    .slice(0, 40);
  return `edge-${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export function loadConfig(env: Env, argv: readonly string[] = []): EdgeConfig {
  const bus = env.SWITCHBOARD_BUS || 'memory';
  if (
    !(
      bus === 'memory' ||
      bus.startsWith('amqp://') ||
      bus.startsWith('amqps://') ||
      bus.startsWith('kafka://') ||
      bus.startsWith('redis://') ||
      bus.startsWith('rediss://')
    )
  )
    throw new ConfigError(
      'SWITCHBOARD_BUS',
      `"${bus}" is not memory, amqp://…, kafka://host:port,… or redis://…`,
    );
  const workersRaw = workersFromArgv(argv);
  const workers = int(
    workersRaw !== undefined ? { '--workers': workersRaw } : env,
    workersRaw !== undefined ? '--workers' : 'SWITCHBOARD_WORKERS',
    1,
    1,
  );
  if (bus === 'memory' && workers > 1)
    throw new ConfigError(
      'SWITCHBOARD_WORKERS',
      'several workers need a shared broker; set SWITCHBOARD_BUS to amqp://, kafka:// or redis://',
    );
  const jwtSecret = env.SWITCHBOARD_JWT_SECRET || undefined;
  const jwksUrl = env.SWITCHBOARD_JWKS_URL || undefined;
  if (jwtSecret && jwksUrl)
    throw new ConfigError(
      'SWITCHBOARD_JWT_SECRET',
      'set SWITCHBOARD_JWT_SECRET (HS256) or SWITCHBOARD_JWKS_URL (RS256), not both',
    );
  if (jwksUrl && !URL.canParse(jwksUrl))
    throw new ConfigError('SWITCHBOARD_JWKS_URL', `"${jwksUrl}" is not a URL`);
  const allowAnonymous = bool(env, 'SWITCHBOARD_ALLOW_ANONYMOUS', !jwtSecret && !jwksUrl);
  if (!allowAnonymous && !jwtSecret && !jwksUrl)
    throw new ConfigError(
      'SWITCHBOARD_ALLOW_ANONYMOUS',
      'is false but no SWITCHBOARD_JWT_SECRET or SWITCHBOARD_JWKS_URL is set',
    );
  const nodeId = env.SWITCHBOARD_NODE_ID || defaultNodeId();
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(nodeId))
    throw new ConfigError(
      'SWITCHBOARD_NODE_ID',
      `"${nodeId}" may only contain letters, digits, _ and - (max 80)`,
    );
  const pingIntervalMs = int(env, 'SWITCHBOARD_PING_INTERVAL_MS', DEFAULTS.pingIntervalMs, 100);
  const idleTimeoutMs = int(env, 'SWITCHBOARD_IDLE_TIMEOUT_MS', DEFAULTS.idleTimeoutMs, 100);
  if (idleTimeoutMs <= pingIntervalMs)
    throw new ConfigError(
      'SWITCHBOARD_IDLE_TIMEOUT_MS',
      `must be greater than SWITCHBOARD_PING_INTERVAL_MS (${pingIntervalMs})`,
    );
  const node: EdgeNodeOptions = {
    nodeId,
    host: env.SWITCHBOARD_EDGE_HOST || DEFAULTS.host,
    port: int(env, 'SWITCHBOARD_EDGE_PORT', DEFAULTS.port),
    jwtSecret,
    jwksUrl,
    jwtAudience: env.SWITCHBOARD_JWT_AUDIENCE || undefined,
    jwtIssuer: env.SWITCHBOARD_JWT_ISSUER || undefined,
    allowAnonymous,
    connectTimeoutMs: int(env, 'SWITCHBOARD_CONNECT_TIMEOUT_MS', DEFAULTS.connectTimeoutMs, 1),
    pingIntervalMs,
    idleTimeoutMs,
    limits: {
      maxPayloadBytes: int(env, 'SWITCHBOARD_MAX_PAYLOAD_BYTES', DEFAULT_LIMITS.maxPayloadBytes, 1),
      maxMalformedFrames: int(env, 'SWITCHBOARD_MAX_MALFORMED_FRAMES', DEFAULT_LIMITS.maxMalformedFrames, 1),
      rateLimitPerSecond: int(env, 'SWITCHBOARD_RATE_LIMIT_PER_SECOND', DEFAULT_LIMITS.rateLimitPerSecond, 1),
      rateLimitBurst: int(env, 'SWITCHBOARD_RATE_LIMIT_BURST', DEFAULT_LIMITS.rateLimitBurst, 1),
      rateLimitCloseAfter: int(
        env,
        'SWITCHBOARD_RATE_LIMIT_CLOSE_AFTER',
        DEFAULT_LIMITS.rateLimitCloseAfter,
        1,
      ),
      maxSubscriptions: int(env, 'SWITCHBOARD_MAX_SUBSCRIPTIONS', DEFAULT_LIMITS.maxSubscriptions, 1),
      maxConnectionsPerUser: int(
        env,
        'SWITCHBOARD_MAX_CONNECTIONS_PER_USER',
        DEFAULT_LIMITS.maxConnectionsPerUser,
        1,
      ),
      maxQueuedBytes: int(env, 'SWITCHBOARD_MAX_QUEUED_BYTES', DEFAULT_LIMITS.maxQueuedBytes, 1024),
    },
    allowedOrigins: list(env, 'SWITCHBOARD_ALLOWED_ORIGINS', DEFAULTS.allowedOrigins),
    deflate: bool(env, 'SWITCHBOARD_DEFLATE', DEFAULTS.deflate),
    deflateThresholdBytes: int(env, 'SWITCHBOARD_DEFLATE_THRESHOLD_BYTES', DEFAULTS.deflateThresholdBytes),
    requestTimeoutMs: int(env, 'SWITCHBOARD_REQUEST_TIMEOUT_MS', DEFAULTS.requestTimeoutMs, 1),
    durableNamespaces: list(env, 'SWITCHBOARD_DURABLE_NAMESPACES', DEFAULTS.durableNamespaces),
    nodeHeartbeatMs: int(env, 'SWITCHBOARD_NODE_HEARTBEAT_MS', DEFAULTS.nodeHeartbeatMs, 100),
    drainTimeoutMs: int(env, 'SWITCHBOARD_DRAIN_TIMEOUT_MS', DEFAULTS.drainTimeoutMs, 1),
    drainJitterMs: int(env, 'SWITCHBOARD_DRAIN_JITTER_MS', DEFAULTS.drainJitterMs),
    reconnectDelayMaxMs: int(env, 'SWITCHBOARD_RECONNECT_DELAY_MAX_MS', DEFAULTS.reconnectDelayMaxMs),
  };
  return deepFreeze({ bus, workers, logLevel: env.SWITCHBOARD_LOG_LEVEL || 'info', node });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
