export {
  CHAT_SERVICE,
  type ChatServiceOptions,
  ChatTypes,
  createChatService,
  roomChannel,
  typingChannel,
} from './chat-service.js';
export { type ChatStore, type MessageMeta, messageId } from './chat-store.js';
export { type ChatConfig, chatConfigSpec, readChatConfig } from './config.js';
export { MemoryChatStore, type MemoryChatStoreOptions } from './memory-chat-store.js';
export { ROOM_PATTERN } from './payloads.js';
export { RateLimiter, type RateLimiterOptions } from './rate-limiter.js';
export { RedisChatStore, type RedisChatStoreOptions } from './redis-chat-store.js';
