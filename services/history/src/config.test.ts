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

  it('bounds channels, bytes and recovery answers by default, and reads each bound from its variable', () => {
    expect(readHistoryConfig({})).toMatchObject({
      maxChannels: 10_000,
      maxChannelBytes: 1_048_576,
      maxTotalBytes: 134_217_728,
      maxRecoveryPublications: 1000,
      maxRecoveryBytes: 524_288,
    });
    expect(
      readHistoryConfig({
        HISTORY_MAX_CHANNELS: '50',
        HISTORY_MAX_CHANNEL_BYTES: '65536',
        HISTORY_MAX_TOTAL_BYTES: '1048576',
        HISTORY_MAX_RECOVERY_PUBLICATIONS: '200',
        HISTORY_MAX_RECOVERY_BYTES: '262144',
      }),
    ).toMatchObject({
      maxChannels: 50,
      maxChannelBytes: 65_536,
      maxTotalBytes: 1_048_576,
      maxRecoveryPublications: 200,
      maxRecoveryBytes: 262_144,
    });
  });

  it('names the variable of a bound that cannot hold', () => {
    expect(() => readHistoryConfig({ HISTORY_MAX_CHANNELS: '0' })).toThrow(/HISTORY_MAX_CHANNELS/);
    expect(() =>
      readHistoryConfig({ HISTORY_MAX_CHANNEL_BYTES: '2000000', HISTORY_MAX_TOTAL_BYTES: '1000000' }),
    ).toThrow(/HISTORY_MAX_TOTAL_BYTES.*HISTORY_MAX_CHANNEL_BYTES/s);
  });

  it('passes the bounds to the store it creates', async () => {
    const store = createHistoryStore({
      ...readHistoryConfig({ HISTORY_MAX_CHANNELS: '2' }),
    });
    for (const channel of ['a', 'b', 'c']) await store.append(channel, { type: 'msg' });
    expect(await store.stats()).toMatchObject({ channels: 2, evictions: { channels: 1 } });
    await store.close();
  });
});
