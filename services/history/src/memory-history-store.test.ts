import { runHistoryStoreBehaviour } from './history-store-behaviour.js';
import { MemoryHistoryStore } from './memory-history-store.js';

runHistoryStoreBehaviour('MemoryHistoryStore', (settings) => new MemoryHistoryStore(settings));
