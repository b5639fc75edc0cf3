/**
 * Presence service configuration, read once from the environment by main.ts.
 *
 * Lease semantics: a node is dead when nothing proves it alive for its lease. Its lease is
 * max(PRESENCE_LEASE_MS, lease_ms of its last heartbeat): the edge announces how long it may stay silent
 * (three heartbeat intervals), and expiring it sooner would drop users of a healthy node; the configured
 * value is the floor an operator chooses to tolerate (GC pauses, broker hiccups). "Alive since" is the
 * last heartbeat, or — for a node never heard from but with connections — the first time the service saw
 * it. The sweep runs every PRESENCE_SWEEP_MS, so a dead node's users go within lease + sweep interval.
 */
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

export const DEFAULT_HTTP_PORT = 9104;
export const DEFAULT_LEASE_MS = 15_000;
export const DEFAULT_SWEEP_MS = 1_000;

export const presenceConfigSpec = {
  httpPort: integer('PRESENCE_HTTP_PORT', { default: DEFAULT_HTTP_PORT, min: 0, max: 65535 }),
  leaseMs: integer('PRESENCE_LEASE_MS', { default: DEFAULT_LEASE_MS, min: 100, max: 86_400_000 }),
  sweepMs: integer('PRESENCE_SWEEP_MS', { default: DEFAULT_SWEEP_MS, min: 10, max: 3_600_000 }),
  redisUrl: redisUrl(),
  bus: busUrl(),
  /** Give every process (edges included) the same values. */
  ...lifecycleBacklogFields(DEFAULT_LIFECYCLE_BOUND),
  logLevel: logLevel(),
};

export type PresenceConfig = ConfigOf<typeof presenceConfigSpec>;

export function loadPresenceConfig(env: Env): PresenceConfig {
  return readServiceConfig(env, presenceConfigSpec, (config) =>
    config.sweepMs > config.leaseMs
      ? [
          {
            variable: 'PRESENCE_SWEEP_MS',
            problem: `${config.sweepMs} is longer than PRESENCE_LEASE_MS (${config.leaseMs}); set it to at most the lease so a dead node is noticed within about one lease`,
          },
        ]
      : undefined,
  );
}
