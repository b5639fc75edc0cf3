export {
  CHAT_SERVICE,
  type ChatServiceOptions,
  ChatTypes,
  createChatService,
  roomChannel,
  typingChannel,
} from './chat-service.js';
export {
  type ChatStore,
  type CreateRoomOptions,
  type CreateRoomResult,
  type MessageMeta,
  messageId,
  type RoomList,
} from './chat-store.js';
export { type ChatConfig, chatConfigSpec, chatServiceSettings, readChatConfig } from './config.js';
export { MemoryChatStore, type MemoryChatStoreOptions } from './memory-chat-store.js';
export { ROOM_PATTERN } from './payloads.js';
export { RateLimiter, type RateLimiterOptions } from './rate-limiter.js';
export { RedisChatStore, type RedisChatStoreOptions } from './redis-chat-store.js';
export { type Admission, DEFAULT_ROOM_LIMITS, RoomGate, type RoomGateOptions } from './room-gate.js';
