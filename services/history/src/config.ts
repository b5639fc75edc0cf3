/** History service configuration from the environment (read once, by main.ts). */
import {
  busUrl,
  type ConfigOf,
  type Env,
  integer,
  LOG_LEVELS,
  oneOf,
  readServiceConfig,
  redisUrl,
} from '@switchboard/service-kit';

export const historyConfigSpec = {
  httpPort: integer('HISTORY_HTTP_PORT', { default: 9102, min: 0, max: 65535 }),
  maxPerChannel: integer('HISTORY_MAX_PER_CHANNEL', { default: 1000, min: 1 }),
  ttlSeconds: integer('HISTORY_TTL_SECONDS', { default: 86_400, min: 1 }),
  bus: busUrl(),
  logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, { default: 'info' }),
  /** Set: history lives in Redis (shared by instances, survives restarts). Unset: in memory (embedded). */
  redisUrl: redisUrl(),
};

export type HistoryConfig = ConfigOf<typeof historyConfigSpec>;

export function readHistoryConfig(env: Env): HistoryConfig {
  return readServiceConfig(env, historyConfigSpec);
}
