/** The store the config asks for: Redis when REDIS_URL is set, else the embedded in-memory store. */
import type { HistoryConfig } from './config.js';
import type { HistoryStore } from './history-store.js';
import { MemoryHistoryStore } from './memory-history-store.js';
import { RedisHistoryStore } from './redis-history-store.js';

export type StoreConfig = Pick<HistoryConfig, 'maxPerChannel' | 'ttlSeconds' | 'redisUrl'> &
  Partial<Pick<HistoryConfig, 'maxChannels' | 'maxChannelBytes' | 'maxTotalBytes'>>;

export function createHistoryStore(config: StoreConfig): HistoryStore {
  const retention = {
    maxPerChannel: config.maxPerChannel,
    ttlMs: config.ttlSeconds * 1000,
    maxChannels: config.maxChannels,
    maxChannelBytes: config.maxChannelBytes,
  };
  return config.redisUrl
    ? new RedisHistoryStore({ ...retention, url: config.redisUrl })
    : new MemoryHistoryStore({ ...retention, maxTotalBytes: config.maxTotalBytes });
}
