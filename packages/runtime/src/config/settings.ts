/**
 * Settings more than one process reads, defined once so that each means the same everywhere: the bus, Redis,
 * the log level and the HS256 secret (its length rule included).
 */
import { type Field, integer, oneOf, refine, string, url } from './fields.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * `SWITCHBOARD_LOG_LEVEL`, default `info`. The business services and the API used to read `LOG_LEVEL`: it
 * is still read when the new name is unset, with a deprecation warning (see `configWarnings`).
 */
export function logLevel(): Field<LogLevel> {
  return oneOf('SWITCHBOARD_LOG_LEVEL', LOG_LEVELS, { default: 'info', aliases: ['LOG_LEVEL'] });
}

/**
 * `SWITCHBOARD_BUS`: `memory` or a broker URL `connectBus` accepts (a RabbitMQ cluster: node URLs separated
 * by commas; Redis with Sentinel: redis+sentinel://host:port,host:port/primary).
 */
export function busUrl() {
  return url('SWITCHBOARD_BUS', {
    default: 'memory',
    protocols: ['amqp', 'amqps', 'kafka', 'redis', 'rediss', 'redis+sentinel'],
    literals: ['memory'],
  });
}

/**
 * `REDIS_URL`: optional; service stores use Redis when it is set, memory otherwise. With Sentinel:
 * redis+sentinel://host:port,host:port/primary[/db] (packages/bus/src/redis/redis-connection.ts).
 */
export function redisUrl() {
  return url('REDIS_URL', { protocols: ['redis', 'rediss', 'redis+sentinel'], optional: true });
}

/** The HS256 secret is the only thing between a forger and every connection: short ones are refused. */
export const MIN_JWT_SECRET_LENGTH = 32;

/** The rule every reader of an HS256 secret applies: the problem with `secret`, or undefined. */
export function jwtSecretProblem(secret: string): string | undefined {
  return secret.length < MIN_JWT_SECRET_LENGTH
    ? `is ${secret.length} characters; use at least ${MIN_JWT_SECRET_LENGTH} (e.g. \`openssl rand -base64 32\`)`
    : undefined;
}

/** `SWITCHBOARD_JWT_SECRET`: optional, at least MIN_JWT_SECRET_LENGTH characters when set. */
export function jwtSecret(): Field<string | undefined> {
  return refine(string('SWITCHBOARD_JWT_SECRET', { optional: true }), jwtSecretProblem);
}

/**
 * The backlog bound of the lifecycle topic (per consumer group; 0 = none): past it the oldest events are
 * dropped, so a service that is down cannot fill the broker; the consumers' leases repair what was dropped.
 * Every process that publishes or consumes lifecycle events (edges, presence, notifications) reads the same
 * two variables; `defaults` is the bus's default bound.
 */
export function lifecycleBacklogFields(defaults: {
  readonly maxMessages?: number;
  readonly maxAgeMs?: number;
}) {
  return {
    lifecycleMaxBacklog: integer('SWITCHBOARD_LIFECYCLE_MAX_BACKLOG', {
      default: defaults.maxMessages ?? 0,
      min: 0,
    }),
    /** Lifecycle events older than this are dropped unread (0 = no age bound). */
    lifecycleMaxAgeMs: integer('SWITCHBOARD_LIFECYCLE_MAX_AGE_MS', {
      default: defaults.maxAgeMs ?? 0,
      min: 0,
    }),
  };
}
