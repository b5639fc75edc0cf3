/** Notifications service configuration from the environment (read once, by main.ts). */
import {
  type ConfigOf,
  type Env,
  integer,
  LOG_LEVELS,
  oneOf,
  readServiceConfig,
  url,
} from '@switchboard/service-kit';

export const SEVEN_DAYS_SECONDS = 7 * 24 * 60 * 60;

export const notificationsConfigSpec = {
  httpPort: integer('NOTIFICATIONS_HTTP_PORT', { default: 9103, min: 0, max: 65535 }),
  /** How long an unacked notification stays in the inbox, and how long an event id is remembered. */
  ttlSeconds: integer('NOTIFICATIONS_TTL_SECONDS', { default: SEVEN_DAYS_SECONDS, min: 1 }),
  /** Inbox cap per user; the oldest notifications are dropped (EXPIRED) beyond it. 0 = no cap. */
  maxPerUser: integer('NOTIFICATIONS_MAX_PER_USER', { default: 1000, min: 0 }),
  /** How often the expiry sweep runs. */
  sweepIntervalMs: integer('NOTIFICATIONS_SWEEP_INTERVAL_MS', { default: 60_000, min: 100 }),
  /** Unset: in-memory inbox (embedded default, lost on restart). Set: Redis inbox. */
  redisUrl: url('REDIS_URL', { protocols: ['redis', 'rediss'], optional: true }),
  bus: url('SWITCHBOARD_BUS', {
    default: 'memory',
    protocols: ['amqp', 'amqps', 'kafka'],
    literals: ['memory'],
  }),
  logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, { default: 'info' }),
};

export type NotificationsConfig = ConfigOf<typeof notificationsConfigSpec>;

export function readNotificationsConfig(env: Env): NotificationsConfig {
  return readServiceConfig(env, notificationsConfigSpec);
}
