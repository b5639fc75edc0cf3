import { ConfigError } from '@switchboard/service-kit';
import { describe, expect, it } from 'vitest';
import { readHistoryConfig } from './config.js';
import { createHistoryStore } from './create-store.js';
import { MemoryHistoryStore } from './memory-history-store.js';

describe('history config', () => {
  it('uses the in-memory store when REDIS_URL is unset', async () => {
    const config = readHistoryConfig({});
    expect(config.redisUrl).toBeUndefined();
    const store = createHistoryStore(config);
    expect(store).toBeInstanceOf(MemoryHistoryStore);
    await store.close();
  });

  it('reads REDIS_URL and rejects a URL that is not redis:// or rediss://', () => {
    expect(readHistoryConfig({ REDIS_URL: 'redis://cache:6379/2' }).redisUrl).toBe('redis://cache:6379/2');
    expect(() => readHistoryConfig({ REDIS_URL: 'http://cache:6379' })).toThrow(ConfigError);
  });
});
