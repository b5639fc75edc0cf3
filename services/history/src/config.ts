/** History service configuration from the environment (read once, by main.ts). */
import {
  busUrl,
  type ConfigOf,
  type ConfigProblem,
  type Env,
  integer,
  logLevel,
  readServiceConfig,
  redisUrl,
} from '@switchboard/service-kit';
import { DEFAULT_BOUNDS } from './history-store.js';
import { DEFAULT_RECOVERY_LIMITS } from './recovery.js';

export const historyConfigSpec = {
  httpPort: integer('HISTORY_HTTP_PORT', { default: 9102, min: 0, max: 65535 }),
  maxPerChannel: integer('HISTORY_MAX_PER_CHANNEL', { default: 1000, min: 1 }),
  ttlSeconds: integer('HISTORY_TTL_SECONDS', { default: 86_400, min: 1 }),
  /** Channels kept (both stores); past it the least recently published channel is evicted. */
  maxChannels: integer('HISTORY_MAX_CHANNELS', { default: DEFAULT_BOUNDS.maxChannels, min: 1 }),
  /** Bytes of publications kept per channel (both stores); the oldest go first. */
  maxChannelBytes: integer('HISTORY_MAX_CHANNEL_BYTES', {
    default: DEFAULT_BOUNDS.maxChannelBytes,
    min: 1024,
  }),
  /** In-memory store only: bytes of all channels; past it the least recently published are evicted. */
  maxTotalBytes: integer('HISTORY_MAX_TOTAL_BYTES', { default: DEFAULT_BOUNDS.maxTotalBytes, min: 1024 }),
  /** Publications in one recovery answer; a client further behind gets recovered=false. */
  maxRecoveryPublications: integer('HISTORY_MAX_RECOVERY_PUBLICATIONS', {
    default: DEFAULT_RECOVERY_LIMITS.maxRecoveryPublications,
    min: 1,
  }),
  /** Encoded bytes of publications in one recovery answer; a client further behind gets recovered=false. */
  maxRecoveryBytes: integer('HISTORY_MAX_RECOVERY_BYTES', {
    default: DEFAULT_RECOVERY_LIMITS.maxRecoveryBytes,
    min: 1024,
  }),
  bus: busUrl(),
  logLevel: logLevel(),
  /** Set: history lives in Redis (shared by instances, survives restarts). Unset: in memory (embedded). */
  redisUrl: redisUrl(),
};

export type HistoryConfig = ConfigOf<typeof historyConfigSpec>;

function check(config: HistoryConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (config.maxTotalBytes < config.maxChannelBytes)
    problems.push({
      variable: 'HISTORY_MAX_TOTAL_BYTES',
      problem: `${config.maxTotalBytes} is below HISTORY_MAX_CHANNEL_BYTES (${config.maxChannelBytes}); raise it or lower HISTORY_MAX_CHANNEL_BYTES`,
    });
  return problems;
}

export function readHistoryConfig(env: Env): HistoryConfig {
  return readServiceConfig(env, historyConfigSpec, check);
}

/** The service options the config sets (main.ts and the all-in-one standalone pass them on). */
export function historyServiceSettings(
  config: HistoryConfig,
): Pick<HistoryConfig, 'maxRecoveryPublications' | 'maxRecoveryBytes'> {
  return {
    maxRecoveryPublications: config.maxRecoveryPublications,
    maxRecoveryBytes: config.maxRecoveryBytes,
  };
}
