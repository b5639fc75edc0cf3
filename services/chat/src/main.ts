/**
 * Chat service entry point: config from the environment, logger, transport, store (Redis when REDIS_URL is
 * set, in-memory otherwise), the rooms of CHAT_ROOMS, the service, and a graceful stop on SIGTERM/SIGINT
 * (service first, then the store and the transport it does not own).
 */

import { connectBus } from '@switchboard/bus';
import { configWarnings, createLogger, runMain, shutdownOnSignals } from '@switchboard/service-kit';
import { createChatService } from './chat-service.js';
import type { ChatStore } from './chat-store.js';
import { type ChatConfig, chatConfigSpec, chatServiceSettings, readChatConfig } from './config.js';
import { MemoryChatStore } from './memory-chat-store.js';
import { RedisChatStore } from './redis-chat-store.js';

async function run(config: ChatConfig): Promise<void> {
  const logger = createLogger('chat', { level: config.logLevel });
  for (const warning of configWarnings(process.env, chatConfigSpec, 'chat')) logger.warn(warning);
  const transport = await connectBus(config.bus, { logger, clientName: 'chat' });
  const store: ChatStore = config.redisUrl
    ? new RedisChatStore({
        url: config.redisUrl,
        onError: (error) => logger.warn({ err: error }, 'redis connection error'),
      })
    : new MemoryChatStore();
  for (const room of config.rooms) await store.createRoom(room);
  const service = createChatService({
    transport,
    store,
    logger,
    httpPort: config.httpPort,
    ...chatServiceSettings(config),
  });
  await service.start();
  logger.info(
    { bus: transport.kind, store: config.redisUrl ? 'redis' : 'memory', rooms: config.rooms },
    'chat started',
  );
  shutdownOnSignals(logger, [() => service.stop(), () => store.close(), () => transport.close()]);
}

await runMain(() => run(readChatConfig(process.env)));
