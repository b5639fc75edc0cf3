export { type HistoryConfig, historyConfigSpec, readHistoryConfig } from './config.js';
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
