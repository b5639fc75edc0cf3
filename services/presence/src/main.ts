/**
 * Presence process entry point: config, logger, store (Redis when REDIS_URL is set, memory otherwise),
 * transport, service; SIGTERM/SIGINT stop the service, then the store, then the bus.
 */
import { hostname } from 'node:os';
import { connectBus } from '@switchboard/bus';
import { ConfigError, createLogger } from '@switchboard/service-kit';
import { loadPresenceConfig } from './config.js';
import { MemoryPresenceStore } from './memory-presence-store.js';
import { PresenceService } from './presence-service.js';
import type { PresenceStore } from './presence-store.js';
import { RedisPresenceStore } from './redis-presence-store.js';

try {
  const config = loadPresenceConfig(process.env);
  const logger = createLogger('presence', { level: config.logLevel });
  const store: PresenceStore = config.redisUrl
    ? RedisPresenceStore.connect(config.redisUrl)
    : new MemoryPresenceStore();
  const transport = await connectBus(config.bus, { logger, clientName: `presence-${hostname()}` });
  const presence = new PresenceService({
    transport,
    store,
    leaseMs: config.leaseMs,
    sweepMs: config.sweepMs,
    logger,
    httpPort: config.httpPort,
  });
  await presence.start();
  logger.info(
    { bus: transport.kind, store: config.redisUrl ? 'redis' : 'memory', leaseMs: config.leaseMs },
    'presence started',
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    try {
      await presence.stop();
      await store.close();
      await transport.close();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
} catch (error) {
  console.error(error instanceof ConfigError ? `config error: ${error.message}` : error);
  process.exit(1);
}
