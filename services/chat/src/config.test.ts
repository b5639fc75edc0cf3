import { ConfigError } from '@switchboard/service-kit';
import { describe, expect, it } from 'vitest';
import { chatServiceSettings, readChatConfig } from './config.js';

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

  it('bounds room creation and the rooms list by default, each from its variable', () => {
    expect(readChatConfig({})).toMatchObject({
      roomCreationsPerUserPerHour: 10,
      maxRooms: 1000,
      roomsListLimit: 100,
    });
    const config = readChatConfig({
      CHAT_ROOM_CREATIONS_PER_USER_PER_HOUR: '2',
      CHAT_MAX_ROOMS: '50',
      CHAT_ROOMS_LIST_LIMIT: '20',
    });
    expect(chatServiceSettings(config)).toMatchObject({
      roomCreationsPerUserPerHour: 2,
      maxRooms: 50,
      roomsListLimit: 20,
    });
  });

  it('names the variable of a room bound that cannot hold', () => {
    expect(() => readChatConfig({ CHAT_MAX_ROOMS: '0' })).toThrow(/CHAT_MAX_ROOMS/);
    expect(() => readChatConfig({ CHAT_MAX_ROOMS: '1', CHAT_ROOMS: 'a,b' })).toThrow(
      /CHAT_MAX_ROOMS.*CHAT_ROOMS/s,
    );
    expect(() => readChatConfig({ CHAT_ROOM_CREATIONS_PER_USER_PER_HOUR: '0' })).toThrow(
      /CHAT_ROOM_CREATIONS_PER_USER_PER_HOUR/,
    );
    expect(() => readChatConfig({ CHAT_ROOMS_LIST_LIMIT: '100000' })).toThrow(/CHAT_ROOMS_LIST_LIMIT/);
  });
});
