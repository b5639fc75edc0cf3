import { ConfigError } from '@switchboard/service-kit';
import { describe, expect, it } from 'vitest';
import { readChatConfig } from './config.js';

describe('readChatConfig', () => {
  it('applies the defaults', () => {
    expect(readChatConfig({})).toMatchObject({
      httpPort: 9101,
      maxMessageLength: 2000,
      ratePerUserPerSecond: 5,
      rateBurst: undefined,
      autoCreateRooms: true,
      rooms: [],
      redisUrl: undefined,
      bus: 'memory',
    });
  });

  it('reads rooms, auto-create and Redis', () => {
    const config = readChatConfig({
      CHAT_AUTO_CREATE_ROOMS: 'false',
      CHAT_ROOMS: 'lobby, general',
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
    expect(config).toMatchObject({
      autoCreateRooms: false,
      rooms: ['lobby', 'general'],
      redisUrl: 'redis://127.0.0.1:6379',
    });
  });

  it('names the variable of a bad room and of a burst below the rate', () => {
    expect(() => readChatConfig({ CHAT_ROOMS: 'ok,bad room' })).toThrow(/CHAT_ROOMS/);
    expect(() => readChatConfig({ CHAT_RATE_PER_USER_PER_SECOND: '10', CHAT_RATE_BURST: '5' })).toThrow(
      ConfigError,
    );
  });
});
