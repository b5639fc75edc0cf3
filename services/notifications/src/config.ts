/** Notifications service configuration from the environment (read once, by main.ts). */
import { DEFAULT_LIFECYCLE_BOUND } from '@switchboard/bus';
import {
  busUrl,
  type ConfigOf,
  type Env,
  integer,
  lifecycleBacklogFields,
  logLevel,
  readServiceConfig,
  redisUrl,
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
  /**
   * Minimum lease of an edge node: its connections stop counting as open (DELIVERED) once nothing proved
   * the node alive for max(this, the lease_ms of its last heartbeat).
   */
  leaseMs: integer('NOTIFICATIONS_LEASE_MS', { default: 15_000, min: 100, max: 86_400_000 }),
  /** How often nodes are checked against their lease. */
  nodeSweepMs: integer('NOTIFICATIONS_NODE_SWEEP_MS', { default: 1_000, min: 10, max: 3_600_000 }),
  /**
   * Unset: in-memory inbox and connection registry (embedded default, one instance, lost on restart).
   * Set: both in Redis, shared by every instance.
   */
  redisUrl: redisUrl(),
  bus: busUrl(),
  /** Give every process (edges included) the same values. */
  ...lifecycleBacklogFields(DEFAULT_LIFECYCLE_BOUND),
  logLevel: logLevel(),
};

export type NotificationsConfig = ConfigOf<typeof notificationsConfigSpec>;

export function readNotificationsConfig(env: Env): NotificationsConfig {
  return readServiceConfig(env, notificationsConfigSpec, (config) =>
    config.nodeSweepMs > config.leaseMs
      ? [
          {
            variable: 'NOTIFICATIONS_NODE_SWEEP_MS',
            problem: `${config.nodeSweepMs} is longer than NOTIFICATIONS_LEASE_MS (${config.leaseMs}); set it to at most the lease so a dead node is noticed within about one lease`,
          },
        ]
      : undefined,
  );
}
