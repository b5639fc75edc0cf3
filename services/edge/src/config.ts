/**
 * Reads the environment once, validates it and returns a frozen config; nothing else in the edge reads
 * process.env. Every problem is collected and thrown together (ConfigError), each naming the variable and
 * the fix (the reader, the field rules and the unknown-variable report are @switchboard/runtime's, shared
 * with every other process). The all-in-one (`pnpm start`, services/standalone) reads its edge through this same function
 * with `embedded: true`, so every edge setting means the same in both; only a few defaults differ there
 * (loopback bind, a per-run secret instead of anonymous access, one node).
 */

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { DEFAULT_LIFECYCLE_BOUND } from '@switchboard/bus';
import {
  busUrl,
  deprecationWarnings,
  type Env,
  EnvReader,
  jwtSecret,
  type LogLevel,
  lifecycleBacklogFields,
  logLevel,
  unknownVariableWarnings,
} from '@switchboard/runtime';
import {
  DEFAULT_LIMITS,
  DEFAULTS,
  type EdgeLimits,
  type EdgeNodeOptions,
  resolveOptions,
} from './options.js';

export {
  ConfigError,
  type ConfigProblem,
  type Env,
  LOG_LEVELS,
  MIN_JWT_SECRET_LENGTH,
} from '@switchboard/runtime';

export interface EdgeConfig {
  readonly bus: string;
  readonly workers: number;
  readonly logLevel: LogLevel;
  readonly node: EdgeNodeOptions;
  /**
   * Bound of the lifecycle topic's backlog (the edge publishes it; on Redis the publisher trims the streams):
   * the same values as presence and notifications read (SWITCHBOARD_LIFECYCLE_MAX_BACKLOG / _MAX_AGE_MS).
   */
  readonly lifecycle: { readonly maxMessages: number; readonly maxAgeMs: number };
  /** Unknown `SWITCHBOARD_*` variables, one sentence each: log them as warnings at start. */
  readonly warnings: readonly string[];
}

export interface LoadConfigOptions {
  /**
   * The all-in-one's edge: binds 127.0.0.1 by default, never allows anonymous connections unless asked
   * (the embedding process signs its own tokens with a per-run secret when none is set), runs one node.
   */
  readonly embedded?: boolean;
  /** Further variables the calling process reads, so they are not reported as unknown. */
  readonly alsoKnown?: Iterable<string>;
}

export const EMBEDDED_HOST = '127.0.0.1';

const NODE_ID = /^[A-Za-z0-9_-]{1,80}$/;

/** Smallest sane value of each limit (default 1): below it the edge could not work at all. */
const LIMIT_MINIMUMS: Partial<Record<keyof EdgeLimits, number>> = {
  maxQueuedBytes: 1024,
  maxInboxBytes: 1024,
};

/** `maxSubscriptions` -> `SWITCHBOARD_MAX_SUBSCRIPTIONS`: every limit has its variable, by this one rule. */
export function limitVariable(limit: string): string {
  return `SWITCHBOARD_${limit.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
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

function readWorkers(read: EnvReader, argv: readonly string[], embedded: boolean, bus: string): number {
  const fromArgv = workersFromArgv(argv);
  let workers: number;
  if (fromArgv === undefined) workers = read.int('SWITCHBOARD_WORKERS', 1, { min: 1 });
  else {
    read.raw('SWITCHBOARD_WORKERS'); // overridden by the flag, but a known name
    workers = /^\d+$/.test(fromArgv) ? Number(fromArgv) : 0;
    if (workers < 1) {
      read.problem('--workers', `"${fromArgv}" is not an integer >= 1`);
      workers = 1;
    }
  }
  if (embedded && workers > 1)
    read.problem(
      'SWITCHBOARD_WORKERS',
      'the all-in-one runs one edge node; unset it (run services/edge with a broker for several workers)',
    );
  else if (bus === 'memory' && workers > 1)
    read.problem(
      'SWITCHBOARD_WORKERS',
      'several workers need a shared broker; set SWITCHBOARD_BUS to amqp://, kafka:// or redis://',
    );
  return workers;
}

interface Auth {
  readonly jwtSecret: string | undefined;
  readonly jwksUrl: string | undefined;
  readonly allowAnonymous: boolean;
}

function readAuth(read: EnvReader, embedded: boolean): Auth {
  const secret = read.raw('SWITCHBOARD_JWT_SECRET');
  const jwksUrl = read.raw('SWITCHBOARD_JWKS_URL');
  if (secret && jwksUrl)
    read.problem(
      'SWITCHBOARD_JWT_SECRET',
      'set SWITCHBOARD_JWT_SECRET (HS256) or SWITCHBOARD_JWKS_URL (RS256), not both',
    );
  // The length rule every reader of the secret applies (@switchboard/runtime).
  read.read(jwtSecret());
  const jwtSecretValue = secret;
  if (jwksUrl && !URL.canParse(jwksUrl))
    read.problem(
      'SWITCHBOARD_JWKS_URL',
      `"${jwksUrl}" is not a URL; set it to the https://… URL of the JWKS`,
    );
  // Embedded: the all-in-one signs tokens with a per-run secret when none is set, so anonymous access is
  // never the fallback there.
  const allowAnonymous = read.bool('SWITCHBOARD_ALLOW_ANONYMOUS', !embedded && !secret && !jwksUrl);
  if (!embedded && !allowAnonymous && !secret && !jwksUrl)
    read.problem(
      'SWITCHBOARD_ALLOW_ANONYMOUS',
      'is false but no SWITCHBOARD_JWT_SECRET or SWITCHBOARD_JWKS_URL is set; set one of them',
    );
  return { jwtSecret: jwtSecretValue, jwksUrl, allowAnonymous };
}

function readLimits(read: EnvReader): EdgeLimits {
  const limits: Record<string, number> = {};
  for (const [name, fallback] of Object.entries(DEFAULT_LIMITS) as [keyof EdgeLimits, number][])
    limits[name] = read.int(limitVariable(name), fallback, { min: LIMIT_MINIMUMS[name] ?? 1 });
  return limits as unknown as EdgeLimits;
}

/** Entries are checked by the same rule EdgeNode applies (resolveOptions), but reported with the others. */
function readClientCallable(read: EnvReader): readonly string[] {
  const entries = read.list('SWITCHBOARD_CLIENT_CALLABLE', DEFAULTS.clientCallable);
  const list = entries.length > 0 ? entries : DEFAULTS.clientCallable;
  for (const entry of list) {
    try {
      resolveOptions({ nodeId: 'check', allowAnonymous: true, clientCallable: [entry] });
    } catch (error) {
      read.problem('SWITCHBOARD_CLIENT_CALLABLE', (error as Error).message);
    }
  }
  return list;
}

export function loadConfig(
  env: Env,
  argv: readonly string[] = [],
  options: LoadConfigOptions = {},
): EdgeConfig {
  const embedded = options.embedded ?? false;
  const read = new EnvReader(env);

  const bus = read.read(busUrl()) ?? 'memory';
  const workers = readWorkers(read, argv, embedded, bus);
  const auth = readAuth(read, embedded);

  const nodeId = read.raw('SWITCHBOARD_NODE_ID') ?? defaultNodeId();
  if (!NODE_ID.test(nodeId))
    read.problem('SWITCHBOARD_NODE_ID', `"${nodeId}" may only contain letters, digits, _ and - (max 80)`);

  // SWITCHBOARD_HOST / _PORT name the public listener of both the edge and the all-in-one; the edge's
  // older SWITCHBOARD_EDGE_HOST / _EDGE_PORT still work.
  const hostVariable = read.pick('SWITCHBOARD_HOST', 'SWITCHBOARD_EDGE_HOST');
  const host = read.raw(hostVariable) ?? (embedded ? EMBEDDED_HOST : DEFAULTS.host);
  const port = read.int(read.pick('SWITCHBOARD_PORT', 'SWITCHBOARD_EDGE_PORT'), DEFAULTS.port, {
    max: 65535,
  });

  const pingIntervalMs = read.int('SWITCHBOARD_PING_INTERVAL_MS', DEFAULTS.pingIntervalMs, { min: 100 });
  const idleTimeoutMs = read.int('SWITCHBOARD_IDLE_TIMEOUT_MS', DEFAULTS.idleTimeoutMs, { min: 100 });
  if (idleTimeoutMs <= pingIntervalMs)
    read.problem(
      'SWITCHBOARD_IDLE_TIMEOUT_MS',
      `must be greater than SWITCHBOARD_PING_INTERVAL_MS (${pingIntervalMs})`,
    );
  const level = read.read(logLevel());

  const node: EdgeNodeOptions = {
    nodeId,
    host,
    port,
    ...auth,
    jwtAudience: read.raw('SWITCHBOARD_JWT_AUDIENCE'),
    jwtIssuer: read.raw('SWITCHBOARD_JWT_ISSUER'),
    connectTimeoutMs: read.int('SWITCHBOARD_CONNECT_TIMEOUT_MS', DEFAULTS.connectTimeoutMs, { min: 1 }),
    handshakeTimeoutMs: read.int('SWITCHBOARD_HANDSHAKE_TIMEOUT_MS', DEFAULTS.handshakeTimeoutMs, { min: 1 }),
    allowTokensWithoutExp: read.bool('SWITCHBOARD_ALLOW_TOKENS_WITHOUT_EXP', DEFAULTS.allowTokensWithoutExp),
    pingIntervalMs,
    idleTimeoutMs,
    limits: readLimits(read),
    allowedOrigins: read.list('SWITCHBOARD_ALLOWED_ORIGINS', DEFAULTS.allowedOrigins),
    deflate: read.bool('SWITCHBOARD_DEFLATE', DEFAULTS.deflate),
    deflateThresholdBytes: read.int('SWITCHBOARD_DEFLATE_THRESHOLD_BYTES', DEFAULTS.deflateThresholdBytes),
    requestTimeoutMs: read.int('SWITCHBOARD_REQUEST_TIMEOUT_MS', DEFAULTS.requestTimeoutMs, { min: 1 }),
    clientCallable: readClientCallable(read),
    durableNamespaces: read.list('SWITCHBOARD_DURABLE_NAMESPACES', DEFAULTS.durableNamespaces),
    nodeHeartbeatMs: read.int('SWITCHBOARD_NODE_HEARTBEAT_MS', DEFAULTS.nodeHeartbeatMs, { min: 100 }),
    drainTimeoutMs: read.int('SWITCHBOARD_DRAIN_TIMEOUT_MS', DEFAULTS.drainTimeoutMs, { min: 1 }),
    drainJitterMs: read.int('SWITCHBOARD_DRAIN_JITTER_MS', DEFAULTS.drainJitterMs),
    reconnectDelayMaxMs: read.int('SWITCHBOARD_RECONNECT_DELAY_MAX_MS', DEFAULTS.reconnectDelayMaxMs),
  };
  const backlog = lifecycleBacklogFields(DEFAULT_LIFECYCLE_BOUND);
  const lifecycle = {
    maxMessages: read.read(backlog.lifecycleMaxBacklog),
    maxAgeMs: read.read(backlog.lifecycleMaxAgeMs),
  };
  read.check();
  const warnings = [
    ...deprecationWarnings(read),
    ...unknownVariableWarnings(
      env,
      [...read.names, ...(options.alsoKnown ?? [])],
      embedded ? 'the all-in-one (pnpm start)' : 'the edge',
    ),
  ];
  return deepFreeze({ bus, workers, logLevel: level, node, lifecycle, warnings });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
