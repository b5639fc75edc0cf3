export {
  type HistoryConfig,
  historyConfigSpec,
  historyServiceSettings,
  readHistoryConfig,
} from './config.js';
export { createHistoryStore, type StoreConfig } from './create-store.js';
export { registerHistoryMetrics } from './history-metrics.js';
export {
  createHistoryService,
  HISTORY_QUERY_TYPE,
  HISTORY_RECOVER_TYPE,
  type HistoryServiceOptions,
} from './history-service.js';
export type {
  EvictionReason,
  HistoryPage,
  HistoryStore,
  HistoryStoreStats,
  Position,
  Publication,
  Recovery,
  Retention,
} from './history-store.js';
export { DEFAULT_BOUNDS, toOffset } from './history-store.js';
export { MemoryHistoryStore, type MemoryHistoryStoreOptions } from './memory-history-store.js';
export {
  coversSince,
  DEFAULT_RECOVERY_LIMITS,
  type RecoveryAnswer,
  type RecoveryLimits,
  recoverSince,
} from './recovery.js';
export {
  REDIS_HISTORY_PREFIX,
  RedisHistoryStore,
  type RedisHistoryStoreOptions,
  UNPUBLISHED_HEAD_START_MS,
} from './redis-history-store.js';
