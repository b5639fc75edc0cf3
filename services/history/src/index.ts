export { type HistoryConfig, historyConfigSpec, readHistoryConfig } from './config.js';
export { createHistoryStore, type StoreConfig } from './create-store.js';
export {
  createHistoryService,
  HISTORY_QUERY_TYPE,
  HISTORY_RECOVER_TYPE,
  type HistoryServiceOptions,
} from './history-service.js';
export type {
  HistoryPage,
  HistoryStore,
  Position,
  Publication,
  Recovery,
  Retention,
} from './history-store.js';
export { toOffset } from './history-store.js';
export { MemoryHistoryStore, type MemoryHistoryStoreOptions } from './memory-history-store.js';
export {
  REDIS_HISTORY_PREFIX,
  RedisHistoryStore,
  type RedisHistoryStoreOptions,
} from './redis-history-store.js';
